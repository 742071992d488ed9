import FlintCore

/// Rules are not filters: a list is allowed only if every document the query could return
/// satisfies the rule. This turns a query's constraints into the `resource` values a rule is
/// judged against — one per alternative the query allows (each `in` value, each OR branch).
public enum RulesQuery {
    /// Alternatives beyond this many are judged as unconstrained (and so denied by any rule
    /// that reads `resource`).
    public static let maxAlternatives = 64

    /// `request.query`: `limit`, `offset` and `orderBy` (field → `ASC`/`DESC`).
    public static func queryValue(_ plan: QueryPlan) -> RuleValue {
        var fields: [String: RuleValue] = ["offset": .int(Int64(plan.offset))]
        fields["limit"] = plan.limit.map { .int(Int64($0)) } ?? .null
        var order: [String: RuleValue] = [:]
        for o in plan.orders where !o.path.isDocumentKey { order[o.path.description] = .string(o.descending ? "DESC" : "ASC") }
        fields["orderBy"] = .map(.values(order))
        return .map(.values(fields))
    }

    /// `request.query` for a plain listing of `pageSize` documents.
    public static func listingValue(pageSize: Int?, orderBy: [(String, Bool)]) -> RuleValue {
        var order: [String: RuleValue] = [:]
        for (f, desc) in orderBy where f != "__name__" { order[f] = .string(desc ? "DESC" : "ASC") }
        return .map(.values([
            "limit": pageSize.map { .int(Int64($0)) } ?? .null, "offset": .int(0), "orderBy": .map(.values(order)),
        ]))
    }

    /// The `resource` values to judge: what the query's filters fix or bound, per alternative.
    public static func resources(_ plan: QueryPlan, database: String) -> [RuleValue] {
        guard let filter = plan.filter else { return [symbolic([:], name: nil, database: database)] }
        var out: [RuleValue] = []
        for conjunction in filter.disjuncts {
            var alternatives: [(fixed: [FieldPath: RuleValue], constraints: [FieldPath: QueryConstraint], name: [String]?)] = [
                ([:], [:], nil)
            ]
            for f in conjunction {
                switch f {
                case .field(let path, let op, let operand):
                    let v = RuleValue(firestore: operand)
                    switch op {
                    case .equal:
                        alternatives = alternatives.map { a in var a = a; a.fixed[path] = v; return a }
                    case .in, .arrayContainsAny:
                        let values = operand.arrayElements?.map(RuleValue.init(firestore:)) ?? []
                        alternatives = alternatives.flatMap { a in
                            values.map { x in
                                var a = a
                                if op == .in { a.fixed[path] = x } else { a.constraints[path, default: .init()].arrayContains.append(x) }
                                return a
                            }
                        }
                    case .arrayContains:
                        alternatives = alternatives.map { a in var a = a; a.constraints[path, default: .init()].arrayContains.append(v); return a }
                    case .notEqual:
                        alternatives = alternatives.map { a in var a = a; a.constraints[path, default: .init()].excluded.append(v); return a }
                    case .notIn:
                        let values = operand.arrayElements?.map(RuleValue.init(firestore:)) ?? []
                        alternatives = alternatives.map { a in var a = a; a.constraints[path, default: .init()].excluded += values; return a }
                    case .lessThan, .lessThanOrEqual:
                        alternatives = alternatives.map { a in
                            var a = a
                            a.constraints[path, default: .init()].upper = (v, op == .lessThanOrEqual)
                            return a
                        }
                    case .greaterThan, .greaterThanOrEqual:
                        alternatives = alternatives.map { a in
                            var a = a
                            a.constraints[path, default: .init()].lower = (v, op == .greaterThanOrEqual)
                            return a
                        }
                    }
                case .unary(let path, let op):
                    alternatives = alternatives.map { a in
                        var a = a
                        switch op {
                        case .isNull: a.fixed[path] = .null
                        case .isNaN: a.fixed[path] = .float(.nan)
                        case .isNotNull: a.constraints[path, default: .init()].excluded.append(.null)
                        case .isNotNaN: a.constraints[path, default: .init()].excluded.append(.float(.nan))
                        }
                        return a
                    }
                case .and, .or:
                    break
                }
                if alternatives.count > maxAlternatives { return [symbolic([:], name: nil, database: database)] }
            }
            for a in alternatives {
                var values = a.fixed
                for (p, c) in a.constraints where values[p] == nil { values[p] = .constrained(c) }
                var name: [String]?
                if case .path(let segs)? = values.removeValue(forKey: .documentKey) { name = segs }
                out.append(symbolic(values, name: name, database: database))
            }
        }
        return out.isEmpty ? [symbolic([:], name: nil, database: database)] : out
    }

    /// A document known only by what the query says of its fields.
    static func symbolic(_ values: [FieldPath: RuleValue], name: [String]?, database: String) -> RuleValue {
        var data: [String: RuleValue] = [:]
        for (path, v) in values { insert(v, at: path.segments[...], into: &data) }
        var doc: [String: RuleValue] = ["data": .map(.values(data))]
        if let name {
            doc["__name__"] = .path(name)
            doc["id"] = .string(name.last ?? "")
        }
        return .map(.values(doc))
    }

    static func insert(_ v: RuleValue, at path: ArraySlice<String>, into map: inout [String: RuleValue]) {
        guard let head = path.first else { return }
        if path.count == 1 {
            map[head] = v
            return
        }
        var inner: [String: RuleValue] = [:]
        if case .map(let m)? = map[head] { inner = m.dictionary }
        insert(v, at: path.dropFirst(), into: &inner)
        map[head] = .map(.values(inner))
    }
}
