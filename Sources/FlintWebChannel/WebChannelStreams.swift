import FlintCore
import FlintProto
import FlintService
import Foundation
import SwiftProtobuf

/// The two streaming RPCs the web SDK runs over WebChannel.
public enum WebChannelStreamKind: String, Sendable, CaseIterable {
    case listen = "Listen"
    case write = "Write"
}

/// One client message, decoded as its stream's request.
enum WebChannelRequest: Sendable {
    case listen(Google_Firestore_V1_ListenRequest)
    case write(Google_Firestore_V1_WriteRequest)

    /// Decodes `json` (proto3 JSON) as a request of `kind`; `index` names it in the error.
    init(_ json: String, kind: WebChannelStreamKind, index: Int) throws(FirestoreError) {
        switch kind {
        case .listen: self = .listen(try Self.decode(Google_Firestore_V1_ListenRequest.self, json, index))
        case .write: self = .write(try Self.decode(Google_Firestore_V1_WriteRequest.self, json, index))
        }
    }

    static let options: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        return options
    }()

    static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, _ json: String, _ index: Int) throws(FirestoreError)
        -> M
    {
        do {
            return try M(jsonString: json, options: options)
        } catch {
            throw .invalidArgument(
                "req\(index)___data__ is not a \(M.protoMessageName) in proto3 JSON: \(error).")
        }
    }
}

/// Serves a session's messages with the very Listen and Write streams gRPC uses: the client's
/// JSON messages become requests, each response goes out as one array `[response]`, and an
/// error ends the session with `[{"error":{code,message,status}}]`.
struct WebChannelStreamRunner: Sendable {
    let service: FirestoreService
    let listeners: ListenHub

    func run(_ session: WebChannelSession, context: CallContext, database: String?) async {
        do {
            switch session.kind {
            case .listen:
                let requests = session.requests.compactMap { if case .listen(let r) = $0 { r } else { nil } }
                let stream = listeners.open(defaultDatabase: database, context: context)
                try await withTaskCancellationHandler {
                    try await stream.run(requests) { responses in
                        for response in responses { try Self.deliver(response, to: session) }
                    }
                } onCancel: {
                    stream.cancel(FirestoreError(.cancelled, "The WebChannel session ended."))
                }
            case .write:
                let requests = session.requests.compactMap { if case .write(let r) = $0 { r } else { nil } }
                let stream = WriteStream(service: service, context: context)
                try await stream.run(requests) { try Self.deliver($0, to: session) }
            }
        } catch {
            if !session.isClosed { session.send(Self.errorPayload(error)) }
        }
        session.close()
    }

    static func deliver<M: SwiftProtobuf.Message>(_ response: M, to session: WebChannelSession) throws {
        guard session.send("[" + (try response.jsonString()) + "]") else {
            if session.isClosed { throw CancellationError() }
            throw FirestoreError(
                .resourceExhausted, "The WebChannel client fell too far behind: too many unacknowledged responses.")
        }
    }

    /// The stream's end as the web SDK reads it: `[{"error":{code,message,status}}]`.
    static func errorPayload(_ error: any Error) -> String {
        let e: FirestoreError
        if let f = error as? FirestoreError {
            e = f
        } else if error is CancellationError {
            e = FirestoreError(.cancelled, "The stream was cancelled.")
        } else {
            e = FirestoreError(.internal, "Internal error: \(error)")
        }
        return "[{\"error\":{\"code\":\(e.code.httpStatus),\"message\":\(jsonString(e.message)),\"status\":\"\(e.code.name)\"}}]"
    }

    static func jsonString(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])) ?? Data("[\"\"]".utf8)
        let text = String(decoding: data, as: UTF8.self)
        return String(text.dropFirst().dropLast())
    }
}
