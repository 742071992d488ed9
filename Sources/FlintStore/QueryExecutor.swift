import FlintCore
import Foundation
import GRDB

/// What a query execution read, for Query Explain and for tests that prove a query did not scan.
public struct QueryStats: Sendable {
    public var indexEntriesRead = 0
    public var documentsRead = 0
    /// Human-readable index descriptions, e.g. `(status ASC, __name__ ASC)`.
    public var indexesUsed: [String] = []
    public var scope = "Collection"
    /// Documents matched but skipped by the offset.
    public var skipped = 0
    public init() {}
}

/// Where a query's documents live: one collection, or a collection group's nested collections.
struct QuerySource {
    enum Kind {
        case collection(ResourcePath)
        /// Nested collections of a group, restricted to documents below `under`.
        case group(under: ResourcePath)
    }
    var scope: Int64
    var kind: Kind
    var database: DatabaseID

    func path(of doc: [UInt8]) -> ResourcePath {
        switch kind {
        case .collection(let c): c.appending(String(decoding: doc, as: UTF8.self))
        case .group: IndexKey.decodePath(doc)
        }
    }

    func includes(_ path: ResourcePath) -> Bool {
        if case .group(let under) = kind { return under.isEmpty || (under.isPrefix(of: path) && path.count > under.count) }
        return true
    }
}

/// How one AND-group of filters is driven from the index.
enum AccessPath {
    /// Every document of the source in key order.
    case keyScan
    /// One or more ranges of one field's index (or its array-contains entries).
    case index(field: String, ranges: [ValueRange], display: String)

    /// Whether results come out in the plan's full order (so a limit can stop the scan).
    func streamsInOrder(_ plan: QueryPlan, equalityFields: Set<FieldPath>) -> Bool {
        let last = plan.orders.last!
        let others = plan.orders.dropLast()
        switch self {
        case .keyScan:
            return others.isEmpty
        case .index(let field, let ranges, _):
            // No range (e.g. `in [null]`): nothing to read, so trivially in order.
            if ranges.isEmpty { return true }
            let allExact = ranges.allSatisfy { $0.lower != nil && $0.lower == $0.upper }
            if ranges.count > 1 {
                // Several values (`in`, array-contains-any): merged in key order when every other
                // order is fixed, or one value after another when ordered by this very field.
                guard allExact else { return false }
                if others.allSatisfy({ equalityFields.contains($0.path) }) { return true }
                return others.count == 1 && others[0].descending == last.descending && others[0].path.description == field
            }
            let exact = allExact
            if exact {
                // One value: key order, as long as every other order is fixed by an equality.
                return others.allSatisfy { equalityFields.contains($0.path) }
            }
            guard others.count == 1, others[0].descending == last.descending else { return false }
            return others[0].path.description == field
        }
    }
}

extension StoreReader {
    /// Runs a validated query below `parent`, reading through the per-field index where a filter
    /// or the order allows, and documents only for candidates.
    public func execute(_ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats) throws
        -> [DocumentSnapshot]
    {
        try shared.indexExemptions.check(plan)
        if plan.nearest != nil { return try nearest(plan, database: database, parent: parent, stats: &stats) }
        guard let collectionID = plan.collectionID else {
            return try kindless(plan, database: database, parent: parent, stats: &stats)
        }
        let sources = try querySources(collectionID, plan: plan, database: database, parent: parent, stats: &stats)
        if sources.isEmpty { return [] }
        let conjuncts = plan.filter?.disjuncts ?? [[]]
        if conjuncts.count == 1 && sources.count == 1 {
            let source = sources[0]
            let path = try chooseAccessPath(conjuncts[0], plan: plan, source: source, stats: &stats)
            if plan.limit == 0 { return [] }
            let equalities = Set(conjuncts[0].compactMap { f -> FieldPath? in
                if case .field(let p, .equal, _) = f { return p }
                return nil
            })
            let groupKeyScan: Bool
            if case .keyScan = path, case .group = source.kind { groupKeyScan = true } else { groupKeyScan = false }
            if !groupKeyScan && path.streamsInOrder(plan, equalityFields: equalities) {
                return try stream(path, plan: plan, source: source, stats: &stats)
            }
            var candidates = Set<ResourcePath>()
            try collect(path, plan: plan, source: source, into: &candidates, stats: &stats)
            return try finish(candidates, plan: plan, database: database, stats: &stats)
        }
        let candidates = try candidates(conjuncts, sources: sources, plan: plan, stats: &stats)
        return try finish(candidates, plan: plan, database: database, stats: &stats)
    }

    /// The documents every AND-group's access path yields in every source, each once (several
    /// groups or scopes can yield one document more than once). With `limit == 0` it only plans.
    func candidates(_ conjuncts: [[Filter]], sources: [QuerySource], plan: QueryPlan, stats: inout QueryStats) throws
        -> Set<ResourcePath>
    {
        var candidates = Set<ResourcePath>()
        for source in sources {
            for conjunct in conjuncts {
                let path = try chooseAccessPath(conjunct, plan: plan, source: source, stats: &stats)
                if plan.limit == 0 { continue }
                try collect(path, plan: plan, source: source, into: &candidates, stats: &stats)
            }
        }
        return candidates
    }

