import FlintCore
import FlintProto
import FlintRules
import FlintStore
import Foundation
import Synchronization

/// The security rules in force — the file's for every project, or a project's own, loaded through
/// the emulator endpoint — and the log of what they judged.
public final class RulesState: Sendable {
    struct Loaded: Sendable {
        var all: Ruleset?
        var projects: [String: Ruleset] = [:]
    }
    let loaded = Mutex(Loaded())
    public let evaluations = RulesEvaluationLog()
    public init() {}

    func ruleset(project: String) -> Ruleset? {
        loaded.withLock { $0.projects.isEmpty ? $0.all : $0.projects[project] ?? $0.all }
    }
}

extension FirestoreService {
    /// The rules in force for `project`; nil: every request is allowed.
    public func rules(project: String) -> Ruleset? { rulesState.ruleset(project: project) }

    /// Puts `ruleset` in force for every project without rules of its own (nil: allow everything).
    public func setRules(_ ruleset: Ruleset?) {
        rulesState.loaded.withLock { $0.all = ruleset }
    }

    /// Puts `ruleset` in force for `project` alone, as the emulator's `:securityRules` endpoint does.
    public func setRules(_ ruleset: Ruleset?, project: String) {
        rulesState.loaded.withLock { $0.projects[project] = ruleset }
    }

    /// Whether any rules are loaded at all.
    public var rulesLoaded: Bool { rulesState.loaded.withLock { $0.all != nil || !$0.projects.isEmpty } }

    public var ruleEvaluations: RulesEvaluationLog { rulesState.evaluations }

    /// The rules that judge this caller: none for admins (`Bearer owner`, triggers, the engine).
    func rules(for context: CallContext, _ database: DatabaseID) -> Ruleset? {
        if context.isAdmin { return nil }
        return rulesState.ruleset(project: database.project)
    }

    static func token(_ context: CallContext) -> UserToken? {
        if case .user(let token) = context.auth { return token }
        return nil
    }

    static func now() -> RuleTimestamp { RuleTimestamp(micros: Timestamps.nowMicros()) }

    /// Judges one request; a denial is PERMISSION_DENIED naming the rule and why.
    func judge(
        _ ruleset: Ruleset, _ request: RulesRequest, reader: any RulesDocumentReader, context: CallContext
    ) throws(FirestoreError) {
        let decision = ruleset.evaluate(request, reader: reader)
        rulesState.evaluations.record(
            database: request.target.database, path: request.target.relativePath, auth: request.auth,
            decision: decision)
        if !decision.allowed { throw FirestoreError(.permissionDenied, decision.message) }
    }

    /// A single-document read (`get`, and each document of a `batchGet`).
    func authorizeGet(
        _ database: DatabaseID, _ path: ResourcePath, _ doc: DocumentSnapshot?, view: ReadView, reader: StoreReader,
        context: CallContext, accessLimit: Int = 10
    ) throws {
        guard let ruleset = rules(for: context, database) else { return }
        let resource: RuleValue = doc.map { .resource(database: database.database, path: $0.path.segments, fields: $0.fields) } ?? .null
        let request = RulesRequest(
            method: .get, target: .document(database: database.database, path: path.segments),
            auth: Self.token(context), time: Self.now(), resource: resource, accessLimit: accessLimit)
        try judge(ruleset, request, reader: StoreRulesReader(reader: reader, project: database.project, view: view), context: context)
    }

    /// A query: allowed only if every document it could return satisfies the rule.
    func authorizeQuery(
        _ plan: QueryPlan, _ database: DatabaseID, _ parent: ResourcePath, view: ReadView, reader: StoreReader,
        context: CallContext
    ) throws {
        guard let ruleset = rules(for: context, database) else { return }
        let target: RulesTarget
        if plan.allDescendants || plan.collectionID == nil {
            target = .collectionGroup(database: database.database, parent: parent.segments, collectionID: plan.collectionID ?? "")
        } else {
            target = .collection(database: database.database, path: parent.appending(plan.collectionID!).segments)
        }
        let query = RulesQuery.queryValue(plan)
        let docReader = StoreRulesReader(reader: reader, project: database.project, view: view)
        for resource in RulesQuery.resources(plan, database: database.database) {
            let request = RulesRequest(
                method: .list, target: target, auth: Self.token(context), time: Self.now(), resource: resource,
                query: query, accessLimit: Self.queryAccessLimit)
            try judge(ruleset, request, reader: docReader, context: context)
        }
    }

    /// A plain listing of a collection (ListDocuments): a query without filters.
    func authorizeListing(
        _ collection: ResourcePath, _ database: DatabaseID, pageSize: Int?, orderBy: [(String, Bool)], view: ReadView,
        reader: StoreReader, context: CallContext
    ) throws {
        guard let ruleset = rules(for: context, database) else { return }
        let request = RulesRequest(
            method: .list, target: .collection(database: database.database, path: collection.segments),
            auth: Self.token(context), time: Self.now(), resource: .map(["data": .map([:])]),
            query: RulesQuery.listingValue(pageSize: pageSize, orderBy: orderBy), accessLimit: Self.queryAccessLimit)
        try judge(ruleset, request, reader: StoreRulesReader(reader: reader, project: database.project, view: view), context: context)
    }

