import FlintCore
import FlintProto
import FlintStore

extension FirestoreService {
    /// `:partitionQuery`: split points that cut a collection group query into parts of about the
    /// same size, as cursors on `__name__` in query order. At most `partitionCount` points, fewer
    /// when there are too few documents (every part holds at least one); paged by `pageSize`.
    public func partitionQuery(_ request: Google_Firestore_V1_PartitionQueryRequest, context: CallContext) async throws
        -> Google_Firestore_V1_PartitionQueryResponse
    {
        let (database, parent) = try ResourceName.parent(request.parent)
        guard parent.isEmpty else {
            throw FirestoreError.invalidArgument(
                "PartitionQuery's parent must be \"\(database.documentsRoot)\", not a document: \"\(request.parent)\".")
        }
        guard case .structuredQuery(let query)? = request.queryType else {
            throw FirestoreError.invalidArgument("PartitionQuery needs a structuredQuery.")
        }
        try Self.checkPartitionable(query)
        if request.partitionCount <= 0 {
            throw FirestoreError.invalidArgument("partition_count must be positive, not \(request.partitionCount).")
        }
        if request.pageSize < 0 { throw FirestoreError.invalidArgument("page_size must not be negative.") }
        let plan = try QueryPlan(query, database: database, parent: parent)
        let start = try PageToken(request.pageToken).offset ?? 0
        let (view, _) = try await readView(request, database: database)
        let docs = try await store.read { reader in
            try self.authorizeQuery(plan, database, parent, view: view, reader: reader, context: context)
            var stats = QueryStats()
            return try self.execute(plan, database, parent, view: view, reader: reader, stats: &stats)
        }
        let count = Int(min(request.partitionCount, Int64(max(docs.count - 1, 0))))
        let points = count == 0 ? [] : (1...count).map { i in docs[i * docs.count / (count + 1)] }
        let pageSize = request.pageSize == 0 ? points.count : Int(request.pageSize)
        var response = Google_Firestore_V1_PartitionQueryResponse()
        response.partitions = points.dropFirst(start).prefix(pageSize).map { doc in
            .with { $0.values = [.with { $0.referenceValue = database.name(of: doc.path) }] }
        }
        if start + pageSize < points.count { response.nextPageToken = PageToken(offset: start + pageSize).encoded }
        return response
    }

    /// Only a collection group query in key order can be partitioned: no filters, other orders,
    /// offset, limit or findNearest (cursors are allowed and narrow the range).
    static func checkPartitionable(_ query: StructuredQuery) throws(FirestoreError) {
        guard query.from.count == 1, query.from[0].allDescendants, !query.from[0].collectionID.isEmpty else {
            throw .invalidArgument("PartitionQuery needs a collection group query (a collectionId with allDescendants).")
        }
        if query.hasWhere { throw .invalidArgument("PartitionQuery does not support filters.") }
        let keyOrder = query.orderBy.allSatisfy { $0.field.fieldPath == "__name__" && $0.direction != .descending }
        if !keyOrder || query.orderBy.count > 1 {
            throw .invalidArgument("PartitionQuery requires the query to be ordered by __name__ ascending only.")
        }
        if query.offset != 0 || query.hasLimit { throw .invalidArgument("PartitionQuery does not support offset or limit.") }
        if query.hasFindNearest { throw .invalidArgument("PartitionQuery does not support findNearest.") }
    }
}
