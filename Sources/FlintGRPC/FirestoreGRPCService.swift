import FlintCore
import FlintProto
import FlintService
import GRPCCore
import SwiftProtobuf

/// `google.firestore.v1.Firestore` over gRPC, translating to the same `FirestoreService` REST uses.
public struct FirestoreGRPCService: Google_Firestore_V1_Firestore.ServiceProtocol {
    let service: FirestoreService
    let listeners: ListenHub

    /// `listenBufferLimit`: document changes a Listen stream may have waiting before it is closed.
    public init(service: FirestoreService, listenBufferLimit: Int = ListenHub.defaultBufferLimit) {
        self.service = service
        self.listeners = ListenHub(service: service, bufferLimit: listenBufferLimit)
    }

    /// Serves Listen through `listeners`, which other transports (WebChannel) share.
    public init(service: FirestoreService, listeners: ListenHub) {
        self.service = service
        self.listeners = listeners
    }

    static func callContext(_ metadata: Metadata) throws(FirestoreError) -> CallContext {
        CallContext(auth: try Authorization(header: metadata[stringValues: "authorization"].first(where: { _ in true })))
    }

    func unary<Req: Sendable, Resp: Sendable>(
        _ request: ServerRequest<Req>, _ body: @escaping @Sendable (Req, CallContext) async throws -> Resp
    ) async throws -> ServerResponse<Resp> {
        do {
            let context = try Self.callContext(request.metadata)
            return ServerResponse(
                message: try await GRPCDeadline(request.metadata).run { try await body(request.message, context) })
        } catch {
            throw GRPCStatusMapping.rpcError(error)
        }
    }

    func stream<Req: Sendable, Resp: Sendable>(
        _ request: ServerRequest<Req>, _ body: @escaping @Sendable (Req, CallContext) async throws -> [Resp]
    ) async throws -> StreamingServerResponse<Resp> {
        do {
            let context = try Self.callContext(request.metadata)
            let messages = try await GRPCDeadline(request.metadata).run { try await body(request.message, context) }
            return StreamingServerResponse { writer in
                try await writer.write(contentsOf: messages)
                return [:]
            }
        } catch {
            throw GRPCStatusMapping.rpcError(error)
        }
    }

    public func getDocument(request: ServerRequest<Google_Firestore_V1_GetDocumentRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_Document>
    { try await unary(request) { try await service.getDocument($0, context: $1) } }

    public func listDocuments(request: ServerRequest<Google_Firestore_V1_ListDocumentsRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_ListDocumentsResponse>
    { try await unary(request) { try await service.listDocuments($0, context: $1) } }

    public func updateDocument(request: ServerRequest<Google_Firestore_V1_UpdateDocumentRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_Document>
    { try await unary(request) { try await service.updateDocument($0, context: $1) } }

    public func deleteDocument(request: ServerRequest<Google_Firestore_V1_DeleteDocumentRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Protobuf_Empty>
    {
        try await unary(request) {
            try await service.deleteDocument($0, context: $1)
            return Google_Protobuf_Empty()
        }
    }

    public func createDocument(request: ServerRequest<Google_Firestore_V1_CreateDocumentRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_Document>
    { try await unary(request) { try await service.createDocument($0, context: $1) } }

    public func batchGetDocuments(
        request: ServerRequest<Google_Firestore_V1_BatchGetDocumentsRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Google_Firestore_V1_BatchGetDocumentsResponse> {
        try await stream(request) { try await service.batchGetDocuments($0, context: $1) }
    }

    public func commit(request: ServerRequest<Google_Firestore_V1_CommitRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_CommitResponse>
    { try await unary(request) { try await service.commit($0, context: $1) } }

    public func batchWrite(request: ServerRequest<Google_Firestore_V1_BatchWriteRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_BatchWriteResponse>
    { try await unary(request) { try await service.batchWrite($0, context: $1) } }

    public func listCollectionIds(
        request: ServerRequest<Google_Firestore_V1_ListCollectionIdsRequest>, context: ServerContext
    ) async throws -> ServerResponse<Google_Firestore_V1_ListCollectionIdsResponse> {
        try await unary(request) { try await service.listCollectionIDs($0, context: $1) }
    }

    public func beginTransaction(
        request: ServerRequest<Google_Firestore_V1_BeginTransactionRequest>, context: ServerContext
    ) async throws -> ServerResponse<Google_Firestore_V1_BeginTransactionResponse> {
        try await unary(request) { try await service.beginTransaction($0, context: $1) }
    }

    public func rollback(request: ServerRequest<Google_Firestore_V1_RollbackRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Protobuf_Empty>
    {
        try await unary(request) {
            try await service.rollback($0, context: $1)
            return Google_Protobuf_Empty()
        }
    }

    public func runQuery(request: ServerRequest<Google_Firestore_V1_RunQueryRequest>, context: ServerContext)
        async throws -> StreamingServerResponse<Google_Firestore_V1_RunQueryResponse>
    { try await stream(request) { try await service.runQuery($0, context: $1) } }

    public func runAggregationQuery(
        request: ServerRequest<Google_Firestore_V1_RunAggregationQueryRequest>, context: ServerContext
    ) async throws -> StreamingServerResponse<Google_Firestore_V1_RunAggregationQueryResponse> {
        try await stream(request) { try await service.runAggregationQuery($0, context: $1) }
    }

    public func partitionQuery(request: ServerRequest<Google_Firestore_V1_PartitionQueryRequest>, context: ServerContext)
        async throws -> ServerResponse<Google_Firestore_V1_PartitionQueryResponse>
    { try await unary(request) { try await service.partitionQuery($0, context: $1) } }

    /// The streaming write protocol of the mobile and web SDKs: each request's writes are one commit.
    public func write(request: StreamingServerRequest<Google_Firestore_V1_WriteRequest>, context: ServerContext)
        async throws -> StreamingServerResponse<Google_Firestore_V1_WriteResponse>
    {
        let callContext: CallContext
        do { callContext = try Self.callContext(request.metadata) } catch { throw GRPCStatusMapping.rpcError(error) }
        let stream = WriteStream(service: service, context: callContext)
        return StreamingServerResponse { writer in
            do {
                try await stream.run(request.messages) { try await writer.write($0) }
            } catch {
                throw GRPCStatusMapping.rpcError(error)
            }
            return [:]
        }
    }

    public func listen(request: StreamingServerRequest<Google_Firestore_V1_ListenRequest>, context: ServerContext)
        async throws -> StreamingServerResponse<Google_Firestore_V1_ListenResponse>
    {
        let deadline = GRPCDeadline(request.metadata)
        let prefix = request.metadata[stringValues: "google-cloud-resource-prefix"].first(where: { _ in true })
        let caller: CallContext
        do { caller = try Self.callContext(request.metadata) } catch { throw GRPCStatusMapping.rpcError(error) }
        return StreamingServerResponse { [listeners] writer in
            let stream = listeners.open(defaultDatabase: prefix, context: caller)
            do {
                try await withRPCCancellationHandler {
                    try await stream.run(request.messages) { try await writer.write(contentsOf: $0) }
                } onCancelRPC: {
                    stream.cancel(deadline.stopReason)
                }
            } catch {
                throw GRPCStatusMapping.rpcError(error)
            }
            return [:]
        }
    }
}
