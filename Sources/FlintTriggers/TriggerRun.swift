import FlintCore
import FlintStore
import Synchronization

/// One delivery attempt of an event to a trigger, as the run history shows it.
public struct TriggerRun: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case succeeded, failed, retrying
        /// Not delivered: the cascade-depth guard stopped it.
        case stopped
    }
    /// Numbers the runs of this process, from 1 (set when the run is recorded).
    public var id: Int64 = 0
    /// The run this one replayed (`TriggerRuntime.replay`), if any.
    public var replayOf: Int64?
    public var trigger: String
    public var eventID: String
    public var kind: DocumentEventKind
    /// The document's full resource name.
    public var document: String
    public var status: Status
    /// Delivery attempts so far, this one included.
    public var attempts: Int
    /// Start time, microseconds since the epoch.
    public var started: Int64
    /// Microseconds.
    public var duration: Int64
    public var error: String?
    /// Documents the handler wrote (in-process triggers).
    public var writes: [String]
    public var depth: Int
}

extension DocumentEventKind: Codable {}

/// A recorded run with the event it delivered (nil for a run that delivered nothing), kept so the
/// event can be shown and delivered again.
struct RecordedRun: Sendable {
    var run: TriggerRun
    var event: OutboxEvent?
}

/// The most recent runs, newest last.
final class RunHistory: Sendable {
    private let runs: Mutex<(items: [RecordedRun], next: Int, lastID: Int64)>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        runs = Mutex(([], 0, 0))
    }

    /// Records `run` (and the event it delivered), numbering it; returns it with its id.
    @discardableResult
    func add(_ run: TriggerRun, event: OutboxEvent? = nil) -> TriggerRun {
        runs.withLock { r in
            r.lastID += 1
            var run = run
            run.id = r.lastID
            let recorded = RecordedRun(run: run, event: event)
            if r.items.count < capacity {
                r.items.append(recorded)
            } else {
                r.items[r.next] = recorded
                r.next = (r.next + 1) % capacity
            }
            return run
        }
    }

    /// Up to `limit` runs, newest first, optionally only one trigger's.
    func recent(limit: Int, trigger: String? = nil) -> [TriggerRun] {
        let ordered = runs.withLock { r in Array(r.items[r.next...] + r.items[..<r.next]) }
        return Array(ordered.reversed().lazy.map(\.run).filter { trigger == nil || $0.trigger == trigger }.prefix(limit))
    }

    /// The run numbered `id`, while the history still holds it.
    func recorded(_ id: Int64) -> RecordedRun? {
        runs.withLock { r in
            // Ids grow by one per run, so the run sits at a known distance from the newest.
            guard let newest = r.items.isEmpty ? nil : r.items[(r.next + r.items.count - 1) % r.items.count] else {
                return nil
            }
            let back = newest.run.id - id
            guard back >= 0, back < Int64(r.items.count) else { return nil }
            let index = (r.next + r.items.count - 1 - Int(back)) % r.items.count
            return r.items[index].run.id == id ? r.items[index] : nil
        }
    }
}
