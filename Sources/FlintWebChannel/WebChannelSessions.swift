import FlintCore
import FlintService
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc

/// glibc's `malloc_trim` (its header is not part of the Glibc module), looked up once.
private let mallocTrim: (@convention(c) (Int) -> Int32)? = {
    guard let symbol = dlsym(nil, "malloc_trim") else { return nil }
    return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
}()
#endif

/// Every open WebChannel session, and the service that reclaims the abandoned ones (a closed tab
/// never says goodbye) and ends them all at shutdown.
public final class WebChannelSessions: Service, Sendable {
    public struct Options: Sendable {
        /// A session with no back channel attached and no request for this long is closed.
        public var idleTimeout: Duration = .seconds(30)
        /// How often an idle back channel gets a no-op, which is also how a vanished client is
        /// noticed (the write fails).
        public var keepalive: Duration = .seconds(15)
        /// The keepalive the handshake tells clients (they give up on a silent back channel
        /// after 1.5 times this).
        public var advertisedKeepalive: Duration = .seconds(30)
        /// Arrays a session may hold unacknowledged before it is closed.
        public var outgoingLimit = 20_000

        public init() {}
    }

    public let options: Options
    let runner: WebChannelStreamRunner
    let logger: Logger
    private let sessions = Mutex<[String: WebChannelSession]>([:])

    public init(service: FirestoreService, listeners: ListenHub, options: Options = .init(), logger: Logger) {
        self.options = options
        self.runner = WebChannelStreamRunner(service: service, listeners: listeners)
        self.logger = logger
    }

    /// How many sessions are open (for tests and diagnostics).
    public var count: Int { sessions.withLock { $0.count } }

    /// Opens a session whose stream runs until the session ends.
    func open(kind: WebChannelStreamKind, context: CallContext, database: String?) -> WebChannelSession {
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) }
        // base64url, so the id needs no escaping in a query string
        let id = Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let session = WebChannelSession(id: id, kind: kind, outgoingLimit: options.outgoingLimit)
        sessions.withLock { $0[id] = session }
        let runner = self.runner
        // The session stays registered after its stream ends until its last arrays (an error,
        // say) have been sent; the sweep removes it then.
        Task { await runner.run(session, context: context, database: database) }
        return session
    }

    func session(_ id: String, kind: WebChannelStreamKind) -> WebChannelSession? {
        sessions.withLock { $0[id] }.flatMap { $0.kind == kind ? $0 : nil }
    }

    /// Ends a session (the client terminated it, or it was abandoned).
    func terminate(_ session: WebChannelSession) {
        session.close()
        remove(session)
    }

    private func remove(_ session: WebChannelSession) {
        if sessions.withLock({ $0.removeValue(forKey: session.id) }) != nil {
            trimsDue.store(2, ordering: .relaxed)
        }
    }

    /// Sweeps that still hand memory back: two after a session ends, since its connection and
    /// stream are torn down just after it is removed, some of it after the first sweep.
    private let trimsDue = Atomic<Int>(0)

    /// Hands memory freed by ended sessions back to the system: glibc keeps freed heap pages in
    /// its arenas, so a burst of sessions would otherwise leave the process at its peak size.
    private func trimMemoryIfSessionsEnded() {
        guard trimsDue.load(ordering: .relaxed) > 0 else { return }
        trimsDue.subtract(1, ordering: .relaxed)
        #if canImport(Glibc)
        _ = mallocTrim?(0)
        #endif
    }

    /// Closes the sessions nobody has touched for `idleTimeout`, and removes ended ones that have
    /// sent everything; returns how many.
    @discardableResult
    public func reclaimAbandoned(now: ContinuousClock.Instant = .now) -> Int {
        let stale = sessions.withLock { all in
            all.values.filter { $0.isReclaimable(idle: options.idleTimeout, now: now) }
        }
        for session in stale { terminate(session) }
        if !stale.isEmpty { logger.debug("Reclaimed \(stale.count) abandoned WebChannel session(s).") }
        return stale.count
    }

    /// Rings the keepalive of every back channel whose keepalive is due.
    func ringDueKeepalives(now: ContinuousClock.Instant = .now) {
        for session in sessions.withLock({ Array($0.values) }) { session.ringKeepaliveIfDue(now) }
    }

    public func run() async throws {
        let interval = min(options.idleTimeout / 4, .seconds(2))
        // The keepalive clock's resolution: a tenth of the keepalive, at most 100 ms (a long
        // poll's own timeout, TO, is kept to within that).
        let tick = max(min(options.keepalive / 10, .milliseconds(100)), .milliseconds(5))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: interval)
                        self.reclaimAbandoned()
                        self.trimMemoryIfSessionsEnded()
                    }
                }
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tick)
                        self.ringDueKeepalives()
                    }
                }
            }
        }
        for session in sessions.withLock({ Array($0.values) }) { terminate(session) }
    }
}
