import AsyncHTTPClient
import FlintServer
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// A real Flint on a free port for the length of one test, with a fresh ephemeral store.
struct TestServer {
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    static func with<T: Sendable>(
        dataPath: String? = nil, _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        try await with(FlintConfiguration(host: "127.0.0.1", port: 0, dataPath: dataPath), body)
    }

    /// Runs the application `buildApplication` makes of `configuration` (its port should be 0).
    static func with<T: Sendable>(
        _ configuration: FlintConfiguration, _ body: @Sendable (TestServer) async throws -> T
    ) async throws -> T {
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        var logger = Logger(label: "flint.test")
        logger.logLevel = .warning
        let app = try await buildApplication(configuration, logger: logger) { port in
            portContinuation.yield(port)
            portContinuation.finish()
        }
        let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { tasks in
            tasks.addTask {
                try await group.run()
                return nil
            }
            var ports = portStream.makeAsyncIterator()
            guard let port = await ports.next() else { throw TestServerError.didNotStart }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(TestServer(port: port)))
            } catch {
                result = .failure(error)
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            return try result.get()
        }
    }

    struct Reply: Sendable {
        var status: Int
        var body: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed]) }
        var object: [String: Any] { (json as? [String: Any]) ?? [:] }
    }

    /// Sends a request and collects the whole answer.
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, headers: [(String, String)] = []) async throws -> Reply {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        for (k, v) in headers { request.headers.add(name: k, value: v) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: bytes))
    }
}

enum TestServerError: Error { case didNotStart }

/// The document path prefix of a project's default database.
func docs(_ project: String) -> String { "/v1/projects/\(project)/databases/(default)/documents" }
func name(_ project: String, _ path: String) -> String { "projects/\(project)/databases/(default)/documents/\(path)" }
