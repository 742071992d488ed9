import FlintCore
import FlintProto
import FlintService
import Hummingbird
import SwiftProtobuf

/// The `:verb` calls, whose request message is the JSON body plus the name in the URL.
extension FirestoreRESTResponder {
    func verb(_ verb: String, _ call: RESTCall) async throws -> Response {
        try call.query.only([])
        switch verb {
        case "commit":
            var request = try await call.decode(Google_Firestore_V1_CommitRequest.self)
            request.database = try databaseName(call)
            return try call.reply(try await service.commit(request, context: call.context))
        case "batchGet":
            var request = try await call.decode(Google_Firestore_V1_BatchGetDocumentsRequest.self)
            request.database = try databaseName(call)
            return try call.replyStream(try await service.batchGetDocuments(request, context: call.context))
        case "batchWrite":
            var request = try await call.decode(Google_Firestore_V1_BatchWriteRequest.self)
            request.database = try databaseName(call)
            return try call.reply(try await service.batchWrite(request, context: call.context))
        case "listCollectionIds":
            var request = try await call.decode(Google_Firestore_V1_ListCollectionIdsRequest.self)
            request.parent = try parentName(call)
            return try call.reply(try await service.listCollectionIDs(request, context: call.context))
        case "runQuery":
            var request = try await call.decode(Google_Firestore_V1_RunQueryRequest.self)
            request.parent = try parentName(call)
            return try call.replyStream(try await service.runQuery(request, context: call.context))
        case "runAggregationQuery":
            var request = try await call.decode(Google_Firestore_V1_RunAggregationQueryRequest.self)
            request.parent = try parentName(call)
            return try call.replyStream(try await service.runAggregationQuery(request, context: call.context))
        case "partitionQuery":
            var request = try await call.decode(Google_Firestore_V1_PartitionQueryRequest.self)
            request.parent = try parentName(call)
            return try call.reply(try await service.partitionQuery(request, context: call.context))
        case "beginTransaction":
            var request = try await call.decode(Google_Firestore_V1_BeginTransactionRequest.self)
            request.database = try databaseName(call)
            return try call.reply(try await service.beginTransaction(request, context: call.context))
        case "rollback":
            var request = try await call.decode(Google_Firestore_V1_RollbackRequest.self)
            request.database = try databaseName(call)
            try await service.rollback(request, context: call.context)
            return try call.reply(SwiftProtobuf.Google_Protobuf_Empty())
        case "listen", "write":
            throw FirestoreError(.unimplemented, "Method \(verb) is only available over gRPC.")
        default:
            throw FirestoreError(.unimplemented, "Method \(verb) is not supported yet by this server.")
        }
    }

    /// Verbs on the database (`…/documents:commit`) may not name a document path.
    func databaseName(_ call: RESTCall) throws -> String {
        guard call.path.isEmpty else {
            throw FirestoreError.invalidArgument("This method applies to \"\(call.database.documentsRoot)\", not to \"\(call.name)\".")
        }
        return call.database.resourceName
    }

    /// Verbs on a parent: the documents root or a document.
    func parentName(_ call: RESTCall) throws -> String {
        guard call.path.isEmpty || call.path.isDocument else {
            throw FirestoreError.invalidArgument(
                "Document parent name \"\(call.name)\" lacks \"/\" at index \(call.name.utf16.count).")
        }
        return call.name
    }
}
