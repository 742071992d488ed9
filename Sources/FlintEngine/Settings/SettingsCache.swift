import FlintCore
import Synchronization

/// Each database's `EngineSettings`, read from its documents on first use and forgotten when a
/// commit touches `autoApprovalSettings` or `courierIntegrations` (the commit observer calls
/// `invalidate` on the writer, before the writer's caller has its answer), so the next use reads
/// them again: live changes without a read per order.
final class SettingsCache: Sendable {
    private struct Slot {
        /// Bumped by every invalidation: a read begun before one is not kept.
        var generation: UInt64 = 0
        var settings: EngineSettings?
    }
    private let slots = Mutex<[DatabaseID: Slot]>([:])

    /// The cached settings, nil when they must be read.
    func cached(_ database: DatabaseID) -> EngineSettings? {
        slots.withLock { $0[database]?.settings }
    }

    /// The settings of `database`, read with `load` when not cached.
    func settings(_ database: DatabaseID, load: () async throws -> EngineSettings) async throws -> EngineSettings {
        let (generation, cached) = slots.withLock { ($0[database]?.generation ?? 0, $0[database]?.settings) }
        if let cached { return cached }
        let loaded = try await load()
        slots.withLock { s in
            if (s[database]?.generation ?? 0) == generation { s[database, default: Slot()].settings = loaded }
        }
        return loaded
    }

    func invalidate(_ database: DatabaseID) {
        slots.withLock { s in
            s[database, default: Slot()].generation &+= 1
            s[database]?.settings = nil
        }
    }
}

/// Runs work for one key at a time (one booking per order); other keys run side by side.
final class KeyedLock: Sendable {
    private let waiting = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])

    func run<T: Sendable>(_ key: String, _ body: () async throws -> T) async throws -> T {
        await acquire(key)
        defer { release(key) }
        return try await body()
    }

    private func acquire(_ key: String) async {
        let free = waiting.withLock { w -> Bool in
            if w[key] == nil {
                w[key] = []
                return true
            }
            return false
        }
        if free { return }
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now = waiting.withLock { w -> Bool in
                if w[key] == nil {
                    w[key] = []
                    return true
                }
                w[key]!.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release(_ key: String) {
        let next = waiting.withLock { w -> CheckedContinuation<Void, Never>? in
            guard var queue = w[key], !queue.isEmpty else {
                w[key] = nil
                return nil
            }
            let first = queue.removeFirst()
            w[key] = queue
            return first
        }
        next?.resume()
    }
}
