import FlintProto

extension QueryPlan {
    typealias ProtoFilter = Google_Firestore_V1_StructuredQuery.Filter

    static func filter(_ proto: ProtoFilter, database: DatabaseID) throws(FirestoreError) -> Filter {
        switch proto.filterType {
        case .compositeFilter(let c):
            guard c.op == .and || c.op == .or else { throw .invalidArgument("Unsupported CompositeFilter operator.") }
            // An empty AND filters nothing out; an empty OR is an error (as on the official emulator).
            if c.filters.isEmpty {
                if c.op == .and { return .and([]) }
                throw .invalidArgument("Composite filter must have at least one sub-filter.")
            }
            var children: [Filter] = []
            for f in c.filters { children.append(try filter(f, database: database)) }
            return c.op == .and ? .and(children) : .or(children)
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
            default: throw .invalidArgument("Unknown FieldFilter operator.")
            }
            let value = try operand(f.value, op: op, path: path)
            let elements = (op == .in || op == .notIn || op == .arrayContainsAny) ? (value.arrayElements ?? [value]) : [value]
            if elements.contains(where: { DocumentValidation.queryValueSize($0) > maxFilterValueBytes }) {
                let contains = op == .arrayContains || op == .arrayContainsAny
                throw .invalidArgument("value for \(path)\(contains ? "[*]" : "") is too large to be used in a query")
            }
            if path.isDocumentKey { try checkKeyFilter(op, elements, database: database) }
            return .field(path, op, value)
        case .unaryFilter(let u):
            guard case .field? = u.operandType else { throw .invalidArgument("Unsupported UnaryFilter operand type (non-FIELD).") }
            let path = try FieldPath(parsing: u.field.fieldPath)
            let op: Filter.UnaryOp
            switch u.op {
            case .isNan: op = .isNaN
            case .isNull: op = .isNull
            case .isNotNan: op = .isNotNaN
            case .isNotNull: op = .isNotNull
            default: throw .invalidArgument("Unknown UnaryFilter operator.")
            }
            if path.isDocumentKey { throw .invalidArgument("__key__ filter value must be a Key") }
            return .unary(path, op)
        case nil:
            throw .invalidArgument("Unknown Filter type.")
        }
    }

    /// Filters on `__name__` compare references of this database.
    static func checkKeyFilter(_ op: Filter.FieldOp, _ values: [FirestoreValue], database: DatabaseID) throws(FirestoreError) {
        if op == .arrayContains || op == .arrayContainsAny { throw .invalidArgument("the name __key__ is reserved") }
        for value in values {
            guard case .referenceValue(let r) = value.valueType else {
                throw .invalidArgument("__key__ filter value must be a Key")
            }
            let other = try ResourceName.parse(r).0
            if other != database {
                throw .invalidArgument(
                    "The request was for database '\(database.resourceName)' but was attempting to access database '\(other.resourceName)'")
            }
        }
    }

    /// Validates a filter operand; list operands (`in`, `not-in`, `array-contains-any`) may hold arrays.
    static func operand(_ value: FirestoreValue, op: Filter.FieldOp, path: FieldPath) throws(FirestoreError) -> FirestoreValue {
        let name = path.description
        switch op {
        case .in, .notIn, .arrayContainsAny:
            guard let list = value.arrayElements else { return value }
            var checked: [FirestoreValue] = []
            for element in list {
                checked.append(try DocumentValidation.validatedOperand(element, path: [name]))
            }
            return .array(checked)
        default:
            return try DocumentValidation.validatedOperand(value, path: [name])
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
        for conjunct in root.disjuncts {
            let arrayFilters = conjunct.filter {
                if case .field(_, let op, _) = $0 { return op == .arrayContains || op == .arrayContainsAny }
                return false
            }
            if arrayFilters.count > 1 {
                throw .invalidArgument("A maximum of 1 'ARRAY_CONTAINS' filter is allowed per disjunction.")
            }
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
