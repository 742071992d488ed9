import FlintCore
import FlintProto
import FlintStore
import Foundation

/// Which document paths a Listen target can ever hold; commits are filtered by it before they are
/// queued, so a listener is not charged for writes it never sees.
struct ListenScope: Sendable {
    enum Kind: Sendable {
        case documents(Set<ResourcePath>)
        /// Documents of the collections a query reads: `collectionID` directly below `parent`, or
        /// anywhere below it for a collection group (nil: any collection).
        case query(parent: ResourcePath, collectionID: String?, allDescendants: Bool)
    }
    var database: DatabaseID
    var kind: Kind

    func contains(_ database: DatabaseID, _ path: ResourcePath) -> Bool {
        guard database == self.database else { return false }
        switch kind {
        case .documents(let paths):
            return paths.contains(path)
        case .query(let parent, let collectionID, let allDescendants):
            guard path.count >= parent.count + 2, parent.isPrefix(of: path) else { return false }
            if !allDescendants && path.count != parent.count + 2 { return false }
            return collectionID.map { path.collectionID.utf8.elementsEqual($0.utf8) } ?? true
        }
    }
}

/// One target of a Listen stream: what it watches and the documents it currently holds.
struct ListenTarget: Sendable {
    enum Source: Sendable {
        case documents([ResourcePath])
        case query(QueryPlan, parent: ResourcePath)
    }

    let id: Int32
    let source: Source
    let scope: ListenScope
    /// Remove the target once its first consistent snapshot is sent.
    let once: Bool
    /// Documents in the result, each with the update time the client was sent.
    var versions: [ResourcePath: Int64] = [:]
    /// Commits at or before this time were already in the target's first snapshot.
    var baseline: Int64 = 0

    var database: DatabaseID { scope.database }

    /// Validates a requested target in `database` (error texts name what was wrong).
    init(_ target: Google_Firestore_V1_Target, id: Int32, database: DatabaseID) throws(FirestoreError) {
        self.id = id
        once = target.once
        switch target.targetType {
        case .documents(let documents)?:
            var paths: [ResourcePath] = []
            for name in documents.documents {
                let (db, path) = try ResourceName.document(name)
                try Self.check(db, database, name)
                if !paths.contains(path) { paths.append(path) }
            }
            source = .documents(paths)
            scope = ListenScope(database: database, kind: .documents(Set(paths)))
        case .query(let query)?:
            let (db, parent) = try ResourceName.parent(query.parent)
            try Self.check(db, database, query.parent)
            guard case .structuredQuery(let structured)? = query.queryType else {
                throw .invalidArgument("A query target needs a structuredQuery.")
            }
            let plan = try QueryPlan(structured, database: database, parent: parent)
            source = .query(plan, parent: parent)
            scope = ListenScope(
                database: database,
                kind: .query(parent: parent, collectionID: plan.collectionID, allDescendants: plan.allDescendants))
        case nil:
            throw .invalidArgument("Target \(id) names neither documents nor a query.")
        }
    }

    static func check(_ db: DatabaseID, _ database: DatabaseID, _ name: String) throws(FirestoreError) {
        guard db == database else {
            throw .invalidArgument("\"\(name)\" is not in the stream's database \"\(database.resourceName)\".")
        }
    }

    var isQuery: Bool {
        if case .query = source { return true }
        return false
    }

    /// The fields sent for each document (a query's projection).
    var mask: [FieldPath]? {
        if case .query(let plan, _) = source { return plan.projection }
        return nil
    }

    /// Whether one document's change can be judged alone; a limit, offset or findNearest makes
    /// membership depend on the other documents, so such targets run their query again.
    var judgesDocumentsAlone: Bool {
        if case .query(let plan, _) = source { return plan.limit == nil && plan.offset == 0 && plan.nearest == nil }
        return true
    }

    /// Whether `doc` belongs in the result (for targets that judge documents alone).
    func matches(_ doc: DocumentSnapshot) -> Bool {
        guard scope.contains(database, doc.path) else { return false }
        guard case .query(let plan, _) = source else { return true }
        let name = database.name(of: doc.path)
        guard plan.matches(doc.fields, name: name), let values = plan.orderValues(doc.fields, name: name) else {
            return false
        }
        return !plan.isBeforeStart(values) && !plan.isAfterEnd(values)
    }

    /// The target's documents, in result order, now or as they were at `time`.
    func read(_ reader: StoreReader, at time: Int64? = nil) throws -> [DocumentSnapshot] {
        switch source {
        case .documents(let paths):
            return try paths.compactMap { path in
                try time.map { try reader.document(database, path, at: $0) } ?? reader.document(database, path)
            }
        case .query(let plan, let parent):
            var stats = QueryStats()
            if let time { return try reader.execute(plan, database: database, parent: parent, at: time, stats: &stats) }
            return try reader.execute(plan, database: database, parent: parent, stats: &stats)
        }
    }
}

/// Resume tokens carry the read time they resume from.
enum ResumeToken {
    private static let version: UInt8 = 1

    static func encode(_ micros: Int64) -> Data {
        var data = Data([version])
        withUnsafeBytes(of: micros.bigEndian) { data.append(contentsOf: $0) }
        return data
    }

    static func decode(_ token: Data) throws(FirestoreError) -> Int64 {
        guard token.count == 9, token.first == version else {
            throw .invalidArgument("The resume token is not one this server issued.")
        }
        return token.dropFirst().reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
