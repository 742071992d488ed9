// swift-tools-version:6.1
import PackageDescription

let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "flint",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "flint", targets: ["flint"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", exact: "1.46.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", exact: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", exact: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", exact: "1.8.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", exact: "1.37.0"),
    ],
    targets: [
        // Generated swift-protobuf messages of google.firestore.v1 and friends (scripts/gen-proto).
        .target(
            name: "FlintProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Protos"],
            swiftSettings: swift6
        ),
        // The data model: paths, field paths, values, ordering, index encoding, document snapshots,
        // authorization, transforms, query plans, errors.
        .target(
            name: "FlintCore",
            dependencies: ["FlintProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swift6
        ),
        // Security rules: the language (parser, evaluator, standard library), judging requests, coverage.
        .target(name: "FlintRules", dependencies: ["FlintCore"], swiftSettings: swift6),
        // What only SQLite's C API can do: a process-wide setting, and a table-valued function over rows in memory.
        .target(name: "CFlintSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite storage through GRDB: documents, the per-field index, collections, kept versions, the outbox table.
        .target(
            name: "FlintStore",
            dependencies: [
                "FlintCore", "FlintProto", "CFlintSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        // The Firestore operations, shared by every transport; the store sits behind it.
        .target(
            name: "FlintService",
            dependencies: [
                "FlintCore", "FlintProto", "FlintStore", "FlintRules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swift6
        ),
        // Triggers: document patterns, events, the outbox, the dispatcher service, payloads, HTTP delivery.
        .target(
            name: "FlintTriggers",
            dependencies: [
                "FlintCore", "FlintProto", "FlintStore", "FlintService",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        // REST (HTTP/1.1 + JSON): the Firestore API, error mapping, and the emulator routes' building blocks.
        .target(
            name: "FlintREST",
            dependencies: [
                "FlintCore", "FlintProto", "FlintService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swift6
        ),
        // gRPC transport: generated service code plus its implementation over FlintService.
        .target(
            name: "FlintGRPC",
            dependencies: [
                "FlintCore", "FlintProto", "FlintService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swift6
        ),
        // The official export format (LevelDB logs of legacy entity protos): import and export.
        .target(
            name: "FlintExport",
            dependencies: [
                "FlintCore", "FlintProto", "FlintStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        // WebChannel (the web SDK's streaming transport): sessions, framing, and the Listen and
        // Write streams of FlintService behind them.
        .target(
            name: "FlintWebChannel",
            dependencies: [
                "FlintCore", "FlintProto", "FlintService", "FlintREST",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swift6
        ),
        // The application: buildApplication, its services and router, the shared-port listener, extensions.
        .target(
            name: "FlintServer",
            dependencies: [
                "FlintCore", "FlintStore", "FlintService", "FlintREST", "FlintGRPC", "FlintTriggers", "FlintExport", "FlintRules", "FlintWebChannel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        // The Customer Intelligence Engine: customer profiles, order approval, courier routing and
        // notifications, as an extension of in-process triggers over orders/ and customers/.
        .target(
            name: "FlintEngine",
            dependencies: [
                "FlintCore", "FlintProto", "FlintService", "FlintTriggers", "FlintREST", "FlintServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        // Flint's own page at /ui/ (HTML, CSS and JavaScript resources) and the emulator routes it reads.
        .target(
            name: "FlintUI",
            dependencies: [
                "FlintCore", "FlintProto", "FlintService", "FlintTriggers", "FlintREST", "FlintServer",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            resources: [.copy("Page")],
            swiftSettings: swift6
        ),
        .executableTarget(
            name: "flint",
            dependencies: [
                "FlintCore", "FlintServer", "FlintTriggers", "FlintEngine", "FlintUI", "FlintExport", "FlintStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
        // Helpers shared by the test targets.
        .target(
            name: "FlintTesting",
            dependencies: [
                "FlintCore", "FlintStore", "FlintService", "FlintTriggers",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/FlintTesting",
            swiftSettings: swift6
        ),
        .testTarget(name: "FlintCoreTests", dependencies: ["FlintCore", "FlintProto", "FlintTesting"], swiftSettings: swift6),
        .testTarget(name: "FlintRulesTests", dependencies: ["FlintRules", "FlintCore", "FlintProto"], swiftSettings: swift6),
        .testTarget(
            name: "FlintTriggersTests",
            dependencies: ["FlintTriggers", "FlintProto", "FlintCore", "FlintStore", "FlintService", "FlintTesting"],
            swiftSettings: swift6),
        .testTarget(
            name: "FlintEngineTests",
            dependencies: [
                "FlintEngine", "FlintCore", "FlintProto", "FlintServer", "FlintTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swift6),
        .testTarget(
            name: "FlintUITests",
            dependencies: [
                "FlintUI", "FlintServer", "FlintCore", "FlintTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swift6),
        .testTarget(
            name: "FlintExportTests",
            dependencies: [
                "FlintExport", "FlintStore", "FlintCore", "FlintProto", "FlintTesting",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swift6),
        .testTarget(
            name: "FlintStoreTests",
            dependencies: [
                "FlintStore", "FlintService", "FlintCore", "FlintProto", "FlintTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swift6),
        .testTarget(
            name: "FlintServerTests",
            dependencies: [
                "FlintServer", "FlintGRPC", "FlintREST", "FlintProto", "FlintCore", "FlintStore", "FlintService",
                "FlintTriggers", "FlintTesting", "FlintWebChannel",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
    ]
)
