import Foundation
import Logging
import Synchronization

/// Progress of a long import or export: a log line every few seconds with the count and rate,
/// and a bar redrawn in place when standard error is a terminal.
final class ExportProgress: Sendable {
    private struct State {
        var done = 0
        var lastLog: ContinuousClock.Instant
        var lastBar: ContinuousClock.Instant
    }

    private let what: String
    private let total: Int
    private let logger: Logger
    private let started = ContinuousClock.now
    private let state: Mutex<State>
    private let terminal = isatty(STDERR_FILENO) != 0
    static let logEvery: Duration = .seconds(3)

    init(_ what: String, total: Int, logger: Logger) {
        self.what = what
        self.total = total
        self.logger = logger
        state = Mutex(State(lastLog: started, lastBar: started))
    }

    /// Counts `n` more documents done.
    func advance(by n: Int = 1) {
        let now = ContinuousClock.now
        let (line, bar) = state.withLock { s -> (String?, String?) in
            s.done += n
            var line: String?
            var bar: String?
            if now - s.lastLog >= Self.logEvery {
                s.lastLog = now
                line = summary(s.done, now)
            }
            if terminal, now - s.lastBar >= .milliseconds(100) {
                s.lastBar = now
                bar = self.bar(s.done)
            }
            return (line, bar)
        }
        if let bar { FileHandle.standardError.write(Data(bar.utf8)) }
        if let line {
            if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            logger.info("\(line)")
        }
    }

    /// The closing line: how many, how long.
    func finish() {
        let done = state.withLock { $0.done }
        if terminal { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        logger.info("\(summary(done, ContinuousClock.now)) — done")
    }

    private func summary(_ done: Int, _ now: ContinuousClock.Instant) -> String {
        let seconds = max(Double((now - started).components.attoseconds) / 1e18 + Double((now - started).components.seconds), 1e-6)
        let rate = Int(Double(done) / seconds)
        return "\(what): \(done) of \(total) documents (\(rate)/s)"
    }

    private func bar(_ done: Int) -> String {
        let width = 30
        let filled = total > 0 ? min(width, done * width / total) : width
        let percent = total > 0 ? done * 100 / total : 100
        return "\r\(what) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            + "] \(percent)% \(done)/\(total)"
    }
}
