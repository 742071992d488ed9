import FlintCore
import Synchronization

/// One delivery attempt of an event to a trigger, as the run history shows it.
public struct TriggerRun: Sendable, Codable {
    public enum Status: String, Sendable, Codable {
        case succeeded, failed, retrying
        /// Not delivered: the cascade-depth guard stopped it.
        case stopped
    }
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

/// The most recent runs, newest last.
final class RunHistory: Sendable {
    private let runs: Mutex<(items: [TriggerRun], next: Int)>
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        runs = Mutex(([], 0))
    }

    func add(_ run: TriggerRun) {
        runs.withLock { r in
            if r.items.count < capacity {
                r.items.append(run)
            } else {
                r.items[r.next] = run
                r.next = (r.next + 1) % capacity
            }
        }
    }

    /// Up to `limit` runs, newest first, optionally only one trigger's.
    func recent(limit: Int, trigger: String? = nil) -> [TriggerRun] {
        let ordered = runs.withLock { r in Array(r.items[r.next...] + r.items[..<r.next]) }
        return Array(ordered.reversed().lazy.filter { trigger == nil || $0.trigger == trigger }.prefix(limit))
    }
}
