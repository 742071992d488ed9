/// The binary operators other than `&&` and `||`.
enum RulesOperators {
    static func apply(_ op: BinaryOperator, _ a: RuleValue, _ b: RuleValue, at e: RuleExpr) throws(RuleError)
        -> RuleValue
    {
        func unsupported() -> RuleError {
            RuleError(
                "Unsupported operation error. Received: \(a.typeName) \(op.rawValue) \(b.typeName).", at: e.range.start)
        }
        switch op {
        case .equal, .notEqual:
            if case .constrained(let c) = a { return .bool(c.implies(op, b)) }
            if case .constrained(let c) = b { return .bool(c.implies(op, a)) }
            let eq = RuleValue.equal(a, b)
            return .bool(op == .equal ? eq : !eq)
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            if case .constrained(let c) = a { return .bool(c.implies(op, b)) }
            if case .constrained(let c) = b { return .bool(c.implies(QueryConstraint.mirrored(op), a)) }
            guard let c = RuleValue.compare(a, b) else { throw unsupported() }
            switch op {
            case .less: return .bool(c < 0)
            case .lessOrEqual: return .bool(c <= 0)
            case .greater: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .in:
            if case .constrained(let c) = b {
                if c.arrayContains.contains(where: { RuleValue.equal($0, a) }) { return .bool(true) }
                return .bool(false)
            }
            guard let found = b.contains(a) else {
                if case .null = b { throw RuleError("Null value error.", at: e.range.start) }
                throw unsupported()
            }
            return .bool(found)
        case .add:
            switch (a, b) {
            case (.int(let x), .int(let y)):
                let (r, o) = x.addingReportingOverflow(y)
                if o { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(r)
            case (.string(let x), .string(let y)): return .string(x + y)
            case (.bytes(let x), .bytes(let y)): return .bytes(x + y)
            case (.duration(let x), .duration(let y)): return .duration(x &+ y)
            case (.timestamp(let t), .duration(let d)), (.duration(let d), .timestamp(let t)):
                guard let r = t.adding(nanos: d) else { throw RuleError("Timestamp out of range.", at: e.range.start) }
                return .timestamp(r)
            default:
                guard let (x, y) = floats(a, b) else { throw unsupported() }
                return .float(x + y)
            }
        case .subtract:
            switch (a, b) {
            case (.int(let x), .int(let y)):
                let (r, o) = x.subtractingReportingOverflow(y)
                if o { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(r)
            case (.duration(let x), .duration(let y)): return .duration(x &- y)
            case (.timestamp(let t), .duration(let d)):
                guard let r = t.adding(nanos: -d) else { throw RuleError("Timestamp out of range.", at: e.range.start) }
                return .timestamp(r)
            case (.timestamp(let x), .timestamp(let y)):
                return .duration((x.seconds - y.seconds) * 1_000_000_000 + Int64(x.nanos - y.nanos))
            default:
                guard let (x, y) = floats(a, b) else { throw unsupported() }
                return .float(x - y)
            }
        case .multiply:
            if case .int(let x) = a, case .int(let y) = b {
                let (r, o) = x.multipliedReportingOverflow(by: y)
                if o { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(r)
            }
            guard let (x, y) = floats(a, b) else { throw unsupported() }
            return .float(x * y)
        case .divide:
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw RuleError("Division by zero.", at: e.range.start) }
                guard !(x == .min && y == -1) else { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(x / y)
            }
            guard let (x, y) = floats(a, b) else { throw unsupported() }
            return .float(x / y)
        case .modulo:
            if case .int(let x) = a, case .int(let y) = b {
                guard y != 0 else { throw RuleError("Modulo by zero.", at: e.range.start) }
                guard !(x == .min && y == -1) else { return .int(0) }
                return .int(x % y)
            }
            guard let (x, y) = floats(a, b) else { throw unsupported() }
            return .float(x.truncatingRemainder(dividingBy: y))
        case .and, .or:
            throw unsupported()
        }
    }

    static func floats(_ a: RuleValue, _ b: RuleValue) -> (Double, Double)? {
        switch (a, b) {
        case (.float(let x), .float(let y)): (x, y)
        case (.int(let x), .float(let y)): (Double(x), y)
        case (.float(let x), .int(let y)): (x, Double(y))
        default: nil
        }
    }
}
