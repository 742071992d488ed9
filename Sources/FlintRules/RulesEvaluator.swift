/// Why an expression could not be evaluated; a condition that errors denies.
public struct RuleError: Error, Sendable {
    public var message: String
    public var position: SourcePosition?
    init(_ message: String, at position: SourcePosition? = nil) {
        self.message = message
        self.position = position
    }
}

/// The values expressions took while a request was judged: one packed word per evaluation
/// (expression id and a small kind, no rendering), and the rare errors' messages aside.
struct CoverageMarks {
    var marks: [UInt32] = []
    var errors: [(id: Int, message: String)] = []

    init() { marks.reserveCapacity(64) }

    mutating func record(_ id: Int, _ kind: UInt8) { marks.append(UInt32(id) << 5 | UInt32(kind)) }

    mutating func record(_ id: Int, error message: String) {
        record(id, CoverageMark.error)
        errors.append((id, message))
    }
}

/// The kinds of value coverage tells apart.
enum CoverageMark {
    static let error: UInt8 = 3
    /// `true`, `false`, `null`, an error, then one kind per other type.
    static let labels = [
        "true", "false", "null", "error", "int", "float", "string", "bytes", "path", "timestamp", "duration", "latlng",
        "list", "map", "set", "map_diff", "constraint",
    ]

    static func kind(of v: RuleValue) -> UInt8 {
        switch v {
        case .bool(let b): b ? 0 : 1
        case .null: 2
        case .int: 4
        case .float: 5
        case .string: 6
        case .bytes: 7
        case .path: 8
        case .timestamp: 9
        case .duration: 10
        case .latlng: 11
        case .list: 12
        case .map: 13
        case .set: 14
        case .mapDiff: 15
        case .constrained: 16
        }
    }
}

/// Reads documents for `get()`, `exists()`, `getAfter()` and `existsAfter()`.
public protocol RulesDocumentReader {
    /// The document at `path` (segments below `documents`) of `database`, before or after the
    /// request's writes; nil when there is none.
    func fields(database: String, path: [String], after: Bool) throws -> Fields?
}

import FlintCore

/// Evaluates expressions for one request: holds its variables, the documents it has read, its
/// `debug()` output and, when coverage is on, the values each expression took.
final class RulesEvaluator {
    // One evaluator serves one request on one thread, and no access to these overlaps another:
    // the runtime's exclusivity checks on them were a tenth of judging.
    @exclusivity(unchecked) var scope: [(name: String, value: RuleValue)]
    @exclusivity(unchecked) var functions: [String: RuleFunction]
    let reader: (any RulesDocumentReader)?
    let database: String
    let accessLimit: Int
    @exclusivity(unchecked) var accessed: [String: Fields?] = [:]
    @exclusivity(unchecked) var debugOutput: [String] = []
    @exclusivity(unchecked) var coverage: CoverageMarks?
    @exclusivity(unchecked) var callDepth = 0

    init(
        scope: [(String, RuleValue)], functions: [String: RuleFunction], reader: (any RulesDocumentReader)?,
        database: String, accessLimit: Int, recordCoverage: Bool
    ) {
        self.scope = scope.map { (name: $0.0, value: $0.1) }
        self.functions = functions
        self.reader = reader
        self.database = database
        self.accessLimit = accessLimit
        if recordCoverage { coverage = CoverageMarks() }
    }

    func lookup(_ name: String) -> RuleValue? {
        var i = scope.count - 1
        while i >= 0 {
            if scope[i].name == name { return scope[i].value }
            i -= 1
        }
        return nil
    }

    func evaluate(_ e: RuleExpr) throws(RuleError) -> RuleValue {
        if coverage == nil { return try evaluateNode(e) }
        do {
            let v = try evaluateNode(e)
            coverage?.record(e.id, CoverageMark.kind(of: v))
            return v
        } catch {
            coverage?.record(e.id, error: error.message)
            throw error
        }
    }

    func bool(_ e: RuleExpr) throws(RuleError) -> Bool {
        let v = try evaluate(e)
        guard case .bool(let b) = v else {
            throw RuleError("Expected a boolean, got \(v.typeName).", at: e.range.start)
        }
        return b
    }

