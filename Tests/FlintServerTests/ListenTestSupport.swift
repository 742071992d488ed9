import FlintCore
import FlintProto
import GRPCCore

typealias ListenRequest = Google_Firestore_V1_ListenRequest
typealias ListenResponse = Google_Firestore_V1_ListenResponse

/// One open Listen call: requests go out as the test sends them, responses are read one by one.
final class ListenCall {
    let project: String
    private let requests: AsyncStream<ListenRequest>.Continuation
    private var responses: RPCAsyncSequence<ListenResponse, any Error>.AsyncIterator

    init(project: String, requests: AsyncStream<ListenRequest>.Continuation,
         responses: RPCAsyncSequence<ListenResponse, any Error>) {
        self.project = project
        self.requests = requests
        self.responses = responses.makeAsyncIterator()
    }

    var database: String { "projects/\(project)/databases/(default)" }

    func send(_ request: ListenRequest) { requests.yield(request) }

    func addDocuments(_ id: Int32, _ paths: [String], resumeToken: [UInt8]? = nil) {
        send(.with {
            $0.database = database
            $0.addTarget.targetID = id
            $0.addTarget.documents.documents = paths.map { name(project, $0) }
            if let resumeToken { $0.addTarget.resumeToken = .init(resumeToken) }
        })
    }

    func addQuery(_ id: Int32, _ query: Google_Firestore_V1_StructuredQuery, resumeToken: [UInt8]? = nil) {
        send(.with {
            $0.database = database
            $0.addTarget.targetID = id
            $0.addTarget.query.parent = database + "/documents"
            $0.addTarget.query.structuredQuery = query
            if let resumeToken { $0.addTarget.resumeToken = .init(resumeToken) }
        })
    }

    func remove(_ id: Int32) { send(.with { $0.database = database; $0.removeTarget = id }) }

    /// Half-closes the call: the client sends nothing more.
    func finish() { requests.finish() }

    func next() async throws -> ListenResponse {
        guard let response = try await responses.next() else { throw ListenCallError.ended }
        return response
    }

    /// The next `count` responses, summarised (see `summary`).
    func take(_ count: Int) async throws -> [String] {
        var out: [String] = []
        for _ in 0..<count { out.append(summary(try await next())) }
        return out
    }

    /// A response in a few words: `ADD [1]`, `CHANGE c/a [1] -[]`, `DELETE c/a -[1]`, `NO_CHANGE []`…
    func summary(_ r: ListenResponse) -> String {
        let prefix = database + "/documents/"
        func short(_ name: String) -> String { name.hasPrefix(prefix) ? String(name.dropFirst(prefix.count)) : name }
        switch r.responseType {
        case .targetChange(let c)?:
            let kind = ["NO_CHANGE", "ADD", "REMOVE", "CURRENT", "RESET"][c.targetChangeType.rawValue]
            return "\(kind) \(c.targetIds)" + (c.hasCause ? " cause \(c.cause.code)" : "")
        case .documentChange(let c)?: return "CHANGE \(short(c.document.name)) \(c.targetIds) -\(c.removedTargetIds)"
        case .documentDelete(let d)?: return "DELETE \(short(d.document)) -\(d.removedTargetIds)"
        case .documentRemove(let d)?: return "LEAVE \(short(d.document)) -\(d.removedTargetIds)"
        case .filter(let f)?: return "FILTER \(f.targetID) count \(f.count)"
        case nil: return "EMPTY"
        }
    }
}

enum ListenCallError: Error { case ended }

/// Opens a Listen call for `project` and runs `body` with it; the call ends when `body` returns.
func withListen<T: Sendable>(
    _ firestore: FirestoreClient, project: String, _ body: @escaping @Sendable (ListenCall) async throws -> T
) async throws -> T {
    let (requests, continuation) = AsyncStream.makeStream(of: ListenRequest.self)
    let request = StreamingClientRequest<ListenRequest>(producer: { writer in
        for await r in requests { try await writer.write(r) }
    })
    return try await firestore.listen(request: request) { response in
        defer { continuation.finish() }
        return try await body(ListenCall(project: project, requests: continuation, responses: response.messages))
    }
}
