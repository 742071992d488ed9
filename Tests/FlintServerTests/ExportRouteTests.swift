import FlintCore
import FlintServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

/// The export and snapshot endpoints through the application's router.
@Suite("Export and snapshot routes")
struct ExportRouteTests {
    func put(_ client: any TestClientProtocol, _ path: String, _ i: Int) async throws {
        let reply = try await client.send(
            .PATCH, "/v1/projects/p/databases/(default)/documents/\(path)", body: #"{"fields":{"i":{"integerValue":"\#(i)"}}}"#)
        #expect(reply.status == 200, "\(reply.body)")
    }

    func get(_ client: any TestClientProtocol, _ path: String) async throws -> Int {
        try await client.send(.GET, "/v1/projects/p/databases/(default)/documents/\(path)").status
    }

    @Test func snapshotsSaveRestoreListAndDelete() async throws {
        try await withRouter { client in
            try await put(client, "c/a", 1)
            #expect(try await client.send(.POST, "/emulator/v1/snapshots/s1").status == 200)
            try await put(client, "c/b", 2)
            #expect(try await client.send(.POST, "/emulator/v1/snapshots/s1:restore").status == 200)
            #expect(try await get(client, "c/a") == 200)
            #expect(try await get(client, "c/b") == 404)
            #expect(try await client.send(.GET, "/emulator/v1/snapshots").body.contains(#""name":"s1""#))
            #expect(try await client.send(.DELETE, "/emulator/v1/snapshots/s1").status == 200)
            #expect(try await client.send(.POST, "/emulator/v1/snapshots/s1:restore").status == 404)
        }
    }

    @Test func theExportEndpointWritesTheNamedDatabase() async throws {
        let directory = NSTemporaryDirectory() + "flint-route-export-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try await withRouter { client in
            try await put(client, "c/a", 1)
            let body = #"{"database":"projects/p/databases/(default)","export_directory":"\#(directory)","export_name":"n"}"#
            let reply = try await client.send(.POST, "/emulator/v1/projects/p:export", body: body)
            #expect(reply.status == 200 && reply.body.contains(#""documents":1"#), "\(reply.body)")
            #expect(FileManager.default.fileExists(atPath: directory + "/n/n.overall_export_metadata"))
            #expect(try await client.send(.POST, "/emulator/v1/projects/p:unknown", body: "{}").status == 404)
        }
    }
}
