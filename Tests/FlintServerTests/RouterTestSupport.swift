import FlintServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOHTTP1

/// Runs `body` against a fresh application's router (no socket), its services running.
func withRouter(
    _ configuration: FlintConfiguration = FlintConfiguration(host: "127.0.0.1", port: 0),
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    let app = try await buildApplication(configuration)
    try await app.test(.router) { client in try await body(client) }
}

extension TestClientProtocol {
    /// Sends a request and collects the answer, as `TestServer.send` does over a socket.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = [])
        async throws -> TestServer.Reply
    {
        var fields = HTTPFields()
        for (k, v) in headers { fields[HTTPField.Name(k)!] = v }
        let response = try await execute(
            uri: path, method: HTTPRequest.Method(method.rawValue)!, headers: fields,
            body: body.map { ByteBuffer(string: $0) })
        return TestServer.Reply(status: Int(response.status.code), body: String(buffer: response.body))
    }
}
