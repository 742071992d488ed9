import FlintCore
import FlintStore

/// Delivering a recorded event again: how a handler being debugged is rerun on the event that
/// failed, once it has been fixed.
extension TriggerRuntime {
    /// The run numbered `id` and the event it delivered (nil for a run the cascade guard
    /// stopped), while the run history still holds it.
    public func run(_ id: Int64) -> (run: TriggerRun, event: OutboxEvent?)? {
        history.recorded(id).map { ($0.run, $0.event) }
    }

    /// Delivers the event of run `id` to its trigger once more, now, and returns the new run
    /// (recorded in the history with `replayOf` = `id`).
    ///
    /// The event keeps its id, time and snapshots, as a retry would; it is one attempt, outside
    /// the per-document order and the pause of ordinary delivery, and not retried.
    public func replay(run id: Int64) async throws -> TriggerRun {
        guard let recorded = history.recorded(id) else {
            throw FirestoreError(
                .notFound, "Trigger run \(id) is not in the run history (it keeps the last \(history.capacity) runs).")
        }
        guard var event = recorded.event else {
            throw FirestoreError(
                .failedPrecondition,
                "Trigger run \(id) delivered no event (status \(recorded.run.status.rawValue)); there is nothing to replay.")
        }
        guard registry[event.trigger] != nil else {
            throw FirestoreError(.failedPrecondition, "Trigger \(event.trigger) of run \(id) is no longer registered.")
        }
        event.attempts = 1
        let outcome = await dispatcher.deliver(event)
        var run = outcome.run(status: outcome.error == nil ? .succeeded : .failed)
        run.replayOf = id
        return history.add(run, event: event)
    }
}
