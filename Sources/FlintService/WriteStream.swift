import FlintCore
import FlintProto
import Foundation
import Synchronization

/// The streaming write protocol the mobile and web SDKs use (`Firestore/Write`), for every
/// transport: a handshake names the database and gets a stream id and token, then each request's
/// writes are one atomic commit — the very `commit` a `:commit` call makes, for the same caller.
public struct WriteStream: Sendable {
    let service: FirestoreService
    let context: CallContext

    public init(service: FirestoreService, context: CallContext) {
        self.service = service
        self.context = context
    }

    /// Answers every request in order until the client half-closes; a bad request ends the stream
    /// with its error (thrown).
    public func run<Requests: AsyncSequence & Sendable>(
        _ requests: Requests, send: @escaping @Sendable (Google_Firestore_V1_WriteResponse) async throws -> Void
    ) async throws where Requests.Element == Google_Firestore_V1_WriteRequest {
        var state = WriteStreamState(service: service, context: context)
        for try await request in requests {
            try await send(try await state.handle(request))
        }
    }
}

/// One Write stream's progress: the database its handshake named, and the tokens it has issued
/// and the client has acknowledged.
public struct WriteStreamState: Sendable {
    static let streamCounter = Atomic<UInt64>(0)

    let service: FirestoreService
    let context: CallContext
    let streamID: String
    private(set) var database: String?
    /// The number of the last token issued (the handshake's is 0).
    private(set) var issued = -1
    /// The number of the newest token the client has sent back.
    private(set) var acknowledged = -1

    public init(service: FirestoreService, context: CallContext) {
        self.service = service
        self.context = context
        let n = Self.streamCounter.wrappingAdd(1, ordering: .relaxed).newValue
        streamID = String(n, radix: 36) + String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }

    /// The answer to one request (every request gets one).
    public mutating func handle(_ request: Google_Firestore_V1_WriteRequest) async throws
        -> Google_Firestore_V1_WriteResponse
    {
        guard let database else { return try handshake(request) }
        if !request.database.isEmpty && request.database != database {
            throw FirestoreError.invalidArgument(
                "Request specified a database (\(request.database)) that did not match the expected database (\(database)).")
        }
        if !request.streamID.isEmpty && request.streamID != streamID {
            throw FirestoreError.invalidArgument(
                "Request specified stream ID \(request.streamID), but this stream is \(streamID); the ID is set only by the server.")
        }
        try acknowledge(request.streamToken)
        var response = Google_Firestore_V1_WriteResponse()
        // A request without writes only acknowledges; it still gets a token, as the emulator answers.
        if request.writes.isEmpty {
            response.streamToken = nextToken()
            return response
        }
        var commit = Google_Firestore_V1_CommitRequest()
        commit.database = database
        commit.writes = request.writes
        let result = try await service.commit(commit, context: context)
        response.streamToken = nextToken()
        response.writeResults = result.writeResults
        response.commitTime = result.commitTime
        return response
    }

    private mutating func handshake(_ request: Google_Firestore_V1_WriteRequest) throws
        -> Google_Firestore_V1_WriteResponse
    {
        let name = request.database
        guard !name.isEmpty else {
            throw FirestoreError.invalidArgument("'database' must be set on an initial write request.")
        }
        _ = try ResourceName.database(name)
        if !request.streamID.isEmpty || !request.streamToken.isEmpty {
            throw FirestoreError.invalidArgument(
                "Resuming streams is not supported, do not set stream ID or stream token on an initial write request.")
        }
        if !request.writes.isEmpty {
            throw FirestoreError.invalidArgument("'writes' must not be set on an initial write request.")
        }
        database = name
        var response = Google_Firestore_V1_WriteResponse()
        response.streamID = streamID
        response.streamToken = nextToken()
        return response
    }

    private mutating func nextToken() -> Data {
        issued += 1
        return Data(String(issued).utf8)
    }

    /// A request carries the token of the latest response the client has seen: one this stream
    /// issued, never older than one it already sent back.
    private mutating func acknowledge(_ token: Data) throws {
        if token.isEmpty { return }
        guard let text = String(data: token, encoding: .utf8), let n = Int(text), n >= 0, n <= issued else {
            throw FirestoreError.invalidArgument("Invalid stream token: it was not issued by this Write stream.")
        }
        guard n >= acknowledged else {
            throw FirestoreError.invalidArgument(
                "Invalid stream token: it is older than a token the client already acknowledged.")
        }
        acknowledged = n
    }
}
