import FlintTriggers
import FlintWebChannel

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
    /// Trigger delivery: mode, concurrency, retry backoff, cascade limit, functions emulator,
    /// shutdown grace.
    public var triggers = TriggerRuntime.Options()
    /// External functions (from `--functions`).
    public var functions: [Trigger] = []
    /// An export to load before serving (firebase-tools' or `gcloud firestore export`'s directory),
    /// optionally moved to another project.
    public var importPath: String?
    public var importProject: String?
    /// Where to write an export (firebase-tools' layout) at shutdown.
    public var exportOnExit: String?
    /// A `firestore.rules` file to enforce (reloaded when it changes); nil: every request is allowed.
    public var rulesPath: String?
    /// Built-in logic installed on the trigger runtime before delivery starts.
    public var extensions: [any FlintExtension] = []
    /// WebChannel sessions: idle timeout (abandoned sessions are reclaimed), keepalive.
    public var webChannel = WebChannelSessions.Options()

    public init(host: String = "127.0.0.1", port: Int = 8080, dataPath: String? = nil) {
        self.host = host
        self.port = port
        self.dataPath = dataPath
    }
}
