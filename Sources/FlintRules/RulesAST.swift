/// Where an expression sits in the source: its first character and the end of its text.
public struct SourceRange: Sendable, Hashable {
    public var start: SourcePosition
    public var end: Int
}

public enum BinaryOperator: String, Sendable {
    case and = "&&", or = "||"
    case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
    case add = "+", subtract = "-", multiply = "*", divide = "/", modulo = "%"
    case `in` = "in"
}

public enum UnaryOperator: String, Sendable {
    case not = "!", negate = "-"
}

/// One part of a path literal: text, or `$(expr)` / `(expr)` whose value is spliced in.
public enum PathPart: Sendable {
    case text(String)
    case expression(RuleExpr)
}

/// An expression of the rules language; `id` numbers it within its ruleset (for coverage).
public final class RuleExpr: Sendable {
    public indirect enum Kind: Sendable {
        case literal(RuleValue)
        case identifier(String)
        case member(RuleExpr, String)
        case index(RuleExpr, RuleExpr)
        case slice(RuleExpr, RuleExpr?, RuleExpr?)
        /// A global or namespaced function (`get`, `math.abs`) or one the rules declare.
        case call(String, [RuleExpr])
        case method(RuleExpr, String, [RuleExpr])
        case unary(UnaryOperator, RuleExpr)
        case binary(BinaryOperator, RuleExpr, RuleExpr)
        case ternary(RuleExpr, RuleExpr, RuleExpr)
        case isType(RuleExpr, String)
        case list([RuleExpr])
        case map([(RuleExpr, RuleExpr)])
        case path([PathPart])
    }

    public let id: Int
    public let kind: Kind
    public let range: SourceRange
    /// The expression as written.
    public let sourceText: String?

    init(id: Int, kind: Kind, range: SourceRange, sourceText: String) {
        self.id = id
        self.kind = kind
        self.range = range
        self.sourceText = sourceText
    }
}

/// What an `allow` grants: the five request methods and the two groups that name several.
public enum RuleMethod: String, Sendable, CaseIterable {
    case get, list, create, update, delete

    /// `read` = get + list, `write` = create + update + delete.
    static func named(_ word: String) -> [RuleMethod]? {
        switch word {
        case "read": [.get, .list]
        case "write": [.create, .update, .delete]
        default: RuleMethod(rawValue: word).map { [$0] }
        }
    }
}

public struct AllowStatement: Sendable {
    /// The words as written (`read`, `update`, …).
    public var methodNames: [String]
    public var methods: Set<RuleMethod>
    /// nil for a bare `allow read;`.
    public var condition: RuleExpr?
    public var position: SourcePosition
    /// The statement's source text.
    public var text: String
}

public struct RuleFunction: Sendable {
    public var name: String
    public var parameters: [String]
    public var bindings: [(name: String, value: RuleExpr)]
    public var body: RuleExpr
    public var position: SourcePosition
}

/// One segment of a `match` pattern.
public enum PatternSegment: Sendable, Equatable {
    case literal(String)
    /// `{name}`: one segment.
    case single(String)
    /// `{name=**}`: the rest of the path, zero or more segments (rules version 2).
    case rest(String)
}

public final class MatchBlock: Sendable {
    public let pattern: [PatternSegment]
    public let allows: [AllowStatement]
    public let functions: [RuleFunction]
    public let children: [MatchBlock]
    public let position: SourcePosition

    init(
        pattern: [PatternSegment], allows: [AllowStatement], functions: [RuleFunction], children: [MatchBlock],
        position: SourcePosition
    ) {
        self.pattern = pattern
        self.allows = allows
        self.functions = functions
        self.children = children
        self.position = position
    }
}

/// A parsed rules file.
public struct RulesFile: Sendable {
    public var version: String
    public var service: String
    public var functions: [RuleFunction]
    public var matches: [MatchBlock]
    public var source: String
    /// How many expressions the file has (ids run 0..<count).
    public var expressionCount: Int
    /// What production loads but warns about: unknown methods and functions.
    public var warnings: [RulesSyntaxError]

    /// Calls of functions neither the library nor the rules define.
    static func unknownFunctions(_ top: [RuleFunction], _ matches: [MatchBlock]) -> [RulesSyntaxError] {
        var out: [RulesSyntaxError] = []
        func visit(_ e: RuleExpr, _ known: Set<String>) {
            switch e.kind {
            case .literal, .identifier: break
            case .member(let b, _): visit(b, known)
            case .index(let a, let b): visit(a, known); visit(b, known)
            case .slice(let a, let b, let c): visit(a, known); b.map { visit($0, known) }; c.map { visit($0, known) }
            case .call(let name, let args):
                if !known.contains(name) && !RulesLibrary.functionNames.contains(name) {
                    out.append(RulesSyntaxError("Invalid function name: \(name).", at: e.range.start))
                }
                args.forEach { visit($0, known) }
            case .method(let b, _, let args): visit(b, known); args.forEach { visit($0, known) }
            case .unary(_, let x): visit(x, known)
            case .binary(_, let a, let b): visit(a, known); visit(b, known)
            case .ternary(let a, let b, let c): visit(a, known); visit(b, known); visit(c, known)
            case .isType(let x, _): visit(x, known)
            case .list(let items): items.forEach { visit($0, known) }
            case .map(let entries): entries.forEach { visit($0.0, known); visit($0.1, known) }
            case .path(let parts): for case .expression(let x) in parts { visit(x, known) }
            }
        }
        func block(_ b: MatchBlock, _ outer: Set<String>) {
            let known = outer.union(b.functions.map(\.name))
            for f in b.functions { f.bindings.forEach { visit($0.value, known) }; visit(f.body, known) }
            for a in b.allows { a.condition.map { visit($0, known) } }
            b.children.forEach { block($0, known) }
        }
        let known = Set(top.map(\.name))
        for f in top { f.bindings.forEach { visit($0.value, known) }; visit(f.body, known) }
        matches.forEach { block($0, known) }
        return out.sorted { $0.position.offset < $1.position.offset }
    }
}
