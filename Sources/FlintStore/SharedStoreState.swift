import FlintCore
import Synchronization

/// What every reader and the writer of one store share: cached row ids, the commit clock and the
/// index exemptions.
final class SharedStoreState: Sendable {
    let rowIDs = RowIDCache()
    let clock = CommitClock()
    private let exemptions = Mutex(IndexExemptions())

    /// The fields the index leaves out, by collection group.
    var indexExemptions: IndexExemptions {
        get { exemptions.withLock { $0 } }
        set { exemptions.withLock { $0 = newValue } }
    }
}

/// Row ids of databases and scopes, so hot paths skip their lookups.
final class RowIDCache: Sendable {
    struct ScopeKey: Hashable {
        var db: Int64
        var kind: Int
        var parent: String
        var cid: String

        // Byte identity, as in SQLite; String equality would merge canonically equivalent ids.
        static func == (a: ScopeKey, b: ScopeKey) -> Bool {
            a.db == b.db && a.kind == b.kind && a.parent.utf8.elementsEqual(b.parent.utf8)
                && a.cid.utf8.elementsEqual(b.cid.utf8)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(db)
            hasher.combine(kind)
            hasher.combine(utf8: parent)
            hasher.combine(utf8: cid)
        }
    }
    private struct State {
        var databases: [DatabaseID: Int64] = [:]
        var scopes: [ScopeKey: Int64] = [:]
    }
    private let state = Mutex(State())

    func database(_ id: DatabaseID) -> Int64? { state.withLock { $0.databases[id] } }
    func setDatabase(_ id: DatabaseID, _ row: Int64) { state.withLock { $0.databases[id] = row } }
    func scope(_ key: ScopeKey) -> Int64? { state.withLock { $0.scopes[key] } }
    func setScope(_ key: ScopeKey, _ row: Int64) { state.withLock { $0.scopes[key] = row } }
    /// Forgets every row id (after a rollback, which may have undone the rows).
    func reset() { state.withLock { $0 = State() } }
}

/// Hands out commit times: strictly increasing, and never behind the wall clock.
final class CommitClock: Sendable {
    /// The last commit time handed out (microseconds), and the first one of the write transaction
    /// in progress; only the serial writer advances it.
    private let state = Mutex<(last: Int64, inFlight: Int64?)>((0, nil))

    func setLastCommit(_ t: Int64) { state.withLock { $0.last = t } }
    var lastCommitTime: Int64 { state.withLock { $0.last } }

    /// The next commit time: `now`, but always after the previous one.
    func nextCommitTime(now: Int64) -> Int64 {
        state.withLock { clock in
            clock.last = max(now, clock.last + 1)
            if clock.inFlight == nil { clock.inFlight = clock.last }
            return clock.last
        }
    }

    /// The write transaction that took commit times has committed or rolled back.
    func endCommit() { state.withLock { $0.inFlight = nil } }

    /// A time for a new snapshot: every commit at or before it has finished, none after it has
    /// started, so reads at it never change.
    func snapshotTime(now: Int64) -> Int64 {
        state.withLock { clock in
            let bound = clock.inFlight.map { $0 - 1 } ?? max(now, clock.last)
            return min(max(now, clock.last), bound)
        }
    }
}
