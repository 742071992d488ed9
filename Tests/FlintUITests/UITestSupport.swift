import FlintServer
import FlintUI
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore

/// Runs `body` against the router of an application with the page installed (no socket).
func withPage(
    _ dimensions: DashboardDimensions = DashboardDimensions(),
    _ body: @Sendable (any TestClientProtocol) async throws -> Void
) async throws {
    var configuration = FlintConfiguration(host: "127.0.0.1", port: 0)
    configuration.extensions = [FlintUI(dimensions: dimensions)]
    let app = try await buildApplication(configuration)
    try await app.test(.router) { client in try await body(client) }
}

struct Reply {
    var status: Int
    var headers: HTTPFields
    var body: String
    var object: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]) ?? [:]
    }
    var errorStatus: String? { (object["error"] as? [String: Any])?["status"] as? String }
}

extension TestClientProtocol {
    func send(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil) async throws -> Reply {
        let response = try await execute(
            uri: path, method: method, headers: [.authorization: "Bearer owner"], body: body.map { ByteBuffer(string: $0) })
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: response.body))
    }

    /// Writes `documents` (path → REST JSON fields) in one commit of database `database`.
    func commit(_ database: String, _ documents: [(String, String)]) async throws {
        let writes = documents.map { path, fields in #"{"update": {"name": "\#(database)/documents/\#(path)", "fields": \#(fields)}}"# }
        let reply = try await send(.post, "/v1/\(database)/documents:commit", #"{"writes": [\#(writes.joined(separator: ","))]}"#)
        if reply.status != 200 { throw CommitFailed(reply: reply.body) }
    }
}

struct CommitFailed: Error {
    var reply: String
}

extension Reply {
    /// The objects of the array `key`, each as `a|b|c` of the values of `fields` (numbers as integers).
    func rows(_ key: String, _ fields: String...) -> [String] {
        (object[key] as? [[String: Any]] ?? []).map { entry in
            fields.map { f in
                if let n = entry[f] as? Int { return String(n) }
                return entry[f].map { "\($0)" } ?? "nil"
            }.joined(separator: "|")
        }
    }
}
