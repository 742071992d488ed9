import FlintCore
import FlintProto
import FlintREST
import FlintServer
import FlintService
import Hummingbird

/// The data browser's endpoints:
/// - `GET databases`: every project and database holding documents.
/// - `GET projects/{p}/databases/{db}/collections[?parent=PATH]`: the collections under the root or
///   a document, each with its count (a count aggregation, answered from the kept counts; at most
///   `maxCountedCollections` are counted).
extension FlintUI {
    static let maxCountedCollections = 200

    func addDataRoutes(to emulator: RouterGroup<FlintRequestContext>) {
        emulator.get("databases") { [self] _, _ in
            let databases = try await requireService().databasesHoldingDocuments()
            return try EmulatorJSON.response(
                DatabaseList(
                    databases: databases.map {
                        .init(project: $0.database.project, database: $0.database.database, documents: $0.topLevelDocuments)
                    }))
        }
        emulator.get("projects/{project}/databases/{database}/collections") { [self] request, context in
            let database = DatabaseID(
                project: try context.parameters.require("project"), database: try context.parameters.require("database"))
            let parent = try Self.documentPath(request.query("parent") ?? "", in: database)
            return try EmulatorJSON.response(try await collections(database, under: parent))
        }
    }

    /// A document path given as `a/b/c/d` (empty: the root), checked.
    static func documentPath(_ text: String, in database: DatabaseID) throws -> ResourcePath {
        let trimmed = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        let path = ResourcePath(trimmed)
        guard trimmed.count % 2 == 0 else {
            throw FirestoreError.invalidArgument("parent must name a document (an even number of segments), not \"\(text)\".")
        }
        if !trimmed.isEmpty { try ResourceName.validate(path, name: database.name(of: path)) }
        return path
    }

    func collections(_ database: DatabaseID, under parent: ResourcePath) async throws -> CollectionList {
        let service = try requireService()
        let context = CallContext(auth: .admin)
        var request = Google_Firestore_V1_ListCollectionIdsRequest()
        request.parent = parent.isEmpty ? database.resourceName + "/documents" : database.name(of: parent)
        let ids = try await service.listCollectionIDs(request, context: context).collectionIds
        var out = CollectionList(collections: [], truncated: ids.count > Self.maxCountedCollections)
        for id in ids.prefix(Self.maxCountedCollections) {
            let path = parent.appending(id)
            out.collections.append(
                .init(id: id, path: path.description, count: try await count(database, parent: parent, collection: id)))
        }
        return out
    }

    /// `count()` of one collection, as `:runAggregationQuery` answers it.
    func count(_ database: DatabaseID, parent: ResourcePath, collection: String) async throws -> Int {
        var request = Google_Firestore_V1_RunAggregationQueryRequest()
        request.parent = parent.isEmpty ? database.resourceName + "/documents" : database.name(of: parent)
        request.structuredAggregationQuery = .with {
            $0.structuredQuery = .with { $0.from = [.with { $0.collectionID = collection }] }
            $0.aggregations = [.with { $0.alias = "n"; $0.count = .init() }]
        }
        let responses = try await requireService().runAggregationQuery(request, context: CallContext(auth: .admin))
        return Int(responses.first { $0.hasResult }?.result.aggregateFields["n"]?.integerValue ?? 0)
    }
}

struct DatabaseList: Encodable {
    struct Entry: Encodable {
        var project, database: String
        /// Documents of its top-level collections.
        var documents: Int
    }
    var databases: [Entry]
}

struct CollectionList: Encodable {
    struct Entry: Encodable {
        var id, path: String
        var count: Int
    }
    var collections: [Entry]
    /// More collections than were counted exist (only the first are listed).
    var truncated: Bool
}
