import FlintCore
import FlintProto
import FlintStore
import Foundation

extension FirestoreService {
    public func listDocuments(_ request: Google_Firestore_V1_ListDocumentsRequest, context: CallContext) async throws
        -> Google_Firestore_V1_ListDocumentsResponse
    {
        let (database, parent) = try ResourceName.parent(request.parent)
        if request.showMissing {
            try Self.requireAdmin(context)
            if !request.orderBy.isEmpty {
                throw FirestoreError.invalidArgument("Cannot specify an order (orderBy) when showMissing is true.")
            }
        }
        try ResourceName.validateID(request.collectionID, collection: true)
        if request.pageSize < 0 { throw FirestoreError.invalidArgument("pageSize must not be negative.") }
        let (view, _) = try await readView(request, database: database)
        let mask = try parseMask(request.hasMask, request.mask)
        let order = try ListOrder(parsing: request.orderBy)
        let token = try PageToken(request.pageToken)
        let collection = parent.appending(request.collectionID)
        let pageSize = request.pageSize == 0 ? Int.max : Int(request.pageSize)

        return try await store.read { reader in
            try self.authorizeListing(
                collection, database, pageSize: pageSize == Int.max ? nil : pageSize,
                orderBy: order.fields.map { ($0.path.description, $0.descending) }, view: view, reader: reader,
                context: context)
            var response = Google_Firestore_V1_ListDocumentsResponse()
            var docs: [FirestoreDocument]
            if case .latest = view, order.isKeyOrder && !request.showMissing {
                // Key order is the storage order: read just one page.
                let limit = pageSize == Int.max ? nil : pageSize
                let stored = try reader.documents(database, in: collection, afterID: token.afterID, limit: limit)
                docs = stored.map { $0.proto(in: database, mask: mask) }
                if let last = stored.last, stored.count == pageSize {
                    response.nextPageToken = PageToken(afterID: last.path.lastSegment).encoded
                }
            } else {
                var all = try self.list(database, collection, view: view, reader: reader).map { $0.proto(in: database, mask: mask) }
                if request.showMissing {
                    for id in try reader.missingDocumentIDs(database, in: collection) {
                        var missing = FirestoreDocument()
                        missing.name = database.name(of: collection.appending(id))
                        all.append(missing)
                    }
                }
                all = try order.sorted(all, storedFields: { try reader.document(database, try ResourceName.document($0.name).1)?.fields ?? [:] })
                let start = token.offset ?? 0
                docs = Array(all.dropFirst(start).prefix(pageSize))
                if docs.count == pageSize, start + pageSize <= all.count {
                    response.nextPageToken = PageToken(offset: start + pageSize).encoded
                }
            }
            response.documents = docs
            return response
        }
    }

    /// Every document of a collection through a view (a read-write transaction remembers the listing).
    func list(_ database: DatabaseID, _ collection: ResourcePath, view: ReadView, reader: StoreReader) throws -> [DocumentSnapshot] {
        switch view {
        case .latest: return try reader.documents(database, in: collection)
        case .at(let time): return try reader.documents(database, in: collection, at: time)
        case .readWrite:
            var query = StructuredQuery()
            query.from = [.with { $0.collectionID = collection.lastSegment }]
            let plan = try QueryPlan(query, database: database, parent: collection.parent)
            var stats = QueryStats()
            return try execute(plan, database, collection.parent, view: view, reader: reader, stats: &stats)
        }
    }

