import FlintCore

extension StoreReader {
    /// `findNearest`: the query's filters choose an index range as for any query, its candidates
    /// are read one row at a time, and a bounded heap keeps only the nearest `limit`, so the
    /// memory a search holds does not grow with the collection. A candidate's vector is read
    /// from its stored bytes; only one that may be kept is decoded and judged in full.
    func nearest(_ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats) throws
        -> [DocumentSnapshot]
    {
        guard let search = plan.nearest else { return [] }
        var selection = NearestSelection(plan: plan, database: database)
        try forEachCandidate(plan, database: database, parent: parent, stats: &stats) { stored in
            if let peek = EncodedVector.peek(search.field, in: stored.fields) {
                guard case .vector(let vector) = peek, let distance = search.distance(of: vector),
                    selection.mightKeep(distance: distance)
                else { return }
            }
            selection.offer(try stored.decoded())
        }
        return selection.results
    }

    /// Calls `body` with every document the plan's access paths yield (each once, in no
    /// particular order, as stored rows); the caller judges them. With `limit == 0` it only plans.
    func forEachCandidate(
        _ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats,
        _ body: (StoredRow) throws -> Void
    ) throws {
        guard let collectionID = plan.collectionID else {
            let paths = try kindlessPaths(plan, database: database, parent: parent)
            stats.indexEntriesRead += paths.count
            stats.indexesUsed.append(Self.describe(.keyScan, plan: plan))
            if plan.limit == 0 { return }
            try load(paths, database: database, stats: &stats, body)
            return
        }
        let sources = try querySources(collectionID, plan: plan, database: database, parent: parent, stats: &stats)
        let conjuncts = plan.filter?.disjuncts ?? [[]]
        if conjuncts.count == 1 && sources.count == 1 {
            let source = sources[0]
            let path = try chooseAccessPath(conjuncts[0], plan: plan, source: source, stats: &stats)
            if plan.limit == 0 { return }
            try walk(path, source: source, stats: &stats, body)
            return
        }
        let candidates = try candidates(conjuncts, sources: sources, plan: plan, stats: &stats)
        if plan.limit == 0 { return }
        try load(candidates, database: database, stats: &stats, body)
    }

    /// Streams one access path of one source, loading each document as its index entry comes.
    func walk(
        _ path: AccessPath, source: QuerySource, stats: inout QueryStats, _ body: (StoredRow) throws -> Void
    ) throws {
        var documentsRead = 0
        defer { stats.documentsRead += documentsRead }
        switch path {
        case .keyScan:
            guard case .collection(let collection) = source.kind else {
                var paths = Set<ResourcePath>()
                stats.indexEntriesRead += try scanDocumentsOfGroup(source, into: &paths)
                try load(paths, database: source.database, stats: &stats, body)
                return
            }
            stats.indexEntriesRead += try scanDocumentIDs(scope: source.scope, descending: false) { id in
                try withStoredRow(scope: source.scope, id: id, path: collection.appending(id)) { row in
                    documentsRead += 1
                    try body(row)
                }
                return true
            }
        case .index(let field, let ranges, _):
            // One document can sit in several ranges (array-contains-any); within one range, once.
            var seen = Set<[UInt8]>()
            for range in ranges {
                stats.indexEntriesRead += try scanIndex(scope: source.scope, field: field, range: range, descending: false) {
                    _, doc in
                    let docPath = source.path(of: doc)
                    guard source.includes(docPath), ranges.count == 1 || seen.insert(doc).inserted else { return true }
                    try withStoredRow(source, docPath) { row in
                        documentsRead += 1
                        try body(row)
                    }
                    return true
                }
            }
        }
    }

    /// `withStoredRow` for a document a source's index entry names.
    func withStoredRow(_ source: QuerySource, _ path: ResourcePath, _ body: (StoredRow) throws -> Void) throws {
        switch source.kind {
        case .collection: _ = try withStoredRow(scope: source.scope, id: path.lastSegment, path: path, body)
        case .group: _ = try withStoredRow(source.database, path, body)
        }
    }

    func load(
        _ paths: Set<ResourcePath>, database: DatabaseID, stats: inout QueryStats, _ body: (StoredRow) throws -> Void
    ) throws {
        var documentsRead = 0
        defer { stats.documentsRead += documentsRead }
        for path in paths {
            try withStoredRow(database, path) { row in
                documentsRead += 1
                try body(row)
            }
        }
    }
}
