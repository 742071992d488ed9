extension TriggerDispatcher {
    /// Drops every event waiting for delivery (the store was restored to a snapshot, so the
    /// writes that caused them are gone); deliveries already running finish. Returns how many
    /// were dropped.
    @discardableResult
    func discardPending() -> Int {
        let dropped = state.withLock { s -> Int in
            let queued = s.lanes.values.reduce(0) { $0 + $1.count } + s.held.count
            s.lanes = [:]
            s.ready = []
            s.held = []
            s.orphans = [:]
            s.pending -= queued
            return queued
        }
        wakeIdleWaiters()
        return dropped
    }
}

extension TriggerRuntime {
    /// Drops the trigger events not yet delivered (see `TriggerDispatcher.discardPending`).
    @discardableResult
    public func discardPendingEvents() -> Int { dispatcher.discardPending() }
}
