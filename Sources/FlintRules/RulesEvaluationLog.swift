import FlintCore
import Foundation
import Synchronization

/// One judged request, as the evaluations endpoint shows it.
public struct RulesEvaluation: Sendable {
    public var id: Int
    public var time: Date
    public var database: String
    public var method: RuleMethod
    /// The document (or, for a list, collection) path below `documents/`.
    public var path: String
    public var auth: UserToken?
    public var decision: RulesDecision
}

/// The most recent evaluations, newest first, bounded so it never grows with traffic.
public final class RulesEvaluationLog: Sendable {
    public let capacity: Int
    private let state = Mutex<(next: Int, entries: [RulesEvaluation], head: Int)>((1, [], 0))

    public init(capacity: Int = 1000) { self.capacity = capacity }

    public func record(database: String, path: String, auth: UserToken?, decision: RulesDecision) {
        let now = Date()
        state.withLock { s in
            let entry = RulesEvaluation(
                id: s.next, time: now, database: database, method: decision.method, path: path, auth: auth,
                decision: decision)
            s.next += 1
            if s.entries.count < capacity {
                s.entries.append(entry)
            } else {
                s.entries[s.head] = entry
                s.head = (s.head + 1) % capacity
            }
        }
    }

    /// Newest first.
    public func recent(limit: Int) -> [RulesEvaluation] {
        state.withLock { s in
            let ordered = Array(s.entries[s.head...]) + Array(s.entries[..<s.head])
            return Array(ordered.reversed().prefix(max(0, limit)))
        }
    }

    public func clear() { state.withLock { $0.entries = []; $0.head = 0 } }
}

extension RulesEvaluation {
    /// `{id, time, database, method, path, auth, allowed, line, column, rule, reason, expression, debug}`.
    public var json: [String: Any] {
        let deciding = decision.deciding
        let failed = decision.outcomes.first(where: { $0.failedExpression != nil })?.failedExpression
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        var authJSON: Any = NSNull()
        if let auth {
            authJSON = ["uid": auth.uid, "token": RuleValue.map(.fields(auth.claims)).json]
        }
        return [
            "id": id,
            "time": formatter.string(from: time),
            "database": database,
            "method": method.rawValue,
            "path": path,
            "auth": authJSON,
            "allowed": decision.allowed,
            "line": deciding.map { $0.statement.position.line as Any } ?? NSNull(),
            "column": deciding.map { $0.statement.position.column as Any } ?? NSNull(),
            "rule": deciding.map { $0.statement.text as Any } ?? NSNull(),
            "reason": decision.allowed ? "allowed by '\(decision.method.rawValue)' @ L\(deciding?.statement.position.line ?? 0)" : decision.reason,
            "expression": decision.allowed ? NSNull() : (failed.map { $0.text as Any } ?? NSNull()),
            "debug": decision.debug,
        ]
    }
}

extension RuleValue {
    /// A JSON-ready form (for the evaluation log's token claims).
    public var json: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let b): return b
        case .int(let i): return i
        case .float(let d): return d.isFinite ? d : String(d)
        case .string(let s): return s
        case .list(let l), .set(let l): return l.map(\.json)
        case .map(let m): return m.dictionary.mapValues(\.json)
        default: return description
        }
    }
}
