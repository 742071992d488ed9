import FlintCore
import FlintGRPC
import FlintREST
import FlintService
import FlintStore
import FlintTriggers
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// How to run Flint.
public struct FlintConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    /// A durable SQLite file; nil keeps the store ephemeral.
    public var dataPath: String?
    /// How long a transaction may live, and stay idle (production: 270 s and 60 s).
    public var transactionLifetime: Duration = .seconds(270)
    public var transactionIdle: Duration = .seconds(60)
    /// Trigger delivery: mode, concurrency, retry backoff, cascade limit, functions emulator.
    public var triggers = TriggerRuntime.Options()
    /// External functions (from `--functions`).
    public var functions: [Trigger] = []
    /// Built-in logic installed on the trigger runtime before delivery starts.
    public var extensions: [any FlintExtension] = []

    public init(host: String = "127.0.0.1", port: Int = 8080, dataPath: String? = nil) {
        self.host = host
        self.port = port
        self.dataPath = dataPath
    }
}

/// Flint as one service: the store, the Firestore service, and REST plus gRPC on one port.
///
/// A write travels: socket → `SharedPortChannel` (sniffed) → `FirestoreRESTResponder` or
/// `FirestoreGRPCService` → `FirestoreService.commit` → `DocumentStore.write` (group-committed on
/// the writer thread: documents, per-field index, and through `TriggerRuntime.prepare` one outbox
/// row per matching trigger) → commit observers (Listen) → `TriggerRuntime` delivers each event
/// asynchronously.
public struct FlintServer: Service {
    public let configuration: FlintConfiguration
    let logger: Logger
    let onReady: @Sendable (_ port: Int) async -> Void

    public init(
        configuration: FlintConfiguration, logger: Logger = Logger(label: "flint"),
        onReady: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
    ) {
        self.configuration = configuration
        self.logger = logger
        self.onReady = onReady
    }

    public func run() async throws {
        let store = try DocumentStore(path: configuration.dataPath)
        defer { store.close() }
        try store.setIndexExemptions(
            configuration.extensions.reduce(into: IndexExemptions()) { $0.formUnion($1.indexExemptions) })
        let service = FirestoreService(
            store: store, logger: logger, transactionLifetime: configuration.transactionLifetime,
            transactionIdle: configuration.transactionIdle)
        let triggers = TriggerRuntime(service: service, options: configuration.triggers, logger: logger)
        for function in configuration.functions { triggers.register(function) }
        for e in configuration.extensions { try e.install(triggers) }
        try await triggers.start()
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let grpcListener = SharedPortGRPCListener(eventLoopGroup: eventLoopGroup)
        let grpcServer = GRPCServer(
            transport: HTTP2ServerTransport.Custom(listenerFactory: grpcListener),
            services: [FirestoreGRPCService(service: service)])
        let onReady = self.onReady
        let app = Application(
            responder: FirestoreRESTResponder(service: service, triggers: triggers, extensions: configuration.extensions),
            server: .restAndGRPC(grpcListener),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: [GRPCServerService(server: grpcServer)],
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
        do {
            try await app.run()
        } catch {
            await triggers.shutdown()
            throw error
        }
        await triggers.shutdown()
    }
}

/// Runs the gRPC server inside the service group and drains it on graceful shutdown.
struct GRPCServerService<Transport: ServerTransport>: Service {
    let server: GRPCServer<Transport>

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await server.serve()
        } onGracefulShutdown: {
            server.beginGracefulShutdown()
        }
    }
}
