import FlintCore
import FlintService
import Foundation
import Hummingbird

/// `/emulator/v1/…`: clearing a database, deleting a subtree, readiness, triggers.
extension FirestoreRESTResponder {
    func emulator(_ request: Request, _ target: RESTTarget) async throws -> Response {
        let s = target.segments
        if s == ["emulator", "v1", "ready"] && request.method == .get {
            return Self.text("Ok\n")
        }
        if let response = try await triggerRoute(request, target) { return response }
        if !extensions.isEmpty {
            let body = Data(buffer: try await request.body.collect(upTo: Self.maxRequestBytes))
            for e in extensions {
                if let json = try await e.handle(
                    method: request.method.rawValue, path: Array(s.dropFirst(2)), query: target.queryValues, body: body)
                {
                    return Self.json(json)
                }
            }
        }
        guard s.count >= 7, s[2] == "projects", s[4] == "databases", s[6] == "documents", request.method == .delete
        else { throw Self.unknownRoute(request) }
        let database = DatabaseID(project: s[3], database: s[5])
        let path = ResourcePath(Array(s.dropFirst(7)))
        if path.isEmpty {
            try await service.clear(database)
        } else {
            try ResourceName.validate(path, name: database.name(of: path))
            try await service.recursiveDelete(database, path)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json; charset=UTF-8"], body: .init(byteBuffer: ByteBuffer(string: "{}")))
    }
}