    /// Every write of a commit, judged on the writer before any is applied: one denial fails them all.
    /// Returns the documents it read as they stand before the commit, for the writes to reuse.
    func authorizeWrites(
        _ plans: [WritePlan], known: [ResourcePath: DocumentSnapshot?], writer: StoreWriter, context: CallContext,
        requestTime: ProtoTimestamp
    ) throws -> [ResourcePath: DocumentSnapshot?] {
        guard let first = plans.first, let ruleset = rules(for: context, first.database) else { return [:] }
        // Each write applied once, in order, to the document as the writes before it left it;
        // getAfter() sees every write of the batch.
        var before: [ResourcePath: DocumentSnapshot?] = [:]
        var after: [String: Fields?] = [:]
        var judged: [(stored: Fields?, result: Fields?)] = []
        judged.reserveCapacity(plans.count)
        for plan in plans {
            let key = Self.afterKey(plan.database, plan.path)
            let stored: Fields?
            if let seen = after[key] {
                stored = seen
            } else {
                let current = try known[plan.path] ?? writer.document(plan.database, plan.path)
                before[plan.path] = .some(current)
                stored = current?.fields
            }
            let result = plan.apply(to: stored, requestTime: requestTime).fields
            after[key] = .some(result)
            judged.append((stored, result))
        }
        let time = RuleTimestamp(seconds: requestTime.seconds, nanos: requestTime.nanos)
        let docReader = WriterRulesReader(writer: writer, project: plans[0].database.project, after: after)
        let limit = plans.count > 1 ? 20 : 10
        let auth = Self.token(context)
        for (plan, (stored, result)) in zip(plans, judged) {
            let db = plan.database.database
            // An exists precondition says what the write means (a create of an existing document is
            // judged as a create, then fails ALREADY_EXISTS); otherwise the stored state does.
            var method: RuleMethod = result == nil ? .delete : (stored == nil ? .create : .update)
            if result != nil, case .exists(let exists) = plan.precondition { method = exists ? .update : .create }
            let resource: RuleValue = stored.map { .resource(database: db, path: plan.path.segments, fields: $0) } ?? .null
            let request = RulesRequest(
                method: method, target: .document(database: db, path: plan.path.segments), auth: auth,
                time: time, resource: resource,
                // A delete's request.resource is null.
                requestResource: result.map { .resource(database: db, path: plan.path.segments, fields: $0) } ?? .null,
                accessLimit: limit)
            try judge(ruleset, request, reader: docReader, context: context)
        }
        return before
    }

    /// A Listen target, judged as the get or query it stands for; a denial removes the target.
    func authorizeListen(_ target: ListenTarget, context: CallContext) async throws {
        let database = target.database
        guard rules(for: context, database) != nil else { return }
        try await store.read { reader in
            switch target.source {
            case .documents(let paths):
                for path in paths {
                    let doc = try reader.document(database, path)
                    try self.authorizeGet(
                        database, path, doc, view: .latest, reader: reader, context: context,
                        accessLimit: paths.count > 1 ? 20 : 10)
                }
            case .query(let plan, let parent):
                try self.authorizeQuery(plan, database, parent, view: .latest, reader: reader, context: context)
            }
        }
    }

    /// Documents a query's rules may read: the official emulator (production's engine) allows 20.
    static let queryAccessLimit = 20

    static func afterKey(_ database: DatabaseID, _ path: ResourcePath) -> String {
        database.database + "/" + path.description
    }
}

/// `get()`/`exists()` for reads: the store as the request sees it (now, or at its read time).
struct StoreRulesReader: RulesDocumentReader {
    let reader: StoreReader
    let project: String
    let view: ReadView

    func fields(database: String, path: [String], after: Bool) throws -> Fields? {
        let db = DatabaseID(project: project, database: database)
        if case .at(let time) = view { return try reader.document(db, ResourcePath(path), at: time)?.fields }
        return try reader.document(db, ResourcePath(path))?.fields
    }
}

/// `get()`/`exists()` for writes, on the writer: before the batch, or (`getAfter`) after all of it.
struct WriterRulesReader: RulesDocumentReader {
    let writer: StoreWriter
    let project: String
    let after: [String: Fields?]

    func fields(database: String, path: [String], after wantAfter: Bool) throws -> Fields? {
        let db = DatabaseID(project: project, database: database)
        if wantAfter, let f = after[FirestoreService.afterKey(db, ResourcePath(path))] { return f }
        return try writer.document(db, ResourcePath(path))?.fields
    }
}
