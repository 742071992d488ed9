import FlintCore
import FlintProto
import FlintService
import Foundation
import Hummingbird
import SwiftProtobuf

/// Serves the Firestore v1 REST API (`/v1/projects/{p}/databases/{db}/documents…`) over one
/// `FirestoreService`.
///
/// Firestore's resource paths (escaped or raw ids, `:verb` suffixes) don't fit a router's
/// patterns, so the responder parses the request target itself, once; `FirestoreAPIMiddleware`
/// puts it in front of the application's router.
public struct FirestoreRESTResponder: Sendable {
    let service: FirestoreService

    public init(service: FirestoreService) {
        self.service = service
    }

    /// Whether `request` is for this API (every other path belongs to the router).
    public static func serves(_ request: Request) -> Bool { request.uri.path.hasPrefix("/v1/") }

    public func respond(to request: Request) async throws -> Response {
        let target = try RESTTarget(rawTarget: request.uri.string, allowVerb: request.method == .post)
        let segments = target.segments
        guard segments.count >= 6, segments[0] == "v1", segments[1] == "projects", segments[3] == "databases",
            segments[5] == "documents"
        else { throw Self.unknownRoute(request) }
        let database = DatabaseID(project: segments[2], database: segments[4])
        let path = ResourcePath(Array(segments.dropFirst(6)))
        if path.segments.contains(where: \.isEmpty) {
            throw FirestoreError.invalidArgument(
                "Invalid path \"\(RESTTarget.pathPart(request.uri.string))\": it contains an empty segment.")
        }
        let call = RESTCall(
            request: request, database: database, path: path, query: QueryParameters(target.query),
            context: CallContext(auth: try Authorization(header: request.headers[.authorization])))
        if let verb = target.verb { return try await self.verb(verb, call) }
        switch request.method {
        case .get: return path.isDocument ? try await getDocument(call) : try await listDocuments(call)
        case .patch: return try await updateDocument(call)
        case .delete: return try await deleteDocument(call)
        case .post: return try await createDocument(call)
        default: throw Self.unknownRoute(request)
        }
    }

    static func unknownRoute(_ request: Request) -> FirestoreError {
        FirestoreError(.notFound, "No route for \(request.method) \(RESTTarget.pathPart(request.uri.string)).")
    }
}

/// One parsed Firestore REST call.
struct RESTCall {
    var request: Request
    var database: DatabaseID
    var path: ResourcePath
    var query: QueryParameters
    var context: CallContext

    var name: String { database.name(of: path) }
    var style: ProtoJSON.Style { .init(enumsAsInts: query.enumsAsInts) }

    func body() async throws -> ByteBuffer { try await request.collectBody() }

    func decode<M: SwiftProtobuf.Message>(_ type: M.Type) async throws -> M {
        try ProtoJSON.decode(type, from: try await body())
    }

    func decodeDocument() async throws -> Google_Firestore_V1_Document {
        try ProtoJSON.decodeDocument(from: try await body())
    }

    func reply<M: SwiftProtobuf.Message>(_ message: M) throws -> Response {
        Self.ok(try ProtoJSON.encode(message, style: style))
    }

    func reply(_ document: Google_Firestore_V1_Document) throws -> Response {
        Self.ok(try ProtoJSON.encode(document: document, style: style))
    }

    func replyStream<M: SwiftProtobuf.Message>(_ messages: [M]) throws -> Response {
        Self.ok(try ProtoJSON.encodeArray(messages, style: style))
    }

    static func ok(_ json: ByteBuffer) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json; charset=UTF-8"], body: .init(byteBuffer: json))
    }
}
