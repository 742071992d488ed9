import FlintCore
import Synchronization

/// Everything a rule sees of one request, besides the documents it may read.
public struct RulesRequest: Sendable {
    public var method: RuleMethod
    public var target: RulesTarget
    /// `request.auth`: nil when unauthenticated.
    public var auth: UserToken?
    public var time: RuleTimestamp
    /// `resource`: the stored document (`.null` when absent); for a list, what the query fixes.
    public var resource: RuleValue
    /// `request.resource`, for create and update.
    public var requestResource: RuleValue?
    /// `request.query` (`limit`, `offset`, `orderBy`), for a list.
    public var query: RuleValue?
    /// How many documents `get()`/`exists()` may read: 10 for one document, 20 for several.
    public var accessLimit: Int

    public init(
        method: RuleMethod, target: RulesTarget, auth: UserToken?, time: RuleTimestamp, resource: RuleValue,
        requestResource: RuleValue? = nil, query: RuleValue? = nil, accessLimit: Int = 10
    ) {
        self.method = method
        self.target = target
        self.auth = auth
        self.time = time
        self.resource = resource
        self.requestResource = requestResource
        self.query = query
        self.accessLimit = accessLimit
    }

    /// `request.auth`: `{uid, token}` with every claim of the token.
    var authValue: RuleValue {
        guard let auth else { return .null }
        return .map(.record([("uid", .string(auth.uid)), ("token", .map(.fields(auth.claims)))]))
    }
}

/// How one `allow` statement came out.
public struct StatementOutcome: Sendable {
    public enum Result: Sendable {
        case allowed, denied
        case error(String, SourcePosition?)
    }
    public var statement: AllowStatement
    public var result: Result
    /// For a denial: the innermost expression that came out false (or erred).
    public var failedExpression: (text: String, position: SourcePosition)?
}

/// The outcome of judging one request.
public struct RulesDecision: Sendable {
    public var allowed: Bool
    public var method: RuleMethod
    public var outcomes: [StatementOutcome]
    public var debug: [String]

    /// The statement that decided: the one that allowed, or the first that applied and denied.
    public var deciding: StatementOutcome? {
        outcomes.first { if case .allowed = $0.result { true } else { false } } ?? outcomes.first
    }

    /// The official emulator's reasons, e.g. `false for 'update' @ L12, Null value error. for 'get' @ L5`.
    public var reason: String {
        if outcomes.isEmpty { return "No matching allow statements" }
        return outcomes.compactMap { o -> String? in
            switch o.result {
            case .allowed: return nil
            case .denied: return "false for '\(method.rawValue)' @ L\(o.statement.position.line)"
            case .error(let m, let p):
                let msg = m.hasPrefix("Null value error") || m.hasPrefix("Property") ? m : "evaluation error at \(p.map { "L\($0.line):\($0.column)" } ?? "L\(o.statement.position.line)"): \(m)"
                return "\(msg) for '\(method.rawValue)' @ L\(o.statement.position.line)"
            }
        }.joined(separator: ", ")
    }

    /// The `PERMISSION_DENIED` message: production's sentence, then why.
    public var message: String {
        var lines = ["Missing or insufficient permissions.", reason]
        if let failed = outcomes.first(where: { $0.failedExpression != nil })?.failedExpression {
            lines.append("Failed expression @ L\(failed.position.line):\(failed.position.column): \(failed.text)")
        }
        for d in debug { lines.append("debug: " + d.replacingOccurrences(of: "\n", with: " ")) }
        return lines.joined(separator: "\n")
    }
}

/// A compiled rules file: match blocks flattened into full patterns, each with its statements and
/// the functions it sees, ready to judge requests.
public final class Ruleset: Sendable {
    struct CompiledMatch: Sendable {
        var pattern: [PatternSegment]
        var allows: [AllowStatement]
        var functions: [String: RuleFunction]
    }

    public let file: RulesFile
    let matches: [CompiledMatch]
    public let coverage: RulesCoverage

    public init(_ file: RulesFile) {
        self.file = file
        var out: [CompiledMatch] = []
        func walk(_ block: MatchBlock, prefix: [PatternSegment], functions: [String: RuleFunction]) {
            let pattern = prefix + block.pattern
            var fns = functions
            for f in block.functions { fns[f.name] = f }
            if !block.allows.isEmpty { out.append(CompiledMatch(pattern: pattern, allows: block.allows, functions: fns)) }
            for child in block.children { walk(child, prefix: pattern, functions: fns) }
        }
        var top: [String: RuleFunction] = [:]
        for f in file.functions { top[f.name] = f }
        for m in file.matches { walk(m, prefix: [], functions: top) }
        matches = out
        coverage = RulesCoverage(file)
    }