    /// The collection (and, for a collection group, the group scope) a query reads.
    func querySources(
        _ collectionID: String, plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats
    ) throws -> [QuerySource] {
        var sources: [QuerySource] = []
        if !plan.allDescendants || parent.isEmpty {
            if let scope = try collectionScope(database, parent.appending(collectionID)) {
                sources.append(QuerySource(scope: scope, kind: .collection(parent.appending(collectionID)), database: database))
            }
        }
        if plan.allDescendants {
            stats.scope = "Collection group"
            if let scope = try groupScope(database, collectionID) {
                sources.append(QuerySource(scope: scope, kind: .group(under: parent), database: database))
            }
        }
        return sources
    }

    /// Loads, filters, orders and pages a set of candidate documents.
    func finish(_ candidates: Set<ResourcePath>, plan: QueryPlan, database: DatabaseID, stats: inout QueryStats) throws
        -> [DocumentSnapshot]
    {
        var docs: [DocumentSnapshot] = []
        for path in candidates {
            guard let doc = try document(database, path) else { continue }
            docs.append(doc)
        }
        return arrange(docs, plan: plan, database: database, stats: &stats)
    }

    /// Filters, orders and pages loaded documents.
    func arrange(_ docs: [DocumentSnapshot], plan: QueryPlan, database: DatabaseID, stats: inout QueryStats)
        -> [DocumentSnapshot]
    {
        var rows: [(doc: DocumentSnapshot, values: [FirestoreValue])] = []
        for doc in docs {
            stats.documentsRead += 1
            let name = database.name(of: doc.path)
            guard plan.matches(doc.fields, name: name), let values = plan.orderValues(doc.fields, name: name) else { continue }
            rows.append((doc, values))
        }
        rows.sort { plan.compare($0.values, $1.values) < 0 }
        var out: [DocumentSnapshot] = []
        var skipped = 0
        for row in rows {
            if plan.isBeforeStart(row.values) { continue }
            if plan.isAfterEnd(row.values) { break }
            if skipped < plan.offset {
                skipped += 1
                continue
            }
            out.append(row.doc)
            if let limit = plan.limit, out.count >= limit { break }
        }
        stats.skipped = skipped
        return out
    }

    /// Walks an access path that yields documents in the final order, stopping at the limit.
    func stream(_ path: AccessPath, plan: QueryPlan, source: QuerySource, stats: inout QueryStats) throws -> [DocumentSnapshot] {
        var out: [DocumentSnapshot] = []
        if plan.limit == 0 { return out }
        var skipped = 0
        var seen = Set<[UInt8]>()
        let descending = plan.orders.last!.descending
        var failure: (any Error)?
        let database = source.database
        func visit(_ docPath: ResourcePath, _ load: () throws -> DocumentSnapshot?) -> Bool {
            do {
                guard source.includes(docPath), let doc = try load() else { return true }
                stats.documentsRead += 1
                let name = database.name(of: docPath)
                guard plan.matches(doc.fields, name: name), let values = plan.orderValues(doc.fields, name: name) else {
                    return true
                }
                if plan.isBeforeStart(values) { return true }
                if plan.isAfterEnd(values) { return false }
                if skipped < plan.offset {
                    skipped += 1
                    return true
                }
                out.append(doc)
                return plan.limit.map { out.count < $0 } ?? true
            } catch {
                failure = error
                return false
            }
        }
        let seek = Self.seek(plan, source: source)
        switch path {
        case .keyScan:
            guard case .collection(let collection) = source.kind else { break }
            let fromID = seek.doc.map { String(decoding: $0, as: UTF8.self) }
            stats.indexEntriesRead += try scanDocumentIDs(scope: source.scope, descending: descending, fromID: fromID) { id in
                visit(collection.appending(id)) { try document(scope: source.scope, id: id, path: collection.appending(id)) }
            }
        case .index(_, let ranges, _) where ranges.isEmpty:
            break
        case .index(let field, let ranges, _) where ranges.count > 1:
            let byField = plan.orders.first?.path.description == field
            func visitDoc(_ doc: [UInt8]) -> Bool {
                guard seen.insert(doc).inserted else { return true }
                let docPath = source.path(of: doc)
                return visit(docPath) { try loadDocument(source, doc, docPath) }
            }
            if byField {
                // Ordered by the field itself: each value's documents in turn, in value order.
                let sorted = ranges.sorted { $0.lower!.lexicographicallyPrecedes($1.lower!) }
                for range in descending ? sorted.reversed() : sorted {
                    var more = true
                    stats.indexEntriesRead += try scanIndex(scope: source.scope, field: field, range: range, descending: descending) {
                        _, doc in
                        more = visitDoc(doc)
                        return more
                    }
                    if !more { break }
                }
            } else {
                stats.indexEntriesRead += try scanIndexInKeyOrder(
                    scope: source.scope, field: field, values: ranges.map { $0.lower! }, descending: descending, fromDoc: seek.doc
                ) { doc in visitDoc(doc) }
            }
        case .index(let field, let ranges, _):
            var range = ranges[0]
            let exact = range.lower != nil && range.lower == range.upper
            if !exact, let first = plan.orders.first, first.path.description == field, let value = seek.firstValue {
                // An ordered scan starts at the start cursor's value instead of reading up to it.
                if first.descending {
                    if range.upper.map({ value.lexicographicallyPrecedes($0) }) ?? true { (range.upper, range.upperInclusive) = (value, true) }
                } else if range.lower.map({ $0.lexicographicallyPrecedes(value) }) ?? true {
                    (range.lower, range.lowerInclusive) = (value, true)
                }
            }
            stats.indexEntriesRead += try scanIndex(
                scope: source.scope, field: field, range: range, descending: descending, fromDoc: exact ? seek.doc : nil
            ) { _, doc in
                guard seen.insert(doc).inserted else { return true }
                let docPath = source.path(of: doc)
                return visit(docPath) { try loadDocument(source, doc, docPath) }
            }
        }
        if let failure { throw failure }
        stats.skipped = skipped
        return out
    }

