import FlintCore
import FlintStore
import Foundation
import Logging
import Synchronization

/// The dispatcher's bookkeeping, guarded by one lock.
struct DispatchState {
    /// Events per lane (trigger + document; one event per lane in shuffle mode), delivered in order.
    var lanes: [String: [OutboxEvent]] = [:]
    /// Lanes with an event to deliver and no delivery running.
    var ready: [String] = []
    /// Lanes with a delivery running or waiting to retry.
    var busy: Set<String> = []
    /// Events held by shuffle mode until the window closes.
    var held: [OutboxEvent] = []
    var releaseScheduled = false
    /// Recovered events whose trigger is not registered (yet).
    var orphans: [String: [OutboxEvent]] = [:]
    /// Deliveries running (not counting those waiting to retry).
    var running = 0
    /// Events accepted and not finished.
    var pending = 0
    var paused = false
    /// Finished events still to be removed from the outbox, and whether a removal is running.
    var finished: [Int64] = []
    var flushing = false
    var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    var nextWaiter: UInt64 = 0

    var idle: Bool { pending == 0 && finished.isEmpty && !flushing }
}

/// What the dispatcher is doing.
public struct TriggerActivity: Sendable, Codable {
    public var pending: Int
    public var running: Int
    public var paused: Bool
    /// Recovered events waiting for their trigger to be registered.
    public var waitingForTrigger: Int
}

extension TriggerRuntime {
    static func laneKey(_ e: OutboxEvent, mode: DeliveryMode) -> String {
        mode == .shuffle ? "\(e.id)" : "\(e.trigger)\u{0}\(e.database.resourceName)\u{0}\(e.path)"
    }

    func enqueue(_ events: [OutboxEvent]) {
        let shuffle = options.mode == .shuffle
        let scheduleRelease = state.withLock { s -> Bool in
            for e in events {
                guard trigger(e.trigger) != nil else {
                    s.orphans[e.trigger, default: []].append(e)
                    continue
                }
                s.pending += 1
                if shuffle {
                    s.held.append(e)
                } else {
                    add(e, to: &s)
                }
            }
            guard shuffle, !s.held.isEmpty, !s.releaseScheduled else { return false }
            s.releaseScheduled = true
            return true
        }
        if scheduleRelease {
            let window = options.shuffleWindow
            Task {
                try? await Task.sleep(for: window)
                state.withLock { s in
                    s.releaseScheduled = false
                    for e in s.held.shuffled() { add(e, to: &s) }
                    s.held = []
                    s.ready.shuffle()
                }
                pump()
            }
        }
        pump()
    }

    private func add(_ e: OutboxEvent, to s: inout DispatchState) {
        let key = Self.laneKey(e, mode: options.mode)
        if s.lanes[key] == nil, !s.busy.contains(key) { s.ready.append(key) }
        s.lanes[key, default: []].append(e)
    }

    /// Starts deliveries while there is work and room.
    func pump() {
        var starts: [(String, OutboxEvent)] = []
        state.withLock { s in
            while !s.paused, s.running < options.concurrency, !s.ready.isEmpty {
                let key = s.ready.removeFirst()
                guard var lane = s.lanes[key], !lane.isEmpty else { continue }
                let event = lane.removeFirst()
                s.lanes[key] = lane
                s.busy.insert(key)
                s.running += 1
                starts.append((key, event))
            }
        }
        for (key, event) in starts {
            Task { await self.run(event, lane: key) }
        }
    }

    /// Delivers one event (twice in duplicate mode), retrying as its trigger asks.
    private func run(_ event: OutboxEvent, lane: String) async {
        var event = event
        for _ in 0..<(options.mode == .duplicate ? 2 : 1) {
            while true {
                event.attempts += 1
                let outcome = await deliver(event)
                let retry = outcome.error != nil && shouldRetry(event)
                history.add(outcome.run(status: outcome.error == nil ? .succeeded : (retry ? .retrying : .failed)))
                guard retry else { break }
                // Waiting to retry keeps the lane (order per document) but frees the slot.
                state.withLock { $0.running -= 1 }
                pump()
                if durableOutbox {
                    try? await service.store.write { [event] in try $0.setOutboxAttempts(event.id, event.attempts) }
                }
                try? await Task.sleep(for: backoff(attempt: event.attempts))
                await waitWhilePaused()
                state.withLock { $0.running += 1 }
            }
        }
        finish(event, lane: lane)
    }

