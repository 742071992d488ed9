import FlintCore
import FlintProto
import FlintStore
import Foundation

extension FirestoreService {
    public func getDocument(_ request: Google_Firestore_V1_GetDocumentRequest, context: CallContext) async throws
        -> FirestoreDocument
    {
        let (database, path) = try ResourceName.document(request.name)
        let mask = try parseMask(request.hasMask, request.mask)
        let (view, _) = try await readView(request, database: database)
        await lock([path], in: database, view: view)
        try Task.checkCancellation()  // past its deadline while waiting for the lock
        guard let doc = try await store.readShort({ reader in
            let doc = try self.document(database, path, view: view, reader: reader)
            try self.authorizeGet(database, path, doc, view: view, reader: reader, context: context)
            return doc
        }) else {
            throw FirestoreError.notFound("Document (\(request.name)) not found.")
        }
        return doc.proto(in: database, mask: mask)
    }

    public func createDocument(_ request: Google_Firestore_V1_CreateDocumentRequest, context: CallContext) async throws
        -> FirestoreDocument
    {
        let (database, parent) = try ResourceName.parse(request.parent)
        guard parent.isEmpty || parent.isDocument else {
            throw FirestoreError.invalidArgument(
                "Document parent name \"\(request.parent)\" lacks \"/\" at index \(request.parent.utf16.count).")
        }
        try ResourceName.validateID(request.collectionID, collection: true)
        let id = request.documentID.isEmpty ? DocumentID.generate() : request.documentID
        try ResourceName.validateID(id)
        let path = parent.appending(request.collectionID).appending(id)
        let name = database.name(of: path)
        if !request.document.name.isEmpty {
            throw FirestoreError.invalidArgument("document.name must not be set")
        }
        var write = Google_Firestore_V1_Write()
        write.update = request.document
        write.update.name = name
        write.currentDocument.exists = false
        let mask = try parseMask(request.hasMask, request.mask)
        return try await writeAndRead(write, database: database, path: path, mask: mask, context: context)
    }

    public func updateDocument(_ request: Google_Firestore_V1_UpdateDocumentRequest, context: CallContext) async throws
        -> FirestoreDocument
    {
        let (database, path) = try ResourceName.document(request.document.name)
        var write = Google_Firestore_V1_Write()
        write.update = request.document
        if request.hasUpdateMask { write.updateMask = request.updateMask }
        if request.hasCurrentDocument { write.currentDocument = request.currentDocument }
        let mask = try parseMask(request.hasMask, request.mask)
        return try await writeAndRead(write, database: database, path: path, mask: mask, context: context)
    }

    public func deleteDocument(_ request: Google_Firestore_V1_DeleteDocumentRequest, context: CallContext) async throws {
        let (database, _) = try ResourceName.document(request.name)
        var write = Google_Firestore_V1_Write()
        write.delete = request.name
        if request.hasCurrentDocument { write.currentDocument = request.currentDocument }
        _ = try await apply([try WritePlan(write, database: database)], atomically: true, context: context)
    }

    /// Commits one write and answers the document as it now stands.
    private func writeAndRead(
        _ write: Google_Firestore_V1_Write, database: DatabaseID, path: ResourcePath, mask: [FieldPath]?,
        context: CallContext
    ) async throws -> FirestoreDocument {
        let outcome = try await apply([try WritePlan(write, database: database)], atomically: true, context: context)
        guard let doc = outcome.results[0].document else {
            throw FirestoreError(.internal, "Document \"\(database.name(of: path))\" is absent right after it was written.")
        }
        return doc.proto(in: database, mask: mask)
    }
}

/// Firestore's auto-generated document ids: 20 characters of [A-Za-z0-9].
public enum DocumentID {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")

    public static func generate() -> String {
        var rng = SystemRandomNumberGenerator()
        return String((0..<20).map { _ in alphabet[Int(rng.next(upperBound: UInt64(alphabet.count)))] })
    }
}
