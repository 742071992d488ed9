/// What a query says about one field of every document it can return, short of fixing its value:
/// a range, values it excludes, elements its array holds. Rules compare against it by implication.
public struct QueryConstraint: Sendable, CustomStringConvertible {
    public var lower: (value: RuleValue, inclusive: Bool)?
    public var upper: (value: RuleValue, inclusive: Bool)?
    public var excluded: [RuleValue] = []
    public var arrayContains: [RuleValue] = []

    public init() {}

    public var description: String {
        var parts: [String] = []
        if let l = lower { parts.append((l.inclusive ? ">= " : "> ") + l.value.description) }
        if let u = upper { parts.append((u.inclusive ? "<= " : "< ") + u.value.description) }
        if !excluded.isEmpty { parts.append("not in " + excluded.description) }
        if !arrayContains.isEmpty { parts.append("contains " + arrayContains.description) }
        return parts.joined(separator: ", ")
    }

    /// Whether `x op value` holds for every x the constraint allows. Bounds compare only with values
    /// of their own type (an integer bound says nothing about a float, as in production).
    func implies(_ op: BinaryOperator, _ value: RuleValue) -> Bool {
        func cmp(_ bound: RuleValue) -> Int? {
            guard bound.typeName == value.typeName else { return nil }
            return RuleValue.compare(bound, value)
        }
        switch op {
        case .less, .lessOrEqual:
            guard let u = upper, let c = cmp(u.value) else { return false }
            return c < 0 || (c == 0 && (op == .lessOrEqual || !u.inclusive))
        case .greater, .greaterOrEqual:
            guard let l = lower, let c = cmp(l.value) else { return false }
            return c > 0 || (c == 0 && (op == .greaterOrEqual || !l.inclusive))
        case .notEqual:
            if excluded.contains(where: { RuleValue.equal($0, value) }) { return true }
            return implies(.less, value) || implies(.greater, value)
        case .equal:
            if let l = lower, let u = upper, l.inclusive, u.inclusive, RuleValue.equal(l.value, u.value) {
                return RuleValue.equal(l.value, value)
            }
            return false
        default:
            return false
        }
    }

    static func mirrored(_ op: BinaryOperator) -> BinaryOperator {
        switch op {
        case .less: .greater
        case .lessOrEqual: .greaterOrEqual
        case .greater: .less
        case .greaterOrEqual: .lessOrEqual
        default: op
        }
    }
}
