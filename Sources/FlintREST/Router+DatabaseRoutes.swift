import FlintCore
import FlintService
import Hummingbird

extension RouterGroup {
    /// `DELETE projects/{p}/databases/{db}/documents[/{path…}]`: clear a database, or delete a
    /// document or collection and everything below it.
    public func addDatabaseRoutes(service: FirestoreService) {
        delete("projects/{project}/databases/{database}/documents") { request, _ in
            try await service.clear(try Self.databasePath(request).database)
            return EmulatorJSON.empty
        }
        delete("projects/{project}/databases/{database}/documents/**") { request, _ in
            let (database, path) = try Self.databasePath(request)
            try ResourceName.validate(path, name: database.name(of: path))
            try await service.recursiveDelete(database, path)
            return EmulatorJSON.empty
        }
    }

    /// The database and document path of `…/projects/{p}/databases/{db}/documents/{path…}`, read
    /// from the raw target so escaped ids decode as in the API's own paths.
    static func databasePath(_ request: Request) throws -> (database: DatabaseID, path: ResourcePath) {
        let s = try RESTTarget(rawTarget: request.uri.string, allowVerb: false).segments
        guard let p = s.firstIndex(of: "projects"), s.count >= p + 5 else {
            throw FirestoreError.invalidArgument("Expected …/projects/{p}/databases/{db}/documents.")
        }
        return (DatabaseID(project: s[p + 1], database: s[p + 3]), ResourcePath(Array(s[(p + 5)...])))
    }
}
