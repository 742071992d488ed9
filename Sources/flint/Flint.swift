import ArgumentParser
import FlintCore
import FlintEngine
import FlintServer
import FlintTriggers
import FlintUI
import Foundation
import Hummingbird
import Logging
import NIOCore
import NIOPosix

/// Swift's tasks run on NIO's event loops, before anything else starts: a request is handled on
/// its connection's own thread instead of being handed to the concurrency pool and back (a REST
/// read made 2.3–2.6 context switches before, 0.7–1.0 after, and used about a third less CPU).
@main
enum Entry {
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Flint.main()
    }
}

struct Flint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flint",
        abstract: "A Firestore-compatible document store emulator with Cloud-Functions-style triggers.",
        subcommands: [Start.self, Export.self],
        defaultSubcommand: Start.self)
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the Firestore v1 API (REST and gRPC on one port).")

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one and prints it.")
    var port = 8080

    @Option(name: .customLong("data"), help: "A SQLite file that keeps the data across restarts (default: ephemeral).")
    var dataPath: String?

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(help: "Seconds a transaction may stay open (production: 270).")
    var transactionLifetime = 270.0

    @Option(help: "Seconds a transaction may stay idle before it expires (production: 60).")
    var transactionIdle = 60.0

    @Option(help: "A JSON file of external functions to deliver trigger events to (see README).")
    var functions: String?

    @Option(help: "HOST:PORT of firebase-tools' Functions emulator, for triggers it registers.")
    var functionsEmulator: String?

    @Option(help: "Trigger delivery: normal, duplicate (every event twice) or shuffle (random order).")
    var triggerMode = "normal"

    @Option(help: "Trigger deliveries running at once.")
    var triggerConcurrency = 32

    @Option(help: "Seconds before the first retry of a failed delivery (doubling each time).")
    var triggerRetryBase = 1.0

    @Option(help: "Longest wait between retries, in seconds.")
    var triggerRetryCap = 60.0

    @Option(help: "Writes made this many trigger levels deep fire no further triggers.")
    var triggerMaxDepth = 16

    @Option(help: "Seconds trigger deliveries may go on at shutdown; events left stay in a --data store's outbox.")
    var shutdownGrace = 10.0

    @Flag(help: "Run without the Customer Intelligence Engine (on by default).")
    var noEngine = false

    @Option(help: "The engine's rules file (default: rules/engine.json, else the built-in rules).")
    var engineRules: String?

    @Option(name: .customLong("import"), help: "An export directory to load before serving (firebase-tools' or gcloud's).")
    var importPath: String?

    @Option(help: "Load the --import documents into this project (default: the project their keys name).")
    var importProject: String?

    @Option(help: "Write an export directory (firebase-tools' layout) here at shutdown.")
    var exportOnExit: String?

    @Option(help: "A firestore.rules file to enforce on client requests (reloaded when it changes); without it every request is allowed.")
    var rules: String?

    @Option(help: "Seconds a WebChannel session may go untouched (no back channel, no request) before it is reclaimed.")
    var webchannelIdleTimeout = 30.0

    @Option(help: "Seconds between no-ops on an idle WebChannel back channel.")
    var webchannelKeepalive = 15.0

    func validate() throws {
        guard DeliveryMode(rawValue: triggerMode) != nil else {
            throw ValidationError("--trigger-mode must be normal, duplicate or shuffle.")
        }
        guard triggerConcurrency > 0, triggerMaxDepth > 0 else {
            throw ValidationError("--trigger-concurrency and --trigger-max-depth must be positive.")
        }
        guard triggerRetryBase > 0, triggerRetryCap >= triggerRetryBase else {
            throw ValidationError("--trigger-retry-base must be positive and no more than --trigger-retry-cap.")
        }
        if let functionsEmulator, functionsEmulator.split(separator: ":").count < 2 {
            throw ValidationError("--functions-emulator needs HOST:PORT.")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must lie between 0 and 65535.") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
        if let dataPath, dataPath.isEmpty { throw ValidationError("--data needs a file path.") }
        if let rules, !FileManager.default.isReadableFile(atPath: rules) {
            throw ValidationError("--rules names \(rules), which cannot be read.")
        }
        guard transactionLifetime > 0, transactionIdle > 0 else {
            throw ValidationError("--transaction-lifetime and --transaction-idle must be positive.")
        }
        guard webchannelIdleTimeout > 0, webchannelKeepalive > 0 else {
            throw ValidationError("--webchannel-idle-timeout and --webchannel-keepalive must be positive.")
        }
        guard shutdownGrace >= 0, shutdownGrace <= 3600 else {
            throw ValidationError("--shutdown-grace must lie between 0 and 3600 seconds.")
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel)!
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "flint")
        let host = self.host
        let store = dataPath.map { "durable store \($0)" } ?? "ephemeral store"
        var configuration = FlintConfiguration(host: host, port: port, dataPath: dataPath)
        configuration.transactionLifetime = .milliseconds(Int64(transactionLifetime * 1000))
        configuration.transactionIdle = .milliseconds(Int64(transactionIdle * 1000))
        configuration.triggers.mode = DeliveryMode(rawValue: triggerMode)!
        configuration.triggers.concurrency = triggerConcurrency
        configuration.triggers.retryBase = .milliseconds(Int64(triggerRetryBase * 1000))
        configuration.triggers.retryCap = .milliseconds(Int64(triggerRetryCap * 1000))
        configuration.triggers.maxDepth = triggerMaxDepth
        configuration.triggers.functionsEmulator = functionsEmulator
        configuration.triggers.shutdownGrace = .milliseconds(Int64(shutdownGrace * 1000))
        configuration.webChannel.idleTimeout = .milliseconds(Int64(webchannelIdleTimeout * 1000))
        configuration.webChannel.keepalive = .milliseconds(Int64(webchannelKeepalive * 1000))
        if let functions {
            do {
                configuration.functions = try FunctionsConfig.load(path: functions)
            } catch let error as FirestoreError {
                throw ValidationError(error.message)
            }
        }
        configuration.importPath = importPath
        configuration.importProject = importProject
        configuration.exportOnExit = exportOnExit
        var dimensions = DashboardDimensions()
        if !noEngine {
            let engine = try engine(logger: logger)
            configuration.extensions.append(engine)
            dimensions = engine.rules.dashboardDimensions
        }
        configuration.extensions.append(FlintUI(dimensions: dimensions))
        configuration.rulesPath = rules
        let rulesLine = rules.map { "Security rules: enforcing \($0) (reloaded when it changes)" }
            ?? "Security rules: none loaded, every request is allowed (--rules PATH, or PUT /emulator/v1/projects/P:securityRules)"
        if !Self.isLoopback(host) {
            logger.warning(
                """
                Listening on \(host), beyond this machine: the page at /ui/ and the /emulator/v1 endpoints take no \
                credentials; anyone who reaches the port can read, change and delete every document.
                """)
        }
        let app = try await buildApplication(configuration, logger: logger) { port in
            let shown = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            let lines = """
                export FIRESTORE_EMULATOR_HOST=\(shown)
                Flint ready on \(shown) (REST and gRPC, \(store))
                Flint UI: http://\(shown)/ui/
                \(rulesLine)

                """
            FileHandle.standardOutput.write(Data(lines.utf8))
        }
        try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint])
    }

    /// Whether `host` is reachable from this machine only.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host == "[::1]" || host.hasPrefix("127.")
    }

    /// The engine with its rules: `--engine-rules`, else `rules/engine.json` when present, else the
    /// built-in copy of it. A bad rules file stops the start with the bad key named.
    private func engine(logger: Logger) throws -> CustomerEngine {
        let defaultPath = "rules/engine.json"
        let path = engineRules ?? defaultPath
        if engineRules == nil, !FileManager.default.fileExists(atPath: defaultPath) {
            let directory = FileManager.default.currentDirectoryPath
            logger.notice("\(defaultPath) not found in \(directory); the engine uses its built-in rules.")
            return CustomerEngine(rules: .builtIn(), rulesSource: "built-in rules")
        }
        do {
            return CustomerEngine(rules: try EngineRules.load(path: path), rulesSource: path)
        } catch {
            throw ValidationError(error.message)
        }
    }
}
