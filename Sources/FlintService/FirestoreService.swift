import FlintCore
import FlintProto
import FlintStore
import Foundation
import Logging
import Synchronization

/// Who is calling, and from how deep in a trigger cascade.
public struct CallContext: Sendable {
    public var auth: Authorization
    /// 0 for clients; n + 1 for writes made by a trigger handling an event of depth n.
    public var triggerDepth: Int
    public init(auth: Authorization, triggerDepth: Int = 0) {
        self.auth = auth
        self.triggerDepth = triggerDepth
    }

    /// Admin callers (`Bearer owner`, Flint's own work) may use the metadata operations.
    public var isAdmin: Bool { auth.isAdmin }
}

/// Takes part in every commit that changed documents (the trigger outbox does).
public protocol CommitHook: Sendable {
    /// Runs inside the commit's SQLite transaction, after its writes: whatever it writes commits
    /// or rolls back with them. Returns work to run once the transaction has committed.
    /// `context` is the caller's: who made the write, and how deep in a trigger cascade.
    func prepare(_ records: [CommitRecord], context: CallContext, writer: StoreWriter) throws -> (@Sendable () -> Void)?
}

/// Everything a commit changed, published after it is durable.
public struct CommitRecord: Sendable {
    public var commitTime: Int64
    public var changes: [DocumentChange]
    /// The whole store was replaced at `commitTime` (a snapshot restored): `changes` is empty and
    /// every listener must compare its targets with the store again.
    public var replacedEverything = false
}

/// The Firestore v1 operations, written once and called by every transport.
///
/// Requests and responses are the generated `google.firestore.v1` messages, so REST and gRPC
/// differ only in how they carry them.
public final class FirestoreService: Sendable {
    let store: DocumentStore
    let logger: Logger
    let commitObservers: CommitObservers
    let transactions: TransactionRegistry
    let commitHook = Mutex<(any CommitHook)?>(nil)
    /// The security rules in force for client requests (`FirestoreService+Rules.swift`).
    let rulesState = RulesState()
    /// When kept versions were last pruned (microseconds).
    let lastPrune = Mutex<Int64>(0)

    /// `transactionLifetime` and `transactionIdle` bound transactions (production: 270 s and 60 s).
    public init(
        store: DocumentStore, logger: Logger = Logger(label: "flint.service"),
        transactionLifetime: Duration = .seconds(270), transactionIdle: Duration = .seconds(60)
    ) {
        self.store = store
        self.logger = logger
        self.commitObservers = CommitObservers()
        self.transactions = TransactionRegistry(
            limits: .init(lifetime: Timestamps.micros(transactionLifetime), idle: Timestamps.micros(transactionIdle)))
    }

    /// Registers a callback that sees every commit that changed documents, in commit order.
    public func observeCommits(_ observer: @escaping @Sendable (CommitRecord) -> Void) {
        commitObservers.add(observer)
    }

    /// Makes `hook` part of every later commit.
    public func setCommitHook(_ hook: any CommitHook) {
        commitHook.withLock { $0 = hook }
    }

    /// Forgets the commit hook and observers, which refer back to the service: called once nothing
    /// commits any more (the application's last step), so the whole object graph can go.
    public func detachFromCommits() {
        commitHook.withLock { $0 = nil }
        commitObservers.removeAll()
    }

    static func requireAdmin(_ context: CallContext, _ what: String = "Metadata operations") throws(FirestoreError) {
        guard context.isAdmin else { throw FirestoreError(.permissionDenied, "\(what) require admin authentication.") }
    }

    /// A snapshot's read time: now, but never before the last commit.
    func readTime(lastCommit: Int64) -> ProtoTimestamp {
        ProtoTimestamp(micros: max(Timestamps.nowMicros(), lastCommit))
    }
}

/// A small registry of commit callbacks.
final class CommitObservers: Sendable {
    private let observers = Mutex<[@Sendable (CommitRecord) -> Void]>([])
    func add(_ o: @escaping @Sendable (CommitRecord) -> Void) { observers.withLock { $0.append(o) } }
    func removeAll() { observers.withLock { $0 = [] } }
    func publish(_ record: CommitRecord) {
        guard !record.changes.isEmpty || record.replacedEverything else { return }
        for o in observers.withLock({ $0 }) { o(record) }
    }
}

/// Parses a `DocumentMask` if the request set one.
func parseMask(_ has: Bool, _ mask: Google_Firestore_V1_DocumentMask) throws(FirestoreError) -> [FieldPath]? {
    guard has else { return nil }
    var out: [FieldPath] = []
    for p in mask.fieldPaths { out.append(try FieldPath(parsing: p)) }
    return out
}
