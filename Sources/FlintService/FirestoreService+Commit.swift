import FlintCore
import FlintProto
import FlintStore

extension FirestoreService {
    public func commit(_ request: Google_Firestore_V1_CommitRequest, context: CallContext) async throws
        -> Google_Firestore_V1_CommitResponse
    {
        let database = try ResourceName.database(request.database)
        var transaction: TransactionRegistry.Entry?
        if !request.transaction.isEmpty {
            let entry = try transactions.use(request.transaction, in: database)
            if entry.readOnly && !request.writes.isEmpty { throw Self.readOnlyWrite }
            transaction = entry
        }
        // The transaction ends with this commit whatever happens (a client retries with
        // retryTransaction); its locks are released only once the writes are in.
        defer { if transaction != nil { transactions.finish(request.transaction) } }
        let plans = try await Self.plans(request.writes, database: database)
        var response = Google_Firestore_V1_CommitResponse()
        let validation = transaction.map { entry in { @Sendable (writer: StoreWriter) throws in try Self.validate(entry, writer: writer) } }
        if plans.isEmpty {
            // Nothing to write, but a read-write transaction still commits only if what it read
            // is still current (otherwise it could confirm a skewed read).
            if let validation, transaction?.readOnly == false { try await store.write { try validation($0) } }
            return response
        }
        let outcome = try await apply(plans, atomically: true, context: context, validate: validation)
        response.commitTime = ProtoTimestamp(micros: outcome.commitTimes[0])
        response.writeResults = outcome.results.map { $0.result! }
        return response
    }

    /// Validates and prepares writes; large batches are split across cores (the writer is serial,
    /// so this work would otherwise wait in line with it).
    static func plans(_ writes: [Google_Firestore_V1_Write], database: DatabaseID) async throws -> [WritePlan] {
        func parse(_ slice: ArraySlice<Google_Firestore_V1_Write>) throws -> [WritePlan] {
            try slice.map { (w) throws(FirestoreError) in try WritePlan(w, database: database) }
        }
        guard writes.count >= 64 else { return try parse(writes[...]) }
        let half = writes.count / 2
        async let first = parse(writes[..<half])
        let second = Result { try parse(writes[half...]) }
        // The first invalid write is the one reported, as if parsed in order.
        let head = try await first
        return head + (try second.get())
    }

    /// Applies independent writes (`:batchWrite`): each succeeds or fails on its own, with its own time.
    public func batchWrite(_ request: Google_Firestore_V1_BatchWriteRequest, context: CallContext) async throws
        -> Google_Firestore_V1_BatchWriteResponse
    {
        try Self.requireAdmin(context, "Batch writes")
        let database = try ResourceName.database(request.database)
        let plans = try request.writes.map { (w) throws(FirestoreError) in try WritePlan(w, database: database) }
        var written = Set<ResourcePath>()
        for plan in plans where !written.insert(plan.path).inserted {
            throw FirestoreError.invalidArgument(
                "The same document cannot be written more than once in a batchWrite: \(plan.name).")
        }
        var response = Google_Firestore_V1_BatchWriteResponse()
        let outcome = try await apply(plans, atomically: false, context: context)
        for item in outcome.results {
            response.writeResults.append(item.result ?? Google_Firestore_V1_WriteResult())
            var status = Google_Rpc_Status()
            if let error = item.error {
                status.code = Int32(error.code.rpcCode)
                status.message = error.message
            }
            response.status.append(status)
        }
        return response
    }

    struct WriteOutcome: Sendable {
        var result: Google_Firestore_V1_WriteResult?
        /// The document as this write left it (nil when deleted or absent).
        var document: DocumentSnapshot?
        var error: FirestoreError?
    }

    struct ApplyOutcome: Sendable {
        var results: [WriteOutcome]
        var commitTimes: [Int64]
    }

    /// Runs writes in one SQLite transaction. Atomically: one commit time, and any failure undoes
    /// everything. Otherwise: each write its own commit time, failures recorded per write.
    func apply(
        _ plans: [WritePlan], atomically: Bool, context: CallContext,
        validate: (@Sendable (StoreWriter) throws -> Void)? = nil
    ) async throws -> ApplyOutcome {
        try await apply(atomically: atomically, context: context) { writer in
            try validate?(writer)
            return (plans, [:])
        }
    }

