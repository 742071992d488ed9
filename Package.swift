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
        // The data model: paths, field paths, values, ordering, index encoding, transforms, errors.
        .target(
            name: "FlintCore",
            dependencies: ["FlintProto", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            swiftSettings: swift6
        ),
        // SQLite settings only its C API can make.
        .target(name: "CFlintSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        // SQLite storage through GRDB: documents, the per-field index, collections.
        .target(
            name: "FlintStore",
            dependencies: [
                "FlintCore", "CFlintSQLite",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swift6
        ),
        // Triggers: document patterns, events, the outbox-backed dispatcher, payloads, HTTP delivery.
        .target(
            name: "FlintTriggers",
            dependencies: [
                "FlintCore", "FlintStore", "FlintService",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swift6
        ),
        // The Firestore operations, shared by every transport.
        .target(
            name: "FlintService",
            dependencies: [
                "FlintCore", "FlintStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        // REST (HTTP/1.1 + JSON) transport.
        .target(
            name: "FlintREST",
            dependencies: [
                "FlintService", "FlintTriggers",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swift6
        ),
        // gRPC transport: generated service code plus its implementation over FlintService.
        .target(
            name: "FlintGRPC",
            dependencies: [
                "FlintService",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ],
            swiftSettings: swift6
        ),
        // The listener (one port, REST and gRPC sniffed apart) and the service group.
        .target(
            name: "FlintServer",
            dependencies: [
                "FlintREST", "FlintGRPC", "FlintTriggers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swift6
        ),
        // The Customer Intelligence Engine: customer profiles, order approval, courier routing and
        // notifications, as built-in triggers over orders/ and customers/.
        .target(
            name: "FlintEngine",
            dependencies: [
                "FlintTriggers", "FlintService", "FlintCore", "FlintProto", "FlintStore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swift6
        ),
        .executableTarget(
            name: "flint",
            dependencies: [
                "FlintServer", "FlintTriggers", "FlintCore", "FlintEngine",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swift6
        ),
        .testTarget(name: "FlintCoreTests", dependencies: ["FlintCore"], swiftSettings: swift6),
        .testTarget(
            name: "FlintTriggersTests", dependencies: ["FlintTriggers", "FlintProto", "FlintStore", "FlintService"],
            swiftSettings: swift6),
        .testTarget(name: "FlintEngineTests", dependencies: ["FlintEngine", "FlintCore", "FlintStore"], swiftSettings: swift6),
        .testTarget(name: "FlintStoreTests", dependencies: ["FlintStore", "FlintService", "FlintProto"], swiftSettings: swift6),
        .testTarget(
            name: "FlintServerTests",
            dependencies: [
                "FlintServer", "FlintGRPC", "FlintProto",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swift6
        ),
    ]
)
