/// A project and database pair; every database is an independent store.
public struct DatabaseID: Hashable, Sendable, CustomStringConvertible {
    public var project: String
    public var database: String

    public init(project: String, database: String = "(default)") {
        self.project = project
        self.database = database
    }

    /// `projects/{p}/databases/{d}`.
    public var resourceName: String { "projects/\(project)/databases/\(database)" }
    /// `projects/{p}/databases/{d}/documents`, the root every document name starts with.
    public var documentsRoot: String { resourceName + "/documents" }

    public var description: String { resourceName }

    // Firestore names are byte strings: "é" and "e\u{301}" are different databases.
    public static func == (a: DatabaseID, b: DatabaseID) -> Bool {
        a.project.utf8.elementsEqual(b.project.utf8) && a.database.utf8.elementsEqual(b.database.utf8)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(utf8: project)
        hasher.combine(utf8: database)
    }

    /// The full resource name of a document or collection path in this database.
    public func name(of path: ResourcePath) -> String {
        path.isEmpty ? documentsRoot : documentsRoot + "/" + path.description
    }
}
