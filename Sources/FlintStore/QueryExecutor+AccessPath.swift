import FlintCore

extension StoreReader {
    /// Picks how to drive one AND-group: the index range with the fewest entries, or the first
    /// order field's index when a small limit will be met sooner in order, or a key scan.
    func chooseAccessPath(_ conjunct: [Filter], plan: QueryPlan, source: QuerySource, stats: inout QueryStats) throws
        -> AccessPath
    {
        var best: (path: AccessPath, cost: Int)?
        // Counting a range costs a scan of it, so counts stop early: past the cap, all are "large".
        let cap = 5_000
        let equalities = Set(conjunct.compactMap { f -> FieldPath? in
            if case .field(let p, .equal, _) = f { return p }
            return nil
        })
        if plan.limit != nil {
            // A filter whose index range already comes out in query order stops at the limit.
            for filter in conjunct {
                if let candidate = Self.indexCandidate(filter), candidate.streamsInOrder(plan, equalityFields: equalities) {
                    stats.indexesUsed.append(Self.describe(candidate, plan: plan))
                    return candidate
                }
            }
        }
        for filter in conjunct {
            guard let candidate = Self.indexCandidate(filter) else { continue }
            var cost = 0
            if case .index(let field, let ranges, _) = candidate {
                for range in ranges { cost += try countIndex(scope: source.scope, field: field, range: range, cap: cap) }
            }
            if best == nil || cost < best!.cost { best = (candidate, cost) }
        }
        if let first = plan.orders.first, !first.path.isDocumentKey, let limit = plan.limit {
            // An ordered scan of the first order field stops once offset + limit documents matched.
            let field = first.path.description
            let ordered = AccessPath.index(field: field, ranges: [.everything], display: field)
            if ordered.streamsInOrder(plan, equalityFields: []) {
                let total = try countIndex(scope: source.scope, field: field, range: .everything, cap: cap)
                let wanted = plan.offset + limit
                let selectivity = best.map { Double(max($0.cost, 1)) / Double(max(total, 1)) } ?? 1
                let expected = Int(Double(wanted) / selectivity)
                if best == nil || expected < best!.cost { best = (ordered, min(expected, total)) }
            }
        }
        let chosen = best?.path ?? .keyScan
        stats.indexesUsed.append(Self.describe(chosen, plan: plan))
        return chosen
    }

    static func describe(_ path: AccessPath, plan: QueryPlan) -> String {
        let direction = plan.orders.last!.descending ? "DESC" : "ASC"
        switch path {
        case .keyScan: return "(__name__ \(direction))"
        case .index(let field, _, let display):
            return field.hasPrefix(IndexEntry.containsPrefix)
                ? "(\(display) ARRAY_CONTAINS, __name__ \(direction))" : "(\(display) \(direction), __name__ \(direction))"
        }
    }

    /// The index ranges a single filter can be answered from, if any.
    static func indexCandidate(_ filter: Filter) -> AccessPath? {
        switch filter {
        case .field(let path, let op, let value):
            if path.isDocumentKey { return nil }
            let field = path.description
            let contains = IndexEntry.containsPrefix + field
            switch op {
            case .equal:
                if value.isNull || value.isNaN { return nil }
                return .index(field: field, ranges: [.exactly(IndexKey.encode(value))], display: field)
            case .arrayContains:
                if value.isNull || value.isNaN { return nil }
                return .index(field: contains, ranges: [.exactly(IndexKey.encode(value))], display: field)
            case .in:
                let values = (value.arrayElements ?? []).filter { !$0.isNull && !$0.isNaN }
                return .index(field: field, ranges: values.map { .exactly(IndexKey.encode($0)) }, display: field)
            case .arrayContainsAny:
                let values = (value.arrayElements ?? []).filter { !$0.isNull && !$0.isNaN }
                return .index(field: contains, ranges: values.map { .exactly(IndexKey.encode($0)) }, display: field)
            case .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual:
                if value.isNull || value.isNaN { return nil }
                let bounds = IndexKey.typeBounds(of: value)
                let encoded = IndexKey.encode(value)
                var range = ValueRange(lower: bounds.lower, lowerInclusive: true, upper: bounds.upper, upperInclusive: false)
                switch op {
                case .lessThan: (range.upper, range.upperInclusive) = (encoded, false)
                case .lessThanOrEqual: (range.upper, range.upperInclusive) = (encoded, true)
                case .greaterThan: (range.lower, range.lowerInclusive) = (encoded, false)
                default: (range.lower, range.lowerInclusive) = (encoded, true)
                }
                return .index(field: field, ranges: [range], display: field)
            case .notEqual, .notIn:
                // Everything but null.
                return .index(field: field, ranges: [ValueRange(lower: [IndexKey.nullTag], lowerInclusive: false)], display: field)
            }
        case .unary(let path, let op):
            if path.isDocumentKey { return nil }
            let field = path.description
            switch op {
            case .isNull: return .index(field: field, ranges: [.exactly([IndexKey.nullTag])], display: field)
            case .isNaN: return .index(field: field, ranges: [.exactly([IndexKey.nanTag])], display: field)
            case .isNotNull, .isNotNaN:
                return .index(field: field, ranges: [ValueRange(lower: [IndexKey.nullTag], lowerInclusive: false)], display: field)
            }
        case .and, .or:
            return nil
        }
    }
}
