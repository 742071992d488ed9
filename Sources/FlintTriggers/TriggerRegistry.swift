import Synchronization

/// The registered triggers, by key.
final class TriggerRegistry: Sendable {
    private let byKey = Mutex<[String: Trigger]>([:])

    func add(_ trigger: Trigger) { byKey.withLock { $0[trigger.key] = trigger } }
    func remove(_ key: String) -> Bool { byKey.withLock { $0.removeValue(forKey: key) != nil } }
    subscript(key: String) -> Trigger? { byKey.withLock { $0[key] } }
    var all: [String: Trigger] { byKey.withLock { $0 } }
}