    public func listCollectionIDs(_ request: Google_Firestore_V1_ListCollectionIdsRequest, context: CallContext)
        async throws -> Google_Firestore_V1_ListCollectionIdsResponse
    {
        try Self.requireAdmin(context)
        let (database, parent) = try ResourceName.parent(request.parent)
        if request.pageSize < 0 { throw FirestoreError.invalidArgument("pageSize must not be negative.") }
        let token = try PageToken(request.pageToken)
        let time = try request.consistencySelector.map { (s) throws(FirestoreError) -> Int64 in
            guard case .readTime(let t) = s else { throw .invalidArgument("listCollectionIds takes only a readTime.") }
            return try checkReadTime(t)
        }
        let ids = try await store.read { try $0.collectionIDs(database, under: parent, at: time) }
        let after = token.afterID.map { a in ids.filter { a.utf8.lexicographicallyPrecedes($0.utf8) } } ?? ids
        var response = Google_Firestore_V1_ListCollectionIdsResponse()
        if request.pageSize > 0 && after.count >= Int(request.pageSize) {
            response.collectionIds = Array(after.prefix(Int(request.pageSize)))
            response.nextPageToken = PageToken(afterID: response.collectionIds.last!).encoded
        } else {
            response.collectionIds = after
        }
        return response
    }
}

/// An opaque page token: after a key, or an offset into an ordered listing.
struct PageToken {
    var afterID: String?
    var offset: Int?

    init(afterID: String) { self.afterID = afterID }
    init(offset: Int) { self.offset = offset }

    init(_ token: String) throws(FirestoreError) {
        guard !token.isEmpty else { return }
        guard let data = Data(base64Encoded: token), let text = String(data: data, encoding: .utf8), let kind = text.first
        else { throw FirestoreError.invalidArgument("Invalid page token \"\(token)\".") }
        let rest = String(text.dropFirst())
        switch kind {
        case "k": afterID = rest
        case "o":
            guard let n = Int(rest), n >= 0 else { throw FirestoreError.invalidArgument("Invalid page token \"\(token)\".") }
            offset = n
        default: throw FirestoreError.invalidArgument("Invalid page token \"\(token)\".")
        }
    }

    var encoded: String {
        let text = afterID.map { "k" + $0 } ?? "o\(offset ?? 0)"
        return Data(text.utf8).base64EncodedString()
    }
}

/// ListDocuments' `orderBy`: `field [asc|desc], …`, ending in `__name__` implicitly.
struct ListOrder {
    var fields: [(path: FieldPath, descending: Bool)] = []

    var isKeyOrder: Bool { fields.isEmpty || (fields.count == 1 && fields[0].path.isDocumentKey && !fields[0].descending) }

    init(parsing text: String) throws(FirestoreError) {
        guard !text.isEmpty else { return }
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let words = part.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = words.first, words.count <= 2 else {
                throw FirestoreError.invalidArgument("Invalid orderBy \"\(text)\": expected \"field [asc|desc], …\".")
            }
            var descending = false
            if words.count == 2 {
                switch words[1].lowercased() {
                case "asc": descending = false
                case "desc": descending = true
                default: throw FirestoreError.invalidArgument("Invalid orderBy \"\(text)\": direction must be asc or desc.")
                }
            }
            fields.append((try FieldPath(parsing: String(first)), descending))
        }
    }

    /// Sorts by the order fields, leaving out documents that lack one, then by name in the last direction.
    func sorted(_ docs: [FirestoreDocument], storedFields: (FirestoreDocument) throws -> Fields) throws -> [FirestoreDocument] {
        var keyed: [(doc: FirestoreDocument, values: [FirestoreValue], path: ResourcePath)] = []
        for doc in docs {
            let full = try storedFields(doc)
            var values: [FirestoreValue] = []
            var complete = true
            for f in fields where !f.path.isDocumentKey {
                guard let v = full.value(at: f.path) else {
                    complete = false
                    break
                }
                values.append(v)
            }
            if complete { keyed.append((doc, values, try ResourceName.document(doc.name).1)) }
        }
        let valueOrders = fields.filter { !$0.path.isDocumentKey }.map(\.descending)
        let nameDescending = fields.last?.descending ?? false
        keyed.sort { a, b in
            for (i, descending) in valueOrders.enumerated() {
                let c = ValueOrder.compare(a.values[i], b.values[i])
                if c != 0 { return descending ? c > 0 : c < 0 }
            }
            return nameDescending ? b.path < a.path : a.path < b.path
        }
        return keyed.map(\.doc)
    }
}
