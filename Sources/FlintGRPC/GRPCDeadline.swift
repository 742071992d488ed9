import FlintCore
import GRPCCore

/// The deadline a client sent (`grpc-timeout`), counted from when the call arrived.
///
/// grpc-swift enforces it by flagging the call as cancelled, not by cancelling the handler's task,
/// so `run` turns that flag into task cancellation (which also interrupts SQLite statements).
struct GRPCDeadline: Sendable {
    let timeout: Duration?
    let start = ContinuousClock.now

    init(_ metadata: Metadata) {
        timeout = metadata[stringValues: "grpc-timeout"].first(where: { _ in true }).flatMap(Self.parse)
    }

    /// `grpc-timeout`: up to 8 digits and a unit (H, M, S, m, u, n).
    static func parse(_ value: String) -> Duration? {
        guard let unit = value.last, value.count >= 2, value.count <= 9, let amount = Int64(value.dropLast()) else {
            return nil
        }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }

    var hasPassed: Bool { timeout.map { ContinuousClock.now - start >= $0 } ?? false }

    /// Why a call stopped early: its deadline passed, or it was cancelled (client gone, shutdown).
    var stopReason: FirestoreError {
        if hasPassed, let timeout { return FirestoreError(.deadlineExceeded, "Deadline exceeded: the call took longer than its \(timeout) deadline.") }
        return FirestoreError(.cancelled, "The call was cancelled.")
    }

    /// Runs `body` in a task that is cancelled as soon as gRPC cancels the call; an error that
    /// follows the cancellation is reported as DEADLINE_EXCEEDED or CANCELLED.
    func run<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let task = Task { try await body() }
        do {
            return try await withTaskCancellationHandler {
                try await withRPCCancellationHandler { try await task.value } onCancelRPC: { task.cancel() }
            } onCancel: {
                task.cancel()
            }
        } catch where task.isCancelled {
            throw stopReason
        }
    }
}
