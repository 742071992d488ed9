import FlintCore
import FlintProto
import FlintService
import FlintTriggers
import Foundation
import Hummingbird
import SwiftProtobuf

/// Serves the Firestore v1 REST surface and the emulator endpoints over one `FirestoreService`.
///
/// Firestore's resource paths (escaped or raw ids, `:verb` suffixes) don't fit a router's
/// patterns, so the responder parses the request target itself, once.
public struct FirestoreRESTResponder: HTTPResponder {
    public typealias Context = BasicRequestContext
    let service: FirestoreService
    let triggers: TriggerRuntime?
    let extensions: [any FlintExtension]

    /// Production's request size limit.
    static let maxRequestBytes = 10 * 1024 * 1024

    public init(service: FirestoreService, triggers: TriggerRuntime? = nil, extensions: [any FlintExtension] = []) {
        self.service = service
        self.triggers = triggers
        self.extensions = extensions
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        do {
            return try await route(request)
        } catch {
            return RESTError.response(for: error)
        }
    }

    func route(_ request: Request) async throws -> Response {
        let raw = request.uri.string
        let pathOnly = RESTTarget.splitTarget(raw).0
        if pathOnly == "/" && request.method == .get { return Self.text("Ok\n") }
        let target = try RESTTarget(rawTarget: raw, allowVerb: request.method == .post)
        let segments = target.segments
        if segments.starts(with: ["emulator", "v1"]) {
            return try await emulator(request, target)
        }
        guard segments.count >= 6, segments[0] == "v1", segments[1] == "projects", segments[3] == "databases",
            segments[5] == "documents"
        else { throw Self.unknownRoute(request) }
        let database = DatabaseID(project: segments[2], database: segments[4])
        let path = ResourcePath(Array(segments.dropFirst(6)))
        if path.segments.contains(where: \.isEmpty) {
            throw FirestoreError.invalidArgument("Invalid path \"\(pathOnly)\": it contains an empty segment.")
        }
        let call = RESTCall(
            request: request, database: database, path: path, query: QueryParameters(target.query),
            context: CallContext(isAdmin: Self.isAdmin(request)))
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
        FirestoreError(.notFound, "No route for \(request.method) \(RESTTarget.splitTarget(request.uri.string).0).")
    }

    static func isAdmin(_ request: Request) -> Bool {
        request.headers[.authorization].map { $0.trimmingCharacters(in: .whitespaces) == "Bearer owner" } ?? false
    }

    static func text(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: s)))
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

    func body() async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: FirestoreRESTResponder.maxRequestBytes)
        } catch {
            throw FirestoreError.invalidArgument(
                "Request payload size exceeds the limit: \(FirestoreRESTResponder.maxRequestBytes) bytes.")
        }
    }

    func decode<M: SwiftProtobuf.Message>(_ type: M.Type) async throws -> M {
        try ProtoJSON.decode(type, from: try await body())
    }

    func reply<M: SwiftProtobuf.Message>(_ message: M) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: try ProtoJSON.encode(message, style: style)))
    }

    func replyStream<M: SwiftProtobuf.Message>(_ messages: [M]) throws -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
            body: .init(byteBuffer: try ProtoJSON.encodeArray(messages, style: style)))
    }
}