    private func evaluateNode(_ e: RuleExpr) throws(RuleError) -> RuleValue {
        switch e.kind {
        case .literal(let v):
            return v
        case .identifier(let name):
            if let v = lookup(name) { return v }
            throw RuleError("Variable \(name) is not defined.", at: e.range.start)
        case .member(let base, let name):
            return try member(try evaluate(base), name, at: e)
        case .index(let base, let index):
            return try subscriptValue(try evaluate(base), try evaluate(index), at: e)
        case .slice(let base, let lo, let hi):
            return try slice(try evaluate(base), lo.map(evaluate), hi.map(evaluate), at: e)
        case .call(let name, let args):
            return try call(name, args, at: e)
        case .method(let base, let name, let args):
            let receiver = try evaluate(base)
            var values: [RuleValue] = []
            values.reserveCapacity(args.count)
            for a in args { values.append(try evaluate(a)) }
            return try RulesLibrary.method(receiver, name, values, evaluator: self, at: e)
        case .unary(.not, let x):
            return .bool(!(try bool(x)))
        case .unary(.negate, let x):
            switch try evaluate(x) {
            case .int(let i):
                guard i != .min else { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(-i)
            case .float(let d): return .float(-d)
            case .duration(let d): return .duration(-d)
            case let v: throw RuleError("Unsupported operation error. Received: -\(v.typeName).", at: e.range.start)
            }
        case .binary(.and, let l, let r):
            return .bool(try shortCircuit(l, r, decisive: false))
        case .binary(.or, let l, let r):
            return .bool(try shortCircuit(l, r, decisive: true))
        case .binary(let op, let l, let r):
            return try RulesOperators.apply(op, try evaluate(l), try evaluate(r), at: e)
        case .ternary(let c, let a, let b):
            return try bool(c) ? try evaluate(a) : try evaluate(b)
        case .isType(let x, let type):
            return .bool(try evaluate(x).isType(type))
        case .list(let items):
            var out: [RuleValue] = []
            out.reserveCapacity(items.count)
            for i in items { out.append(try evaluate(i)) }
            return .list(out)
        case .map(let entries):
            var out: [String: RuleValue] = [:]
            for (k, v) in entries {
                guard case .string(let key) = try evaluate(k) else {
                    throw RuleError("Map keys must be strings.", at: k.range.start)
                }
                out[key] = try evaluate(v)
            }
            return .map(.values(out))
        case .path(let parts):
            var text = ""
            for part in parts {
                switch part {
                case .text(let t): text += t
                case .expression(let x):
                    switch try evaluate(x) {
                    case .string(let s): text += s
                    case .path(let p): text += p.joined(separator: "/")
                    case .int(let i): text += String(i)
                    case let v:
                        throw RuleError("A path segment must be a string, not \(v.typeName).", at: x.range.start)
                    }
                }
            }
            return .path(RuleValue.pathSegments(text))
        }
    }

    /// `&&` (decisive false) and `||` (decisive true): the decisive value on either side wins, even
    /// over an error on the other; otherwise an error propagates.
    private func shortCircuit(_ l: RuleExpr, _ r: RuleExpr, decisive: Bool) throws(RuleError) -> Bool {
        let left: Result<Bool, RuleError>
        do { left = .success(try bool(l)) } catch { left = .failure(error) }
        if case .success(let b) = left, b == decisive { return decisive }
        let right: Result<Bool, RuleError>
        do { right = .success(try bool(r)) } catch { right = .failure(error) }
        switch (left, right) {
        case (_, .success(let b)) where b == decisive: return decisive
        case (.failure(let error), _): throw error
        case (.success, .failure(let error)): throw error
        case (.success, .success(let b)): return b
        }
    }

    func member(_ base: RuleValue, _ name: String, at e: RuleExpr) throws(RuleError) -> RuleValue {
        switch base {
        case .map(let m):
            if let v = m[name] { return v }
            throw RuleError("Property \(name) is undefined on object.", at: e.range.start)
        case .null:
            throw RuleError("Null value error.", at: e.range.start)
        default:
            throw RuleError("Property \(name) is undefined on object of type \(base.typeName).", at: e.range.start)
        }
    }

    func subscriptValue(_ base: RuleValue, _ index: RuleValue, at e: RuleExpr) throws(RuleError) -> RuleValue {
        switch (base, index) {
        case (.map, .string(let k)): return try member(base, k, at: e)
        case (.list(let l), .int(let i)):
            guard i >= 0 && i < l.count else { throw RuleError("Index \(i) is out of range.", at: e.range.start) }
            return l[Int(i)]
        case (.path(let p), .int(let i)):
            guard i >= 0 && i < p.count else { throw RuleError("Index \(i) is out of range.", at: e.range.start) }
            return .string(p[Int(i)])
        case (.string(let s), .int(let i)):
            let chars = Array(s)
            guard i >= 0 && i < chars.count else { throw RuleError("Index \(i) is out of range.", at: e.range.start) }
            return .string(String(chars[Int(i)]))
        case (.null, _): throw RuleError("Null value error.", at: e.range.start)
        default:
            throw RuleError(
                "Unsupported operation error. Received: \(base.typeName)[\(index.typeName)].", at: e.range.start)
        }
    }

    func slice(_ base: RuleValue, _ lo: RuleValue?, _ hi: RuleValue?, at e: RuleExpr) throws(RuleError) -> RuleValue {
        func bound(_ v: RuleValue?, _ def: Int, _ count: Int) throws(RuleError) -> Int {
            guard let v else { return def }
            guard case .int(let i) = v, i >= 0, i <= count else {
                throw RuleError("Slice index out of range.", at: e.range.start)
            }
            return Int(i)
        }
        switch base {
        case .list(let l):
            let a = try bound(lo, 0, l.count), b = try bound(hi, l.count, l.count)
            guard a <= b else { throw RuleError("Slice index out of range.", at: e.range.start) }
            return .list(Array(l[a..<b]))
        case .string(let s):
            let chars = Array(s)
            let a = try bound(lo, 0, chars.count), b = try bound(hi, chars.count, chars.count)
            guard a <= b else { throw RuleError("Slice index out of range.", at: e.range.start) }
            return .string(String(chars[a..<b]))
        case .path(let p):
            let a = try bound(lo, 0, p.count), b = try bound(hi, p.count, p.count)
            guard a <= b else { throw RuleError("Slice index out of range.", at: e.range.start) }
            return .path(Array(p[a..<b]))
        default:
            throw RuleError("Unsupported operation error. Received: \(base.typeName)[:].", at: e.range.start)
        }
    }

    func call(_ name: String, _ args: [RuleExpr], at e: RuleExpr) throws(RuleError) -> RuleValue {
        var values: [RuleValue] = []
        values.reserveCapacity(args.count)
        for a in args { values.append(try evaluate(a)) }
        if let f = functions[name] { return try invoke(f, values, at: e) }
        return try RulesLibrary.function(name, values, evaluator: self, at: e)
    }

    /// Calls a function the rules declare: its parameters and `let` bindings see the caller's
    /// request, resource and path variables.
    func invoke(_ f: RuleFunction, _ args: [RuleValue], at e: RuleExpr) throws(RuleError) -> RuleValue {
        guard args.count == f.parameters.count else {
            throw RuleError(
                "Function \(f.name) takes \(f.parameters.count) arguments, got \(args.count).", at: e.range.start)
        }
        guard callDepth < 20 else { throw RuleError("Max call depth exceeded.", at: e.range.start) }
        callDepth += 1
        let saved = scope.count
        defer {
            callDepth -= 1
            scope.removeLast(scope.count - saved)
        }
        for (p, v) in zip(f.parameters, args) { scope.append((p, v)) }
        for b in f.bindings { scope.append((b.name, try evaluate(b.value))) }
        return try evaluate(f.body)
    }

    /// `get`/`exists` and their `After` forms: the document at a `/databases/d/documents/…` path,
    /// counted against the request's limit of document accesses.
    func access(_ path: RuleValue, after: Bool, at e: RuleExpr) throws(RuleError) -> Fields? {
        guard case .path(let segments) = path else {
            throw RuleError("Expected a path, got \(path.typeName).", at: e.range.start)
        }
        guard segments.count >= 5, segments[0] == "databases", segments[2] == "documents",
            (segments.count - 3) % 2 == 0
        else { throw RuleError("Invalid document path \(RuleValue.pathString(segments)).", at: e.range.start) }
        let key = (after ? "a" : "b") + RuleValue.pathString(segments)
        if let known = accessed[key] { return known }
        guard accessed.count < accessLimit else {
            throw RuleError("Exceeded maximum of \(accessLimit) document accesses.", at: e.range.start)
        }
        guard let reader else { accessed[key] = .some(nil); return nil }
        do {
            let f = try reader.fields(database: segments[1], path: Array(segments.dropFirst(3)), after: after)
            accessed[key] = .some(f)
            return f
        } catch {
            throw RuleError("Document read failed: \(error)", at: e.range.start)
        }
    }
}

extension RuleValue {
    /// A document as `resource` and `get()` show it: `__name__`, `id` and `data`.
    public static func resource(database: String, path: [String], fields: Fields) -> RuleValue {
        .map(.record([
            ("__name__", .path(["databases", database, "documents"] + path)),
            ("id", .string(path.last ?? "")),
            ("data", .map(.fields(fields))),
        ]))
    }
}
