import FlintCore
import FlintProto
import FlintStore
import Foundation

extension FirestoreService {
    /// Reads several documents from one snapshot; repeated names are answered once, and names
    /// outside the request's database come back missing.
    public func batchGetDocuments(_ request: Google_Firestore_V1_BatchGetDocumentsRequest, context: CallContext)
        async throws -> [Google_Firestore_V1_BatchGetDocumentsResponse]
    {
        let database = try ResourceName.database(request.database)
        let mask = try parseMask(request.hasMask, request.mask)
        var seen = Set<[UInt8]>()
        var targets: [(name: String, path: ResourcePath?)] = []
        for name in request.documents where seen.insert(Array(name.utf8)).inserted {
            let (db, path) = try ResourceName.document(name)
            targets.append((name, db == database ? path : nil))
        }
        let requested = targets
        let (view, newID) = try await readView(request, database: database)
        await lock(requested.compactMap(\.path), in: database, view: view)
        var responses = try await store.read { reader in
            let readTime: ProtoTimestamp
            if case .at(let t) = view { readTime = ProtoTimestamp(micros: t) } else {
                readTime = self.readTime(lastCommit: try reader.lastCommitTime())
            }
            return try requested.map { target in
                var response = Google_Firestore_V1_BatchGetDocumentsResponse()
                response.readTime = readTime
                let doc = try target.path.flatMap { try self.document(database, $0, view: view, reader: reader) }
                if let path = target.path {
                    try self.authorizeGet(database, path, doc, view: view, reader: reader, context: context, accessLimit: 20)
                }
                if let doc {
                    response.found = doc.proto(in: database, mask: mask)
                } else {
                    response.missing = target.name
                }
                return response
            }
        }
        // A transaction begun by this request is announced first.
        if let newID { responses.insert(.with { $0.transaction = newID }, at: 0) }
        return responses
    }
}
