import FlintCore

extension StoreReader {
    /// Counts a query's matches from the index alone, where that count is exact; nil otherwise
    /// (the caller then runs the query). Exact means: no cursors, offset, limit or findNearest, and at most one
    /// filter whose index range holds exactly the matching documents once each.
    public func countFromIndex(_ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats)
        throws -> Int?
    {
        guard plan.start == nil, plan.end == nil, plan.offset == 0, plan.limit == nil, plan.nearest == nil,
            let collectionID = plan.collectionID, !(plan.allDescendants && !parent.isEmpty)
        else { return nil }
        let conjuncts = plan.filter?.disjuncts ?? [[]]
        guard conjuncts.count == 1, conjuncts[0].count <= 1 else { return nil }
        let filter = conjuncts[0].first
        var ranges: [ValueRange] = []
        var field = ""
        if let filter {
            guard Self.isExactlyIndexed(filter), case .index(let f, let rs, _)? = Self.indexCandidate(filter) else {
                return nil
            }
            field = f
            var seen = Set<[UInt8]>()
            ranges = rs.filter { $0.lower != $0.upper || seen.insert($0.lower ?? []).inserted }
            // Orders on other fields would exclude documents lacking them.
            let path = filter.firstField
            guard plan.orders.dropLast().allSatisfy({ $0.path == path }) else { return nil }
        } else if plan.orders.count != 1 {
            return nil
        }
        var total = 0
        var scopes: [Int64] = []
        if let scope = try collectionScope(database, parent.appending(collectionID)) { scopes.append(scope) }
        if plan.allDescendants, let group = try groupScope(database, collectionID) {
            // A group's nested documents are counted through its index rows, so a filter is needed.
            guard filter != nil else { return nil }
            scopes.append(group)
        }
        for scope in scopes {
            if filter == nil {
                total += try countDocuments(scope: scope)
            } else {
                for range in ranges { total += try countIndex(scope: scope, field: field, range: range, cap: Int.max) }
            }
        }
        stats.indexEntriesRead += total
        stats.indexesUsed.append(filter.map { _ in "(\(field.replacingOccurrences(of: IndexEntry.containsPrefix, with: "")) ASC, __name__ ASC)" } ?? "(__name__ ASC)")
        return total
    }

    /// Filters whose index range is exactly their match set (one entry per matching document).
    static func isExactlyIndexed(_ filter: Filter) -> Bool {
        switch filter {
        case .field(let path, let op, _):
            if path.isDocumentKey { return false }
            switch op {
            case .equal, .arrayContains, .in, .lessThan, .lessThanOrEqual, .greaterThan, .greaterThanOrEqual: return true
            case .notEqual, .notIn, .arrayContainsAny: return false
            }
        case .unary(let path, let op): return !path.isDocumentKey && (op == .isNull || op == .isNaN)
        case .and, .or: return false
        }
    }
}
