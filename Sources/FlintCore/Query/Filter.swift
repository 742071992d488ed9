import FlintProto

public typealias StructuredQuery = Google_Firestore_V1_StructuredQuery

/// A query filter after validation, with Firestore's matching rules.
public indirect enum Filter: Sendable {
    public enum FieldOp: Sendable, Equatable {
        case lessThan, lessThanOrEqual, greaterThan, greaterThanOrEqual, equal, notEqual
        case arrayContains, `in`, arrayContainsAny, notIn
    }

    public enum UnaryOp: Sendable, Equatable {
        case isNaN, isNull, isNotNaN, isNotNull
    }

    case and([Filter])
    case or([Filter])
    case field(FieldPath, FieldOp, FirestoreValue)
    case unary(FieldPath, UnaryOp)

    /// Inequalities (which need the field to exist and imply an ordering on it).
    public var inequalityFields: [FieldPath] {
        switch self {
        case .and(let fs), .or(let fs): fs.flatMap(\.inequalityFields)
        case .field(let p, let op, _):
            switch op {
            case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual, .notEqual, .notIn: [p]
            default: []
            }
        case .unary(let p, let op): (op == .isNotNaN || op == .isNotNull) ? [p] : []
        }
    }

    /// Whether a document with these fields (and this key) passes the filter.
    public func matches(_ fields: Fields, name: String) -> Bool {
        switch self {
        case .and(let fs): return fs.allSatisfy { $0.matches(fields, name: name) }
        case .or(let fs): return fs.contains { $0.matches(fields, name: name) }
        case .unary(let path, let op):
            let value = path.isDocumentKey ? FirestoreValue.with { $0.referenceValue = name } : fields.value(at: path)
            guard let value else { return false }
            switch op {
            case .isNaN: return value.isNaN
            case .isNull: return value.isNull
            case .isNotNaN: return !value.isNaN && !value.isNull
            case .isNotNull: return !value.isNull
            }
        case .field(let path, let op, let operand):
            let value = path.isDocumentKey ? FirestoreValue.with { $0.referenceValue = name } : fields.value(at: path)
            guard let value else { return false }
            return Self.evaluate(value, op, operand)
        }
    }

    static func evaluate(_ value: FirestoreValue, _ op: FieldOp, _ operand: FirestoreValue) -> Bool {
        switch op {
        case .equal:
            return !operand.isNull && !operand.isNaN && ValueOrder.equal(value, operand)
        case .notEqual:
            if operand.isNull || value.isNull { return false }
            if operand.isNaN { return true }
            return !ValueOrder.equal(value, operand)
        case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
            guard !operand.isNull, !operand.isNaN, !value.isNaN,
                ValueOrder.typeRank(value) == ValueOrder.typeRank(operand)
            else { return false }
            let c = ValueOrder.compare(value, operand)
            switch op {
            case .lessThan: return c < 0
            case .lessThanOrEqual: return c <= 0
            case .greaterThan: return c > 0
            default: return c >= 0
            }
        case .arrayContains:
            guard !operand.isNull, !operand.isNaN, let elements = value.arrayElements else { return false }
            return elements.contains { ValueOrder.equal($0, operand) }
        case .in:
            let options = operand.arrayElements ?? []
            return options.contains { !$0.isNull && !$0.isNaN && ValueOrder.equal(value, $0) }
        case .arrayContainsAny:
            guard let elements = value.arrayElements else { return false }
            let options = (operand.arrayElements ?? []).filter { !$0.isNull && !$0.isNaN }
            return elements.contains { e in options.contains { ValueOrder.equal(e, $0) } }
        case .notIn:
            let options = operand.arrayElements ?? []
            if value.isNull || options.contains(where: \.isNull) { return false }
            return !options.contains { !$0.isNaN && ValueOrder.equal(value, $0) }
        }
    }

    /// The first field any part of the filter names.
    public var firstField: FieldPath? { firstField { _ in true } }

    /// The first field filtered on that satisfies `include`.
    public func firstField(where include: (FieldPath) -> Bool) -> FieldPath? {
        switch self {
        case .and(let fs), .or(let fs):
            for f in fs { if let p = f.firstField(where: include) { return p } }
            return nil
        case .field(let p, _, _), .unary(let p, _): return include(p) ? p : nil
        }
    }

    /// Disjunctive normal form: a list of AND-groups of simple filters.
    public var disjuncts: [[Filter]] {
        switch self {
        case .field, .unary: return [[self]]
        case .or(let fs): return fs.flatMap(\.disjuncts)
        case .and(let fs):
            var out: [[Filter]] = [[]]
            for f in fs {
                let d = f.disjuncts
                out = out.flatMap { prefix in d.map { prefix + $0 } }
            }
            return out
        }
    }
}
