import FlintCore
import FlintService
import FlintStore
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// Delivers queued trigger events: asynchronously after their commit, with bounded concurrency, in
/// order per trigger and document, retried with backoff when the trigger asks for it.
///
/// A service: its `run()` owns every delivery task. At graceful shutdown it keeps delivering until
/// nothing is pending (cascades included) or `shutdownGrace` has passed, then stops what is left;
/// a durable outbox still holds those events for the next start.
public final class TriggerDispatcher: Service, Sendable {
    let service: FirestoreService
    let registry: TriggerRegistry
    let history: RunHistory
    let outbox: any TriggerOutbox
    let options: TriggerRuntime.Options
    let logger: Logger
    let http: HTTPDelivery
    let state = Mutex(DispatchState())
    /// Work for `run()` to start as tasks of its own.
    private let work = AsyncStream.makeStream(of: Work.self)

    enum Work: Sendable {
        /// Deliver the first event of a lane.
        case deliver(lane: String, event: OutboxEvent)
        /// Release the events shuffle mode holds, after its window.
        case releaseHeld
        /// Remove finished events from the outbox.
        case removeFinished
    }

    init(
        service: FirestoreService, registry: TriggerRegistry, history: RunHistory, outbox: any TriggerOutbox,
        options: TriggerRuntime.Options, logger: Logger
    ) {
        self.service = service
        self.registry = registry
        self.history = history
        self.outbox = outbox
        self.options = options
        self.logger = logger
        self.http = HTTPDelivery(concurrency: options.concurrency, timeout: options.httpTimeout)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.drainAtShutdown() }
            for await item in work.stream {
                group.addTask {
                    switch item {
                    case .deliver(let lane, let event): await self.run(event, lane: lane)
                    case .releaseHeld: await self.releaseHeld()
                    case .removeFinished: await self.removeFinished()
                    }
                }
            }
            // The stream ended: shutdown (drained, or out of grace) or cancellation.
            group.cancelAll()
        }
        stop()
        await http.shutdown()
    }

    /// Waits for graceful shutdown, then for the pending events (at most `shutdownGrace`), then
    /// ends the stream of deliveries.
    private func drainAtShutdown() async {
        defer { work.continuation.finish() }
        guard (try? await gracefulShutdown()) != nil else { return }
        // Paused delivery stays paused: nothing to wait for.
        let drained = activity.paused ? false : (try? await waitUntilIdle(timeout: options.shutdownGrace)) != nil
        let left = activity.pending
        if !drained, left > 0 {
            let kept = outbox is SQLiteTriggerOutbox ? "; the outbox keeps them for the next start" : ""
            logger.warning("Shutting down with \(left) trigger event(s) undelivered\(kept).")
        }
    }
}

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
    /// Set once the dispatcher has stopped: nothing waits for a resume any more.
    var stopped = false
    /// Deliveries waiting to retry while delivery is paused.
    var pauseWaiters: [CheckedContinuation<Void, Never>] = []
    /// Finished events still to be removed from the outbox, and whether a removal is running.
    var finished: [Int64] = []
    var flushing = false
    var idleWaiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
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

extension TriggerDispatcher {
    static func laneKey(_ e: OutboxEvent, mode: DeliveryMode) -> String {
        mode == .shuffle ? "\(e.id)" : "\(e.trigger)\u{0}\(e.database.resourceName)\u{0}\(e.path)"
    }