    /// Runs the writes `plans` decides on, inside the same SQLite transaction it reads in; it may
    /// also return documents it already read there (nil: absent), which the writes then reuse.
    func apply(
        atomically: Bool, context: CallContext,
        plans: @escaping @Sendable (StoreWriter) throws -> ([WritePlan], [ResourcePath: DocumentSnapshot?])
    ) async throws -> ApplyOutcome {
        let requestTime = ProtoTimestamp(micros: Timestamps.nowMicros() / 1000 * 1000)
        let pruneBefore = versionsToPrune()
        let hook = commitHook.withLock { $0 }
        let observers = commitObservers
        let (outcome, _, _) = try await store.write({ writer in
            var (plans, known) = try plans(writer)
            if atomically {
                let read = try self.authorizeWrites(plans, known: known, writer: writer, context: context, requestTime: requestTime)
                known.merge(read) { known, _ in known }
            }
            if let pruneBefore { try writer.pruneVersions(before: pruneBefore) }
            var results: [WriteOutcome] = []
            var times: [Int64] = []
            var records: [CommitRecord] = []
            if atomically {
                let time = try writer.nextCommitTime(now: Timestamps.nowMicros())
                var changes: [DocumentChange] = []
                for plan in plans {
                    // A document read earlier in this transaction is current until this write.
                    let before = try known.removeValue(forKey: plan.path) ?? writer.document(plan.database, plan.path)
                    let (result, change, document) = try Self.applyOne(
                        plan, before: before, writer: writer, commitTime: time, requestTime: requestTime)
                    results.append(WriteOutcome(result: result, document: document))
                    if let change { changes.append(change) }
                }
                times.append(time)
                records.append(CommitRecord(commitTime: time, changes: changes))
            } else {
                for plan in plans {
                    do {
                        let (result, change, document, time) = try writer.savepoint {
                            let time = try writer.nextCommitTime(now: Timestamps.nowMicros())
                            let (result, change, document) = try Self.applyOne(
                                plan, before: try writer.document(plan.database, plan.path), writer: writer,
                                commitTime: time, requestTime: requestTime)
                            return (result, change, document, time)
                        }
                        results.append(WriteOutcome(result: result, document: document))
                        times.append(time)
                        records.append(CommitRecord(commitTime: time, changes: change.map { [$0] } ?? []))
                    } catch let error as FirestoreError {
                        results.append(WriteOutcome(error: error))
                    }
                }
            }
            let changed = records.filter { !$0.changes.isEmpty }
            let afterCommit = changed.isEmpty ? nil : try hook?.prepare(changed, context: context, writer: writer)
            return (ApplyOutcome(results: results, commitTimes: times), records, afterCommit)
        }, committed: { _, records, afterCommit in
            // On the writer, in commit order: listeners and the trigger queue see commits in order.
            for record in records { observers.publish(record) }
            afterCommit?()
        })
        return outcome
    }

    /// About once a minute, the cutoff before which kept versions can go (reads reach back an hour).
    func versionsToPrune() -> Int64? {
        let now = Timestamps.nowMicros()
        return lastPrune.withLock { last in
            guard now - last > 60_000_000 else { return nil }
            last = now
            return now - Self.historyWindow - 60_000_000
        }
    }

    /// Applies one write (to `before`, the document as it stands) inside an open transaction;
    /// returns its result, the change it made and the document as it now stands.
    static func applyOne(
        _ plan: WritePlan, before: DocumentSnapshot?, writer: StoreWriter, commitTime: Int64, requestTime: ProtoTimestamp
    ) throws -> (Google_Firestore_V1_WriteResult, DocumentChange?, DocumentSnapshot?) {
        try plan.check(before)
        let (fields, transformResults) = plan.apply(to: before?.fields, requestTime: requestTime)
        var result = Google_Firestore_V1_WriteResult()
        result.transformResults = transformResults
        guard let fields else {
            // Like production, a delete's result has no update time (the commit time covers it).
            guard let before else { return (result, nil, nil) }
            try writer.delete(plan.database, plan.path, previous: before, deletedAt: commitTime)
            return (result, DocumentChange(database: plan.database, path: plan.path, before: before, after: nil), nil)
        }
        let name = plan.name
        // Plain replacements were checked when the request was parsed; merges and transforms can
        // still grow or deepen the document, so check those again.
        let checked = plan.reshapesFields ? try DocumentValidation.normalized(fields, documentName: name) : fields
        if let before, fieldsEqual(before.fields, checked) {
            // A write that changes nothing keeps the document's update time and fires nothing.
            result.updateTime = ProtoTimestamp(micros: before.updateTime)
            return (result, nil, before)
        }
        let after = try writer.put(
            plan.database,
            DocumentSnapshot(
                path: plan.path, fields: checked, createTime: before?.createTime ?? commitTime, updateTime: commitTime),
            previous: before, prepared: plan.reshapesFields ? nil : plan.prepared)
        result.updateTime = ProtoTimestamp(micros: commitTime)
        return (result, DocumentChange(database: plan.database, path: plan.path, before: before, after: after), after)
    }
}