    public convenience init(source: String) throws(RulesSyntaxError) {
        self.init(try RulesParser.parse(source))
    }

    /// Judges one request: allowed when any applicable `allow` statement's condition is true.
    public func evaluate(_ request: RulesRequest, reader: (any RulesDocumentReader)?) -> RulesDecision {
        var requestFields: [(key: String, value: RuleValue)] = [
            ("auth", request.authValue),
            ("method", .string(request.method.rawValue)),
            ("path", request.target.pathValue),
            ("time", .timestamp(request.time)),
        ]
        if let r = request.requestResource { requestFields.append(("resource", r)) }
        if let q = request.query { requestFields.append(("query", q)) }
        let requestValue = RuleValue.map(.record(requestFields))
        var outcomes: [StatementOutcome] = []
        var allowed = false
        // One evaluator for the whole request: documents read by get()/exists() count once against
        // the request's limit, whichever statement reads them.
        let base: [(name: String, value: RuleValue)] = [("request", requestValue), ("resource", request.resource)]
        let evaluator = RulesEvaluator(
            scope: [], functions: [:], reader: reader, database: request.target.database,
            accessLimit: request.accessLimit, recordCoverage: true)
        for m in matches {
            guard let bound = request.target.match(m.pattern) else { continue }
            evaluator.functions = m.functions
            for statement in m.allows where statement.methods.contains(request.method) {
                evaluator.scope = base
                for b in bound { evaluator.scope.append((name: b.0, value: b.1)) }
                var outcome = StatementOutcome(statement: statement, result: .allowed)
                if let condition = statement.condition {
                    do {
                        if try !evaluator.bool(condition) {
                            outcome.result = .denied
                            let printed = evaluator.debugOutput
                            outcome.failedExpression = Self.explainFalse(condition, evaluator)
                            evaluator.debugOutput = printed
                        }
                    } catch {
                        outcome.result = .error(error.message, error.position)
                        let printed = evaluator.debugOutput
                        outcome.failedExpression = Self.explainFalse(condition, evaluator)
                        evaluator.debugOutput = printed
                    }
                }
                outcomes.append(outcome)
                if case .allowed = outcome.result {
                    allowed = true
                    break
                }
            }
            if allowed { break }
        }
        self.coverage.record(evaluator.coverage ?? CoverageMarks(), statements: outcomes.map { ($0.statement, $0.result) })
        return RulesDecision(allowed: allowed, method: request.method, outcomes: outcomes, debug: evaluator.debugOutput)
    }

    /// The innermost sub-expression that made `e` false (or fail): the failing side of an `&&`,
    /// both sides of an `||` being false reports the first.
    static func explainFalse(_ e: RuleExpr, _ evaluator: RulesEvaluator) -> (text: String, position: SourcePosition) {
        let saved = evaluator.coverage
        evaluator.coverage = nil
        defer { evaluator.coverage = saved }
        var current = e
        while true {
            switch current.kind {
            case .binary(.and, let l, let r):
                if (try? evaluator.bool(l)) != true { current = l } else { current = r }
                continue
            case .binary(.or, let l, let r):
                if (try? evaluator.bool(l)) == nil { current = l } else if (try? evaluator.bool(r)) == nil {
                    current = r
                } else {
                    break
                }
                continue
            case .unary(.not, let x):
                if (try? evaluator.bool(x)) == nil { current = x; continue }
            case .call(let name, let args):
                // A function the rules declare: explain its body when every argument evaluates.
                if let f = evaluator.functions[name], f.bindings.isEmpty {
                    var values: [RuleValue] = []
                    for a in args { if let v = try? evaluator.evaluate(a) { values.append(v) } }
                    if values.count == args.count {
                        let saved = evaluator.scope.count
                        for (p, v) in zip(f.parameters, values) { evaluator.scope.append((p, v)) }
                        let inner = explainFalse(f.body, evaluator)
                        evaluator.scope.removeLast(evaluator.scope.count - saved)
                        return (inner.text + " (in \(name)())", inner.position)
                    }
                }
            default: break
            }
            break
        }
        return (Self.text(of: current, in: evaluator), current.range.start)
    }

    static func text(of e: RuleExpr, in evaluator: RulesEvaluator) -> String { e.sourceText ?? "" }
}
