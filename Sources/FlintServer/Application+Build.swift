import FlintCore
import FlintExport
import FlintGRPC
import FlintREST
import FlintService
import FlintStore
import FlintTriggers
import FlintWebChannel
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// Flint as one application: the store, the Firestore service, triggers and extensions, and REST
/// plus gRPC on one port. `flint start` runs it; tests run it too (or hit its router directly).
///
/// Its services stop in reverse order at graceful shutdown: the listener first (open requests
/// finish), then gRPC, the extensions' work, trigger delivery (drained within its grace), and the
/// store last.
public func buildApplication(
    _ configuration: FlintConfiguration, logger: Logger = Logger(label: "flint"),
    onReady: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let store = try DocumentStore(path: configuration.dataPath)
    do {
        try store.setIndexExemptions(
            configuration.extensions.reduce(into: IndexExemptions()) { $0.formUnion($1.indexExemptions) })
        if let importPath = configuration.importPath {
            let summary = try await FirestoreImport.load(
                importPath, into: store, project: configuration.importProject, logger: logger)
            logger.info("Imported \(summary.documents) documents from \(importPath)")
        }
        let service = FirestoreService(
            store: store, logger: logger, transactionLifetime: configuration.transactionLifetime,
            transactionIdle: configuration.transactionIdle)
        let outbox: any TriggerOutbox = store.isDurable ? SQLiteTriggerOutbox(store: store) : InMemoryTriggerOutbox()
        let triggers = TriggerRuntime(service: service, outbox: outbox, options: configuration.triggers, logger: logger)
        for function in configuration.functions { triggers.register(function) }
        let lifetime = StoreLifetime(store: store, service: service, exportOnExit: configuration.exportOnExit, logger: logger)
        var services: [any Service] = [lifetime, triggers.dispatcher]
        if let rulesPath = configuration.rulesPath {
            try RulesFileWatcher.loadAtStart(rulesPath, into: service, logger: logger)
            services.append(RulesFileWatcher(path: rulesPath, service: service, logger: logger))
        }
        for e in configuration.extensions { services += try e.install(on: triggers) }
        try await triggers.start()

        let listeners = ListenHub(service: service)
        let webChannel = WebChannelSessions(
            service: service, listeners: listeners, options: configuration.webChannel, logger: logger)
        services.append(webChannel)
        let eventLoopGroup = MultiThreadedEventLoopGroup.singleton
        let grpcListener = SharedPortGRPCListener(eventLoopGroup: eventLoopGroup)
        let grpcServer = GRPCServer(
            transport: HTTP2ServerTransport.Custom(listenerFactory: grpcListener),
            services: [FirestoreGRPCService(service: service, listeners: listeners)])
        services.append(GRPCServerService(server: grpcServer))
        return Application(
            router: buildRouter(
                service: service, triggers: triggers, extensions: configuration.extensions,
                exports: .init(store: store, snapshots: StoreSnapshots(store: store), logger: logger),
                webChannel: webChannel),
            server: .restAndGRPC(grpcListener),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: services,
            onServerRunning: { channel in await onReady(channel.localAddress?.port ?? 0) },
            eventLoopGroupProvider: .shared(eventLoopGroup),
            logger: logger)
    } catch {
        store.close()
        throw error
    }
}

/// Every HTTP route: the Firestore API (in front, see `FirestoreAPIMiddleware`), readiness, and
/// the `/emulator/v1` endpoints of the store, the triggers and each extension.
func buildRouter(
    service: FirestoreService, triggers: TriggerRuntime, extensions: [any FlintExtension], exports: ExportRouting? = nil,
    webChannel: WebChannelSessions? = nil
) -> Router<FlintRequestContext> {
    let router = Router(context: FlintRequestContext.self)
    router.add(middleware: CrossOriginMiddleware())
    router.add(middleware: RESTErrorMiddleware())
    router.add(middleware: FirestoreAPIMiddleware(service: service))
    router.get("/") { _, _ in EmulatorJSON.text("Ok\n") }
    if let webChannel { router.addWebChannelRoutes(webChannel) }
    let emulator = router.group("emulator/v1")
    emulator.get("ready") { _, _ in EmulatorJSON.text("Ok\n") }
    emulator.addDatabaseRoutes(service: service)
    emulator.addTriggerRoutes(triggers)
    if let exports {
        emulator.addExportRoutes(
            store: exports.store, service: service, triggers: triggers, snapshots: exports.snapshots, logger: exports.logger)
    }
    emulator.addRulesRoutes(service)
    for e in extensions {
        e.addRoutes(to: emulator)
        e.addRootRoutes(to: router)
    }
    return router
}

/// Keeps the store open while the application runs, and closes it once every other service has
/// stopped (it is the group's first service, so the last to be shut down).
struct StoreLifetime: Service {
    let store: DocumentStore
    let service: FirestoreService
    /// Where to export the store before it closes (`--export-on-exit`).
    var exportOnExit: String?
    var logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        service.detachFromCommits()
        if let exportOnExit {
            do {
                let summary = try await FirestoreExport.writeFirebase(store, to: exportOnExit, logger: logger)
                logger.info("Exported \(summary.documents) documents to \(summary.path)")
            } catch {
                logger.error("The export to \(exportOnExit) failed: \(error)")
            }
        }
        store.close()
    }
}

/// What the export and snapshot routes need besides the service.
struct ExportRouting {
    let store: DocumentStore
    let snapshots: StoreSnapshots
    let logger: Logger
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
