import FlintCore
import FlintProto
import FlintStore

/// The targets of one Listen stream and what each holds; owned by the stream's processing task,
/// which turns requests and commits into responses one event at a time.
struct ListenState {
    let service: FirestoreService
    let inbox: ListenInbox
    let defaultDatabase: String?
    /// The caller, whose targets the security rules judge.
    var context = CallContext(auth: .unauthenticated)
    var targets: [Int32: ListenTarget] = [:]
    /// The read time of the last consistent snapshot sent; it never goes back.
    var readTime: Int64 = 0
    /// The newest commit time applied per document, to drop a change published after a newer one.
    var newest: [DocumentKey: Int64] = [:]

    struct DocumentKey: Hashable {
        var database: DatabaseID
        var path: ResourcePath
    }

    mutating func handle(_ event: ListenInbox.Event) async throws -> [ListenResponse] {
        switch event {
        case .request(let request): try await handle(request)
        case .commit(let record): try await apply(record)
        case .reset(let time): try await replaced(at: time)
        case .requestsEnded: []
        }
    }

    mutating func handle(_ request: Google_Firestore_V1_ListenRequest) async throws -> [ListenResponse] {
        switch request.targetChange {
        case .addTarget(let target)?:
            return try await add(target, database: request.database.isEmpty ? defaultDatabase ?? "" : request.database)
        case .removeTarget(let id)?:
            guard targets.removeValue(forKey: id) != nil else { return [] }
            inbox.setScope(nil, for: id)
            return [.target(.remove, [id])]
        case nil:
            throw FirestoreError.invalidArgument("A ListenRequest must set addTarget or removeTarget.")
        }
    }

    /// Adds a target: ADD, its documents (or, when resuming, what changed since), CURRENT, and a
    /// consistent point. An invalid target is answered REMOVE with the reason as its cause.
    mutating func add(_ request: Google_Firestore_V1_Target, database name: String) async throws -> [ListenResponse] {
        let id = request.targetID == 0 ? nextFreeID() : request.targetID
        if targets[id] != nil {
            throw FirestoreError.invalidArgument("Target ID \(id) is already in use on this stream.")
        }
        var target: ListenTarget
        let resumeFrom: Int64?
        do {
            if id < 0 { throw FirestoreError.invalidArgument("Target ID \(id) is negative.") }
            target = try ListenTarget(request, id: id, database: try ResourceName.database(name))
            try await service.authorizeListen(target, context: context)
            switch request.resumeType {
            case .resumeToken(let token)?: resumeFrom = token.isEmpty ? nil : try ResumeToken.decode(token)
            case .readTime(let time)?: resumeFrom = time.micros
            case nil: resumeFrom = nil
            }
        } catch let error as FirestoreError {
            return [.target(.remove, [id], cause: error)]
        }
        // Watch commits before reading, so none falls between the snapshot and the feed.
        inbox.setScope(target.scope, for: id)
        let readTime = service.store.snapshotTime()
        // Past the kept versions there is nothing to compare with: the client starts over.
        let reset = resumeFrom.map { $0 < Timestamps.nowMicros() - FirestoreService.historyWindow } ?? false
        let since = reset ? nil : resumeFrom
        let snapshot = target
        let (now, then, existing) = try await service.store.read { reader in
            let now = try snapshot.read(reader)
            let then = try since.map { try snapshot.read(reader, at: $0) } ?? []
            return (now, then, try Self.existing(Self.versions(then), leaving: now, snapshot.database, reader))
        }
        var responses: [ListenResponse] = [.target(.add, [id])]
        if reset { responses.append(.target(.reset, [id])) }
        responses += diff(target, from: Self.versions(then), to: now, existing: existing, readTime: readTime)
        if since == nil, case .documents(let paths) = target.source {
            // A document target answers for every document it names, present or not.
            let present = Set(now.map(\.path))
            for path in paths where !present.contains(path) {
                responses.append(.delete(target.database.name(of: path), removed: [id], readTime: readTime))
            }
        }
        if since != nil && target.isQuery { responses.append(.existenceFilter(id, count: now.count)) }
        target.versions = Self.versions(now)
        target.baseline = readTime
        self.readTime = max(self.readTime, readTime)
        responses.append(.target(.current, [id], readTime: readTime))
        responses.append(.consistent(at: self.readTime))
        if target.once {
            inbox.setScope(nil, for: id)
            responses.append(.target(.remove, [id]))
        } else {
            targets[id] = target
        }
        return responses
    }

    /// The lowest target ID not in use, for targets that leave the choice to the server.
    func nextFreeID() -> Int32 {
        var id: Int32 = 1
        while targets[id] != nil { id += 1 }
        return id
    }

    /// Responses that take a client holding `before` to `now`: new and changed documents in result
    /// order, then those that left (deleted, or still existing but no longer in the result).
    func diff(
        _ target: ListenTarget, from before: [ResourcePath: Int64], to now: [DocumentSnapshot],
        existing: Set<ResourcePath>, readTime: Int64
    ) -> [ListenResponse] {
        let (id, database) = (target.id, target.database)
        var responses = now.filter { before[$0.path] != $0.updateTime }.map {
            ListenResponse.change($0, in: database, mask: target.mask, targets: [id])
        }
        let present = Set(now.map(\.path))
        for path in before.keys.sorted() where !present.contains(path) {
            let name = database.name(of: path)
            responses.append(
                existing.contains(path)
                    ? .remove(name, removed: [id], readTime: readTime) : .delete(name, removed: [id], readTime: readTime))
        }
        return responses
    }

    static func versions(_ docs: [DocumentSnapshot]) -> [ResourcePath: Int64] {
        Dictionary(docs.map { ($0.path, $0.updateTime) }, uniquingKeysWith: { first, _ in first })
    }

    /// Which of the documents that left a result still exist.
    static func existing(
        _ before: [ResourcePath: Int64], leaving now: [DocumentSnapshot], _ database: DatabaseID, _ reader: StoreReader
    ) throws -> Set<ResourcePath> {
        let present = Set(now.map(\.path))
        var existing = Set<ResourcePath>()
        for path in before.keys where !present.contains(path) {
            if try reader.document(database, path) != nil { existing.insert(path) }
        }
        return existing
    }
}