    /// Queues events for delivery (those of unregistered triggers wait for them).
    func enqueue(_ events: [OutboxEvent]) {
        let shuffle = options.mode == .shuffle
        let scheduleRelease = state.withLock { s -> Bool in
            for e in events {
                guard registry[e.trigger] != nil else {
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
        if scheduleRelease { work.continuation.yield(.releaseHeld) }
        pump()
    }

    private func releaseHeld() async {
        try? await Task.sleep(for: options.shuffleWindow)
        state.withLock { s in
            s.releaseScheduled = false
            for e in s.held.shuffled() { add(e, to: &s) }
            s.held = []
            s.ready.shuffle()
        }
        pump()
    }

    /// Queues the recovered events that waited for `trigger` to be registered.
    func release(orphansOf trigger: String) {
        let recovered = state.withLock { $0.orphans.removeValue(forKey: trigger) ?? [] }
        if !recovered.isEmpty { enqueue(recovered) }
    }

    private func add(_ e: OutboxEvent, to s: inout DispatchState) {
        let key = Self.laneKey(e, mode: options.mode)
        if s.lanes[key] == nil, !s.busy.contains(key) { s.ready.append(key) }
        s.lanes[key, default: []].append(e)
    }

    /// Starts deliveries while there is work and room.
    func pump() {
        var starts: [Work] = []
        state.withLock { s in
            while !s.paused, !s.stopped, s.running < options.concurrency, !s.ready.isEmpty {
                let key = s.ready.removeFirst()
                guard var lane = s.lanes[key], !lane.isEmpty else { continue }
                let event = lane.removeFirst()
                s.lanes[key] = lane
                s.busy.insert(key)
                s.running += 1
                starts.append(.deliver(lane: key, event: event))
            }
        }
        for item in starts { work.continuation.yield(item) }
    }

    /// Delivers one event (twice in duplicate mode), retrying as its trigger asks. A delivery
    /// stopped by shutdown leaves its event undelivered.
    private func run(_ event: OutboxEvent, lane: String) async {
        var event = event
        for _ in 0..<(options.mode == .duplicate ? 2 : 1) {
            while true {
                event.attempts += 1
                let outcome = await deliver(event)
                if Task.isCancelled, outcome.error != nil { return }
                let retry = outcome.error != nil && shouldRetry(event)
                history.add(
                    outcome.run(status: outcome.error == nil ? .succeeded : (retry ? .retrying : .failed)), event: event)
                guard retry else { break }
                // Waiting to retry keeps the lane (order per document) but frees the slot.
                state.withLock { $0.running -= 1 }
                pump()
                try? await outbox.recordAttempts(event)
                try? await Task.sleep(for: backoff(attempt: event.attempts))
                await waitWhilePaused()
                if Task.isCancelled { return }
                state.withLock { $0.running += 1 }
            }
        }
        finish(event, lane: lane)
    }

    private func shouldRetry(_ event: OutboxEvent) -> Bool {
        guard let trigger = registry[event.trigger], trigger.retry else { return false }
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
            s.finished.append(event.id)
            guard !s.flushing else { return false }
            s.flushing = true
            return true
        }
        pump()
        if flush { work.continuation.yield(.removeFinished) }
    }

    /// Removes finished events from the outbox, many at a time.
    private func removeFinished() async {
        while true {
            let ids = state.withLock { s -> [Int64] in
                let ids = s.finished
                s.finished = []
                if ids.isEmpty { s.flushing = false }
                return ids
            }
            if ids.isEmpty { break }
            do {
                try await outbox.remove(ids)
            } catch {
                // Left in the outbox they would be delivered again after a restart (at least once).
                logger.error("Could not remove \(ids.count) delivered trigger event(s) from the outbox: \(error)")
            }
        }
        wakeIdleWaiters()
    }

    func wakeIdleWaiters() {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            guard s.idle else { return [] }
            defer { s.idleWaiters = [:] }
            return Array(s.idleWaiters.values)
        }
        for w in waiters { w.resume() }
    }

    // MARK: pause, resume, stop, quiescence

    func pause() { state.withLock { $0.paused = true } }

    func resume() {
        let waiters = state.withLock { s in
            s.paused = false
            defer { s.pauseWaiters = [] }
            return s.pauseWaiters
        }
        for w in waiters { w.resume() }
        pump()
    }

    /// After `run()`: no delivery starts again, and nothing waits for a resume.
    private func stop() {
        let waiters = state.withLock { s in
            s.stopped = true
            defer { s.pauseWaiters = [] }
            return s.pauseWaiters
        }
        for w in waiters { w.resume() }
    }

    private func waitWhilePaused() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let wait = state.withLock { s in
                guard s.paused, !s.stopped else { return false }
                s.pauseWaiters.append(c)
                return true
            }
            if !wait { c.resume() }
        }
    }

    var activity: TriggerActivity {
        state.withLock { s in
            TriggerActivity(
                pending: s.pending, running: s.running, paused: s.paused,
                waitingForTrigger: s.orphans.values.reduce(0) { $0 + $1.count })
        }
    }

    func waitUntilIdle(timeout: Duration) async throws {
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
                        s.idleWaiters[id] = c
                        return false
                    }
                    if resumeNow { c.resume() }
                }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                if Task.isCancelled { return false }
                guard let waiter = self.state.withLock({ $0.idleWaiters.removeValue(forKey: id) }) else { return false }
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
