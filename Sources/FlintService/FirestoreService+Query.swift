import FlintCore
import FlintProto
import FlintStore
import Foundation
import SwiftProtobuf

extension FirestoreService {
    /// `:runQuery`: the documents in order, `done` on the last message, explain metrics on request.
    public func runQuery(_ request: Google_Firestore_V1_RunQueryRequest, context: CallContext) async throws
        -> [Google_Firestore_V1_RunQueryResponse]
    {
        let (database, parent) = try ResourceName.parent(request.parent)
        guard case .structuredQuery(let query)? = request.queryType else {
            throw FirestoreError.invalidArgument("only structured queries are supported")
        }
        let plan = try QueryPlan(query, database: database, parent: parent)
        let (view, newID) = try await readView(request, database: database)
        let explain = request.hasExplainOptions ? request.explainOptions : nil
        let started = ContinuousClock.now
        let executed = explain?.analyze == false ? plan.planningOnly : plan
        let (docs, stats, lastCommit) = try await store.read { reader in
            try self.authorizeQuery(plan, database, parent, view: view, reader: reader, context: context)
            var stats = QueryStats()
            // Explain without analysis plans the query but reads nothing.
            let docs = try self.execute(executed, database, parent, view: view, reader: reader, stats: &stats)
            return (docs, stats, try reader.lastCommitTime())
        }
        let readTime: ProtoTimestamp
        if case .at(let t) = view { readTime = ProtoTimestamp(micros: t) } else { readTime = self.readTime(lastCommit: lastCommit) }
        var responses = docs.map { doc in
            Google_Firestore_V1_RunQueryResponse.with {
                $0.document = doc.proto(in: database, mask: plan.projection)
                $0.readTime = readTime
            }
        }
        if responses.isEmpty { responses.append(.with { $0.readTime = readTime }) }
        if stats.skipped > 0 { responses[0].skippedResults = Int32(stats.skipped) }
        // A transaction begun by this request is announced alone, ahead of the results.
        if let newID { responses.insert(.with { $0.transaction = newID }, at: 0) }
        responses[responses.count - 1].done = true
        if let explain {
            responses[responses.count - 1].explainMetrics = Self.metrics(
                stats, returned: docs.count, analyze: explain.analyze, elapsed: ContinuousClock.now - started)
        }
        return responses
    }

    /// `:runAggregationQuery`: one result with every aggregate.
    public func runAggregationQuery(_ request: Google_Firestore_V1_RunAggregationQueryRequest, context: CallContext)
        async throws -> [Google_Firestore_V1_RunAggregationQueryResponse]
    {
        let (database, parent) = try ResourceName.parent(request.parent)
        let (view, newID) = try await readView(request, database: database)
        guard case .structuredAggregationQuery(let aggregationQuery)? = request.queryType else {
            throw FirestoreError.invalidArgument("Only structured aggregation queries are supported.")
        }
        let aggregations = try Aggregation.parse(aggregationQuery)
        let required = Aggregation.requiredFields(aggregations)
        var plan = try QueryPlan(aggregationQuery.structuredQuery, database: database, parent: parent)
        // sum/avg only see documents that have their fields; under a limit (or a findNearest, whose
        // candidates must have them) those fields also order.
        try plan.checkAggregatedFields(required)
        if plan.limit != nil || plan.nearest != nil { plan.requireOrder(on: required) }
        // Aggregations see the stored fields, not the distance a findNearest would write into them.
        plan.nearest?.resultField = nil
        let explain = request.hasExplainOptions ? request.explainOptions : nil
        let started = ContinuousClock.now
        let analyze = explain?.analyze ?? true
        let executed = analyze ? plan : plan.planningOnly
        let countsOnly = required.isEmpty
        let (fields, indexCount, stats, lastCommit) = try await store.read { [plan] reader in
            try self.authorizeQuery(plan, database, parent, view: view, reader: reader, context: context)
            var stats = QueryStats()
            // Counts alone can often be answered by counting index entries, reading no document.
            if case .latest = view, countsOnly, analyze,
                let n = try reader.countFromIndex(executed, database: database, parent: parent, stats: &stats)
            {
                return ([Fields](), Optional(n), stats, try reader.lastCommitTime())
            }
            let docs = try self.execute(executed, database, parent, view: view, reader: reader, stats: &stats)
            let fields = docs.map(\.fields).filter { f in required.allSatisfy { f.value(at: $0) != nil } }
            return (fields, Int?.none, stats, try reader.lastCommitTime())
        }
        var response = Google_Firestore_V1_RunAggregationQueryResponse()
        if case .at(let t) = view { response.readTime = ProtoTimestamp(micros: t) } else {
            response.readTime = self.readTime(lastCommit: lastCommit)
        }
        if let newID { response.transaction = newID }
        if analyze {
            for a in aggregations {
                response.result.aggregateFields[a.alias] = indexCount.map { a.count($0) } ?? a.compute(over: fields)
            }
        }
        if let explain {
            response.explainMetrics = Self.metrics(
                stats, returned: 1, analyze: explain.analyze, elapsed: ContinuousClock.now - started)
        }
        return [response]
    }

    /// Query Explain: the plan (indexes used) and, when analysed, what execution read.
    static func metrics(_ stats: QueryStats, returned: Int, analyze: Bool, elapsed: Duration)
        -> Google_Firestore_V1_ExplainMetrics
    {
        var metrics = Google_Firestore_V1_ExplainMetrics()
        metrics.planSummary.indexesUsed = stats.indexesUsed.map { index in
            Google_Protobuf_Struct(fields: [
                "query_scope": Google_Protobuf_Value(stringValue: stats.scope),
                "properties": Google_Protobuf_Value(stringValue: index),
            ])
        }
        if analyze {
            var execution = Google_Firestore_V1_ExecutionStats()
            execution.resultsReturned = Int64(returned)
            execution.readOperations = Int64(stats.documentsRead + max(1, stats.indexEntriesRead / 1000))
            let (seconds, attoseconds) = elapsed.components
            execution.executionDuration = Google_Protobuf_Duration(
                seconds: seconds, nanos: Int32(attoseconds / 1_000_000_000))
            execution.debugStats = Google_Protobuf_Struct(fields: [
                "index_entries_scanned": Google_Protobuf_Value(stringValue: String(stats.indexEntriesRead)),
                "documents_scanned": Google_Protobuf_Value(stringValue: String(stats.documentsRead)),
            ])
            metrics.executionStats = execution
        }
        return metrics
    }
}
