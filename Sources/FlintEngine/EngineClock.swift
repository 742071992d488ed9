import FlintCore
import Synchronization

/// The engine's notion of now: real time by default; tests set it (it then stands still) or move
/// it forward instead of sleeping. Commit times of events are read through it too, so an order
/// written while the clock is set happened at the clock's time.
final class EngineClock: Sendable {
    private struct State {
        /// Set: time stands still here.
        var fixed: Int64?
        /// Added to real time while not fixed.
        var offset: Int64 = 0
    }
    private let state = Mutex(State())

    var now: Int64 { time(ofCommit: Timestamps.nowMicros()) }

    var isFixed: Bool { state.withLock { $0.fixed != nil } }

    /// Engine time of something that happened at real time `commit`.
    func time(ofCommit commit: Int64) -> Int64 {
        state.withLock { $0.fixed ?? commit + $0.offset }
    }

    func set(_ micros: Int64) { state.withLock { $0.fixed = micros } }

    func advance(_ micros: Int64) {
        state.withLock { s in
            if let f = s.fixed { s.fixed = f + micros } else { s.offset += micros }
        }
    }

    func reset() { state.withLock { $0 = State() } }
}
