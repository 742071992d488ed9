import Foundation
import Synchronization

/// The values every expression of a ruleset has taken, and how often, since it was loaded.
public final class RulesCoverage: Sendable {
    struct Counts: Sendable {
        /// How often each expression took each `CoverageMark` kind, at `id * kindCount + kind`.
        var kinds: [Int]
        var errors: [Int: [String: Int]] = [:]
        var statements: [Int: (allowed: Int, denied: Int, errors: Int)] = [:]

        static let kindCount = CoverageMark.labels.count

        func values(_ id: Int) -> [String: Int] {
            var out: [String: Int] = [:]
            for k in 0..<Self.kindCount where k != Int(CoverageMark.error) {
                let n = kinds[id * Self.kindCount + k]
                if n > 0 { out[CoverageMark.labels[k]] = n }
            }
            for (m, n) in errors[id] ?? [:] { out["error: " + m] = n }
            return out
        }
    }

    let expressions: [RuleExpr]
    let statements: [AllowStatement]
    private let counts: Mutex<Counts>

    init(_ file: RulesFile) {
        var exprs: [RuleExpr] = []
        var stmts: [AllowStatement] = []
        func collect(_ e: RuleExpr) {
            exprs.append(e)
            switch e.kind {
            case .literal, .identifier: break
            case .member(let b, _): collect(b)
            case .index(let a, let b): collect(a); collect(b)
            case .slice(let a, let b, let c): collect(a); b.map(collect); c.map(collect)
            case .call(_, let args): args.forEach(collect)
            case .method(let b, _, let args): collect(b); args.forEach(collect)
            case .unary(_, let x): collect(x)
            case .binary(_, let a, let b): collect(a); collect(b)
            case .ternary(let a, let b, let c): collect(a); collect(b); collect(c)
            case .isType(let x, _): collect(x)
            case .list(let items): items.forEach(collect)
            case .map(let entries): entries.forEach { collect($0.0); collect($0.1) }
            case .path(let parts): for case .expression(let x) in parts { collect(x) }
            }
        }
        func function(_ f: RuleFunction) {
            f.bindings.forEach { collect($0.value) }
            collect(f.body)
        }
        func block(_ b: MatchBlock) {
            b.functions.forEach(function)
            for a in b.allows {
                stmts.append(a)
                a.condition.map(collect)
            }
            b.children.forEach(block)
        }
        file.functions.forEach(function)
        file.matches.forEach(block)
        counts = Mutex(Counts(kinds: Array(repeating: 0, count: Counts.kindCount * file.expressionCount)))
        expressions = exprs.sorted { $0.range.start.offset < $1.range.start.offset || ($0.range.start.offset == $1.range.start.offset && $0.range.end > $1.range.end) }
        statements = stmts
    }

    func record(_ marks: CoverageMarks, statements outcomes: [(AllowStatement, StatementOutcome.Result)]) {
        counts.withLock { c in
            let total = c.kinds.count
            c.kinds.withUnsafeMutableBufferPointer { kinds in
                for m in marks.marks where m & 31 != UInt32(CoverageMark.error) {
                    let slot = Int(m >> 5) * Counts.kindCount + Int(m & 31)
                    if slot < total { kinds[slot] += 1 }
                }
            }
            for (id, message) in marks.errors where id * Counts.kindCount < total {
                c.errors[id, default: [:]][message, default: 0] += 1
            }
            for (s, r) in outcomes {
                var t = c.statements[s.position.offset] ?? (0, 0, 0)
                switch r {
                case .allowed: t.allowed += 1
                case .denied: t.denied += 1
                case .error: t.errors += 1
                }
                c.statements[s.position.offset] = t
            }
        }
    }

    /// `{"statements": [...], "expressions": [{line, column, text, values: [{value, count}]}]}`.
    public func report() -> [String: Any] {
        let c = counts.withLock { $0 }
        let stmts: [[String: Any]] = statements.map { s in
            let t = c.statements[s.position.offset] ?? (0, 0, 0)
            return [
                "line": s.position.line, "column": s.position.column, "text": s.text,
                "allowed": t.allowed, "denied": t.denied, "errors": t.errors,
            ]
        }
        let exprs: [[String: Any]] = expressions.map { e in
            let values = c.values(e.id).sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
            return [
                "line": e.range.start.line, "column": e.range.start.column, "text": e.sourceText ?? "",
                "evaluations": values.reduce(0) { $0 + $1.value },
                "values": values.map { ["value": $0.key, "count": $0.value] as [String: Any] },
            ]
        }
        return ["statements": stmts, "expressions": exprs]
    }

    /// The rules source with each expression's values, for a browser.
    public func html(source: String) -> String {
        func esc(_ s: String) -> String {
            s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let c = counts.withLock { $0 }
        var byLine: [Int: [RuleExpr]] = [:]
        for e in expressions { byLine[e.range.start.line, default: []].append(e) }
        var rows = ""
        for (i, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let n = i + 1
            var notes: [String] = []
            for e in byLine[n] ?? [] {
                let values = c.values(e.id).sorted { $0.value > $1.value }
                let seen = values.isEmpty ? "never evaluated" : values.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
                notes.append("<li class=\"\(values.isEmpty ? "miss" : "hit")\"><code>\(esc(e.sourceText ?? ""))</code> → \(esc(seen))</li>")
            }
            rows += "<tr><td class=n>\(n)</td><td><pre>\(esc(String(line)))</pre>"
            if !notes.isEmpty { rows += "<ul>\(notes.joined())</ul>" }
            rows += "</td></tr>\n"
        }
        return """
            <!doctype html><html><head><meta charset="utf-8"><title>Rule coverage</title><style>
            body{font-family:sans-serif} pre{margin:0} td.n{color:#888;text-align:right;vertical-align:top;padding-right:1em}
            ul{margin:.2em 0 .6em 1em;font-size:.85em} li.miss{color:#b00} li.hit{color:#060}
            </style></head><body><h1>Firestore rule coverage</h1><table>
            \(rows)</table></body></html>
            """
    }
}