    /// Where a start cursor lets a scan begin: the encoded first order value, and the document
    /// key when the cursor reaches `__name__` and everything before it is fixed.
    static func seek(_ plan: QueryPlan, source: QuerySource) -> (firstValue: [UInt8]?, doc: [UInt8]?) {
        guard let start = plan.start, let first = start.values.first else { return (nil, nil) }
        let firstValue = plan.orders[0].path.isDocumentKey ? nil : IndexKey.encode(first)
        guard let keyIndex = plan.orders.firstIndex(where: { $0.path.isDocumentKey }), keyIndex < start.values.count,
            case .referenceValue(let name) = start.values[keyIndex].valueType,
            let path = try? ResourceName.document(name).1
        else { return (firstValue, nil) }
        switch source.kind {
        case .collection(let collection):
            // Only a key in this collection maps onto its ids; a numeric id sorts before every
            // stored (string) id, so the scan starts at the beginning.
            guard path.parent == collection, NumericID.value(path.lastSegment) == nil else { return (firstValue, nil) }
            return (firstValue, Array(path.lastSegment.utf8))
        case .group:
            return (firstValue, IndexKey.encode(path: path))
        }
    }

    func loadDocument(_ source: QuerySource, _ doc: [UInt8], _ path: ResourcePath) throws -> DocumentSnapshot? {
        switch source.kind {
        case .collection: try document(scope: source.scope, id: path.lastSegment, path: path)
        case .group: try document(source.database, path)
        }
    }

    /// Gathers candidate paths of an access path (unordered).
    func collect(
        _ path: AccessPath, plan: QueryPlan, source: QuerySource, into out: inout Set<ResourcePath>, stats: inout QueryStats
    ) throws {
        switch path {
        case .keyScan:
            guard case .collection(let collection) = source.kind else {
                // A group without a driving filter: every entry of its key index.
                stats.indexEntriesRead += try scanDocumentsOfGroup(source, into: &out)
                return
            }
            stats.indexEntriesRead += try scanDocumentIDs(scope: source.scope, descending: false) { id in
                out.insert(collection.appending(id))
                return true
            }
        case .index(let field, let ranges, _):
            for range in ranges {
                stats.indexEntriesRead += try scanIndex(scope: source.scope, field: field, range: range, descending: false) {
                    _, doc in
                    let p = source.path(of: doc)
                    if source.includes(p) { out.insert(p) }
                    return true
                }
            }
        }
    }

    /// Every document of a group scope: each document has at least its key in the index only
    /// through its fields, so read the group's collections directly.
    func scanDocumentsOfGroup(_ source: QuerySource, into out: inout Set<ResourcePath>) throws -> Int {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT s.id AS id, s.parent AS parent, s.cid AS cid FROM scopes s, scopes g
                WHERE g.id = ? AND s.db = g.db AND s.kind = 0 AND s.cid = g.cid AND s.parent <> ''
                """,
            arguments: [source.scope])
        var count = 0
        for row in rows {
            let parent: String = row["parent"]
            let cid: String = row["cid"]
            let collection = try ResourcePath.parse(parent + "/" + cid, context: parent)
            count += try scanDocumentIDs(scope: row["id"], descending: false) { id in
                let p = collection.appending(id)
                if source.includes(p) { out.insert(p) }
                return true
            }
        }
        return count
    }

    /// Kindless queries: every document below `parent`, in key order.
    func kindless(_ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, stats: inout QueryStats) throws
        -> [DocumentSnapshot]
    {
        let paths = try kindlessPaths(plan, database: database, parent: parent)
        stats.indexEntriesRead += paths.count
        return try finish(paths, plan: plan, database: database, stats: &stats)
    }

    /// The documents a kindless query reads: without allDescendants only the parent's own
    /// collections count, not deeper ones.
    func kindlessPaths(_ plan: QueryPlan, database: DatabaseID, parent: ResourcePath) throws -> Set<ResourcePath> {
        Set(try descendants(database, of: parent).filter {
            $0 != parent && (plan.allDescendants || $0.count == parent.count + 2)
        })
    }
}
