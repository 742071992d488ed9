import FlintProto

extension QueryPlan {
    typealias ProtoFilter = Google_Firestore_V1_StructuredQuery.Filter

    static func filter(_ proto: ProtoFilter) throws(FirestoreError) -> Filter {
        switch proto.filterType {
        case .compositeFilter(let c):
            if c.filters.isEmpty { throw .invalidArgument("A composite filter needs at least one filter.") }
            var children: [Filter] = []
            for f in c.filters { children.append(try filter(f)) }
            switch c.op {
            case .and: return .and(children)
            case .or: return .or(children)
            default: throw .invalidArgument("A composite filter needs the operator AND or OR.")
            }
        case .fieldFilter(let f):
            let path = try FieldPath(parsing: f.field.fieldPath)
            let op: Filter.FieldOp
            switch f.op {
            case .lessThan: op = .lessThan
            case .lessThanOrEqual: op = .lessThanOrEqual
            case .greaterThan: op = .greaterThan
            case .greaterThanOrEqual: op = .greaterThanOrEqual
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            case .arrayContains: op = .arrayContains
            case .in: op = .in
            case .arrayContainsAny: op = .arrayContainsAny
            case .notIn: op = .notIn
            default: throw .invalidArgument("Field filter on \"\(path)\" needs an operator.")
            }
            let value = try DocumentValidation.normalized(f.value, path: path.segments, depth: 1)
            if IndexKey.encode(value).count >= maxFilterValueBytes {
                throw .invalidArgument("value for \(path) is too large to be used in a query")
            }
            return .field(path, op, value)
        case .unaryFilter(let u):
            let path = try FieldPath(parsing: u.field.fieldPath)
            switch u.op {
            case .isNan: return .unary(path, .isNaN)
            case .isNull: return .unary(path, .isNull)
            case .isNotNan: return .unary(path, .isNotNaN)
            case .isNotNull: return .unary(path, .isNotNull)
            default: throw .invalidArgument("Unary filter on \"\(path)\" needs an operator.")
            }
        case nil:
            throw .invalidArgument("A filter must set a composite, field or unary filter.")
        }
    }

    static func opName(_ op: Filter.FieldOp) -> String {
        switch op {
        case .in: "IN"
        case .notIn: "NOT_IN"
        case .arrayContainsAny: "ARRAY_CONTAINS_ANY"
        default: "\(op)"
        }
    }

    /// Firestore's limits and forbidden combinations.
    static func validate(_ root: Filter) throws(FirestoreError) {
        var notEqualLike = 0
        var hasNotIn = false
        var hasInOrAny = false
        var hasOr = false
        func walk(_ f: Filter) throws(FirestoreError) {
            switch f {
            case .and(let fs): for c in fs { try walk(c) }
            case .or(let fs):
                hasOr = hasOr || fs.count > 1
                for c in fs { try walk(c) }
            case .unary(_, let op):
                if op == .isNotNaN || op == .isNotNull { notEqualLike += 1 }
            case .field(_, let op, let value):
                switch op {
                case .in, .arrayContainsAny, .notIn:
                    guard let list = value.arrayElements else {
                        throw .invalidArgument("'\(opName(op))' requires an ArrayValue.")
                    }
                    if list.isEmpty { throw .invalidArgument("'\(opName(op))' requires an non-empty ArrayValue.") }
                    let max = op == .notIn ? 10 : 30
                    if list.count > max {
                        throw .invalidArgument("'\(opName(op))' supports up to \(max) comparison values.")
                    }
                    if op == .notIn {
                        hasNotIn = true
                        notEqualLike += 1
                    } else {
                        hasInOrAny = true
                    }
                case .notEqual: notEqualLike += 1
                default: break
                }
            }
        }
        try walk(root)
        if notEqualLike > 1 {
            throw .invalidArgument("Only a single 'NOT_EQUAL', 'NOT_IN', 'IS_NOT_NAN', or 'IS_NOT_NULL' filter allowed per query.")
        }
        if hasNotIn && (hasInOrAny || hasOr) {
            throw .invalidArgument("'NOT_IN' cannot be used in the same query with 'IN', 'ARRAY_CONTAINS_ANY' or 'OR'.")
        }
        let count = disjunctionCount(root)
        if count > maxDisjunctions {
            throw .invalidArgument(
                "Too many disjunctions after normalization. Result had \(count) disjunctions which is more than the maximum of \(maxDisjunctions)")
        }
    }

    /// How many AND-groups the filter has in disjunctive normal form (`in` lists count as ORs).
    static func disjunctionCount(_ f: Filter) -> Int {
        switch f {
        case .field(_, let op, let value):
            return (op == .in || op == .arrayContainsAny) ? max(1, value.arrayElements?.count ?? 1) : 1
        case .unary: return 1
        case .or(let fs): return fs.reduce(0) { $0 + disjunctionCount($1) }
        case .and(let fs): return fs.reduce(1) { min($0 * disjunctionCount($1), 1_000_000) }
        }
    }
}
