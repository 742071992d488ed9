import FlintCore
import FlintREST
import FlintService
import Foundation
import Hummingbird
import ServiceLifecycle

extension RouterMethods {
    /// `/google.firestore.v1.Firestore/{Listen,Write}/channel`: the web SDK's WebChannel endpoints.
    /// POST creates a session or carries client messages (or, with `TYPE=terminate`, ends it);
    /// GET with `TYPE=xmlhttp` is the back channel, streaming (`CI=0`) or long-polling (`CI=1`).
    public func addWebChannelRoutes(_ sessions: WebChannelSessions) {
        for kind in WebChannelStreamKind.allCases {
            let path = RouterPath("google.firestore.v1.Firestore/\(kind.rawValue)/channel")
            post(path) { request, _ in try await WebChannelEndpoint(sessions: sessions, kind: kind).post(request) }
            get(path) { request, _ in try await WebChannelEndpoint(sessions: sessions, kind: kind).get(request) }
        }
        get("emulator/v1/webchannel/sessions") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json; charset=UTF-8"],
                body: .init(byteBuffer: ByteBuffer(string: "{\"sessions\":\(sessions.count)}")))
        }
    }
}

/// One WebChannel request, read from its query parameters and body.
struct WebChannelEndpoint {
    let sessions: WebChannelSessions
    let kind: WebChannelStreamKind

    static let exposedHeaders = "x-client-wire-protocol, x-http-session-id, x-http-initial-response"

    func post(_ request: Request) async throws -> Response {
        let query = WebChannelWire.formFields(request.uri.query ?? "")
        if query["TYPE"] == "terminate" { return terminate(query) }
        let form = String(buffer: try await request.collectBody())
        let body = try WebChannelWire.ForwardBody(form: form)
        guard let sid = query["SID"], sid != "null" else { return try create(request, query: query, body: body) }
        guard let session = sessions.session(sid, kind: kind) else { throw Self.unknownSession(sid) }
        let aid = query["AID"].flatMap { Int($0) }
        let answer = try session.receive(try decode(body.messages), offset: body.offset, acknowledging: aid)
        return Self.text(
            WebChannelWire.frame(
                WebChannelWire.forwardAnswer(
                    backChannelPresent: answer.backChannelPresent, lastArrayID: answer.lastArrayID,
                    outstandingBytes: answer.outstandingBytes)))
    }

    func get(_ request: Request) async throws -> Response {
        let query = WebChannelWire.formFields(request.uri.query ?? "")
        switch query["TYPE"] {
        case "terminate":
            return terminate(query)
        case "xmlhttp":
            guard let sid = query["SID"] else {
                throw FirestoreError.invalidArgument("WebChannel back channel request has no SID.")
            }
            guard let session = sessions.session(sid, kind: kind) else { throw Self.unknownSession(sid) }
            let aid = query["AID"].flatMap { Int($0) }
            let streaming = query["CI"] != "1"
            var wait = sessions.options.keepalive
            if !streaming, let ms = query["TO"].flatMap({ Int($0) }), ms > 0 { wait = min(wait, .milliseconds(ms)) }
            let attached: (generation: Int, bell: AsyncStream<WebChannelSession.Bell>)
            do {
                attached = try session.attach(acknowledging: aid, keepalive: wait)
            } catch {
                throw Self.unknownSession(sid)
            }
            return backChannel(session, attached, streaming: streaming)
        default:
            throw FirestoreError.invalidArgument(
                "WebChannel GET requests are back channels (TYPE=xmlhttp) or terminations (TYPE=terminate), not TYPE=\(query["TYPE"] ?? "(none)").")
        }
    }

    /// A new session: its handshake answer carries the session id, and the messages sent with it
    /// start the stream.
    private func create(_ request: Request, query: [String: String], body: WebChannelWire.ForwardBody) throws
        -> Response
    {
        guard query["VER"] == String(WebChannelWire.version) else {
            throw FirestoreError.invalidArgument(
                "WebChannel session creation needs VER=\(WebChannelWire.version), not \(query["VER"] ?? "none").")
        }
        var headers = body.headers
        for (name, value) in WebChannelWire.headerLines(query["$httpHeaders"] ?? "") { headers[name] = value }
        let authorization = headers["authorization"] ?? request.headers[.authorization]
        let context = CallContext(auth: try Authorization(header: authorization))
        let messages = try decode(body.messages)
        let database = query["database"] ?? headers["google-cloud-resource-prefix"]
        let session = sessions.open(kind: kind, context: context, database: database)
        _ = try session.receive(messages, offset: 0, acknowledging: nil)
        let keepalive = Int(sessions.options.advertisedKeepalive / .milliseconds(1))
        return Self.text(
            WebChannelWire.frame(
                "[[0,\(WebChannelWire.created(sessionID: session.id, keepaliveMilliseconds: keepalive))]]"))
    }

    /// The messages as requests of this endpoint's stream; one that is not is refused with the request.
    private func decode(_ messages: [String]) throws(FirestoreError) -> [WebChannelRequest] {
        try messages.enumerated().map { (i, json) throws(FirestoreError) in try WebChannelRequest(json, kind: kind, index: i) }
    }

    private func terminate(_ query: [String: String]) -> Response {
        if let sid = query["SID"], let session = sessions.session(sid, kind: kind) { sessions.terminate(session) }
        return Self.text("")
    }

    private func backChannel(
        _ session: WebChannelSession, _ attached: (generation: Int, bell: AsyncStream<WebChannelSession.Bell>),
        streaming: Bool
    ) -> Response {
        let body = ResponseBody { writer in
            defer { session.detach(attached.generation) }
            // Back channels never finish on their own: end them when the server shuts down.
            try await withGracefulShutdownHandler {
                // A streaming back channel answers at once (the client's buffering-proxy
                // detection waits for its first byte); a long poll waits for data or its
                // keepalive (rung by the sessions' clock).
                var first = streaming
                for await bell in attached.bell {
                    guard let (arrays, closed) = session.take(attached.generation, noop: first || bell != .data)
                    else { break }
                    first = false
                    if arrays.isEmpty { continue }
                    try await writer.write(ByteBuffer(string: WebChannelWire.frame(WebChannelWire.batch(arrays))))
                    if closed || !streaming || bell == .shutdown { break }
                }
            } onGracefulShutdown: {
                session.ring(attached.generation, .shutdown)
            }
            try await writer.finish(nil)
        }
        var response = Self.text("")
        response.body = body
        response.headers[.cacheControl] = "private, max-age=0"
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        return response
    }

    static func text(_ s: String) -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "text/plain; charset=utf-8",
                .accessControlExposeHeaders: exposedHeaders,
            ],
            body: .init(byteBuffer: ByteBuffer(string: s)))
    }

    /// What the client library recognizes as a session the server no longer knows: status 400
    /// with "Unknown SID" in the body.
    static func unknownSession(_ sid: String) -> FirestoreError {
        FirestoreError.invalidArgument(
            "Unknown SID \(sid): no such WebChannel session (it ended, was terminated, or was reclaimed after going idle).")
    }
}
