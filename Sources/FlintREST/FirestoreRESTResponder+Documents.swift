import FlintCore
import FlintProto
import FlintService
import Hummingbird
import SwiftProtobuf

/// GET, PATCH, DELETE and POST on document and collection paths.
extension FirestoreRESTResponder {
    func getDocument(_ call: RESTCall) async throws -> Response {
        try call.query.only(["mask.fieldPaths", "transaction", "readTime"])
        var request = Google_Firestore_V1_GetDocumentRequest()
        request.name = call.name
        if let mask = call.query.mask("mask") { request.mask = mask }
        if let t = try call.query.bytes("transaction") { request.transaction = t }
        if let t = try call.query.timestamp("readTime") { request.readTime = t }
        return try call.reply(try await service.getDocument(request, context: call.context))
    }

    func listDocuments(_ call: RESTCall) async throws -> Response {
        try call.query.only(["pageSize", "pageToken", "orderBy", "mask.fieldPaths", "showMissing", "readTime", "transaction"])
        guard call.path.isCollection else {
            throw FirestoreError.invalidArgument("Listing needs a collection path, not \"\(call.name)\".")
        }
        var request = Google_Firestore_V1_ListDocumentsRequest()
        request.parent = call.database.name(of: call.path.parent)
        request.collectionID = call.path.lastSegment
        if let n = try call.query.int32("pageSize") { request.pageSize = n }
        if let t = call.query.string("pageToken") { request.pageToken = t }
        if let o = call.query.string("orderBy") { request.orderBy = o }
        if let mask = call.query.mask("mask") { request.mask = mask }
        if let s = try call.query.bool("showMissing") { request.showMissing = s }
        if let t = try call.query.bytes("transaction") { request.transaction = t }
        if let t = try call.query.timestamp("readTime") { request.readTime = t }
        return try call.reply(try await service.listDocuments(request, context: call.context))
    }

    func createDocument(_ call: RESTCall) async throws -> Response {
        var request = try Self.createRequest(call)
        request.document = try await call.decodeDocument()
        return try call.reply(try await service.createDocument(request, context: call.context))
    }

    /// Everything of a createDocument request but its body (kept out of the async function).
    static func createRequest(_ call: RESTCall) throws -> Google_Firestore_V1_CreateDocumentRequest {
        try call.query.only(["documentId", "mask.fieldPaths"])
        let parent = call.database.name(of: call.path.parent)
        guard call.path.isCollection else {
            throw FirestoreError.invalidArgument("Document parent name \"\(parent)\" lacks \"/\" at index \(parent.utf16.count).")
        }
        var request = Google_Firestore_V1_CreateDocumentRequest()
        request.parent = parent
        request.collectionID = call.path.lastSegment
        request.documentID = call.query.string("documentId") ?? ""
        if let mask = call.query.mask("mask") { request.mask = mask }
        return request
    }

    func updateDocument(_ call: RESTCall) async throws -> Response {
        try call.query.only(["updateMask.fieldPaths", "mask.fieldPaths", "currentDocument.exists", "currentDocument.updateTime"])
        var request = Google_Firestore_V1_UpdateDocumentRequest()
        request.document = try await call.decodeDocument()
        if !request.document.name.isEmpty && request.document.name != call.name {
            throw FirestoreError.invalidArgument(
                "The document name \"\(request.document.name)\" in the body differs from \"\(call.name)\" in the URL.")
        }
        request.document.name = call.name
        if let mask = call.query.mask("updateMask") { request.updateMask = mask }
        if let mask = call.query.mask("mask") { request.mask = mask }
        if let precondition = try Self.precondition(call.query) { request.currentDocument = precondition }
        return try call.reply(try await service.updateDocument(request, context: call.context))
    }

    func deleteDocument(_ call: RESTCall) async throws -> Response {
        try call.query.only(["currentDocument.exists", "currentDocument.updateTime"])
        var request = Google_Firestore_V1_DeleteDocumentRequest()
        request.name = call.name
        if let precondition = try Self.precondition(call.query) { request.currentDocument = precondition }
        try await service.deleteDocument(request, context: call.context)
        return try call.reply(SwiftProtobuf.Google_Protobuf_Empty())
    }

    static func precondition(_ query: QueryParameters) throws -> Google_Firestore_V1_Precondition? {
        let exists = try query.bool("currentDocument.exists")
        let updateTime = try query.timestamp("currentDocument.updateTime")
        if exists != nil && updateTime != nil {
            throw FirestoreError.invalidArgument("A precondition may set currentDocument.exists or currentDocument.updateTime, not both.")
        }
        if let exists { return .with { $0.exists = exists } }
        if let updateTime { return .with { $0.updateTime = updateTime } }
        return nil
    }
}