    private func shouldRetry(_ event: OutboxEvent) -> Bool {
        guard let trigger = trigger(event.trigger), trigger.retry else { return false }
        return Timestamps.nowMicros() - event.commitTime < Timestamps.micros(options.retryWindow)
    }

    /// base · 2^(attempt−1), at most the cap.
    func backoff(attempt: Int) -> Duration {
        let base = Double(Timestamps.micros(options.retryBase))
        let cap = Double(Timestamps.micros(options.retryCap))
        return .microseconds(Int64(min(cap, base * pow(2, Double(max(0, attempt - 1))))))
    }

    private func finish(_ event: OutboxEvent, lane: String) {
        let flush = state.withLock { s -> Bool in
            s.running -= 1
            s.pending -= 1
            s.busy.remove(lane)
            if let rest = s.lanes[lane], !rest.isEmpty {
                s.ready.append(lane)
            } else {
                s.lanes[lane] = nil
            }
            guard durableOutbox else { return false }
            s.finished.append(event.id)
            guard !s.flushing else { return false }
            s.flushing = true
            return true
        }
        pump()
        if flush { Task { await flushFinished() } } else if !durableOutbox { wakeWaitersIfIdle() }
    }

    /// Removes finished events from the outbox, many per SQLite transaction.
    private func flushFinished() async {
        while true {
            let ids = state.withLock { s -> [Int64] in
                let ids = s.finished
                s.finished = []
                if ids.isEmpty { s.flushing = false }
                return ids
            }
            if ids.isEmpty { break }
            do {
                try await service.store.write { try $0.removeOutbox(ids) }
            } catch {
                // Left in the outbox they would be delivered again after a restart (at least once).
                logger.error("Could not remove \(ids.count) delivered trigger event(s) from the outbox: \(error)")
            }
        }
        wakeWaitersIfIdle()
    }

    private func wakeWaitersIfIdle() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard s.idle else { return [] }
            defer { s.waiters = [:] }
            return Array(s.waiters.values)
        }
        for w in waiters { w.resume() }
    }

    // MARK: pause, resume, quiescence

    public func pause() { state.withLock { $0.paused = true } }

    public func resume() {
        state.withLock { $0.paused = false }
        pump()
    }

    private func waitWhilePaused() async {
        while state.withLock({ $0.paused }) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Up to `limit` recent runs, newest first, optionally only one trigger's.
    public func runs(limit: Int, trigger: String? = nil) -> [TriggerRun] { history.recent(limit: limit, trigger: trigger) }

    public var activity: TriggerActivity {
        state.withLock { s in
            TriggerActivity(
                pending: s.pending, running: s.running, paused: s.paused,
                waitingForTrigger: s.orphans.values.reduce(0) { $0 + $1.count })
        }
    }

    /// Returns once no event is pending or being delivered (including events caused by trigger
    /// writes) and delivered events have left the outbox; throws DEADLINE_EXCEEDED after `timeout`.
    public func waitUntilIdle(timeout: Duration) async throws {
        let id = state.withLock { s -> UInt64? in
            guard !s.idle else { return nil }
            s.nextWaiter += 1
            return s.nextWaiter
        }
        guard let id else { return }
        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow = self.state.withLock { s -> Bool in
                        if s.idle { return true }
                        s.waiters[id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if Task.isCancelled { return false }
                guard let waiter = self.state.withLock({ $0.waiters.removeValue(forKey: id) }) else { return false }
                waiter.resume()
                return true
            }
            var timedOut = false
            if let first = await group.next() { timedOut = first }
            group.cancelAll()
            for await other in group { timedOut = timedOut || other }
            return timedOut
        }
        if timedOut {
            let a = activity
            let seconds = Double(Timestamps.micros(timeout)) / 1e6
            throw FirestoreError(
                .deadlineExceeded,
                "Triggers still busy after \(seconds) s: \(a.pending) event(s) pending, \(a.running) delivery(ies) running\(a.paused ? "; delivery is paused" : "").")
        }
    }
}
