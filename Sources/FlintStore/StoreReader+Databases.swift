import FlintCore
import GRDB

extension StoreReader {
    /// Every database with at least one document, by project and name, with how many documents
    /// its top-level collections hold (from the collections' kept counts, no document read).
    public func databasesHoldingDocuments() throws -> [(database: DatabaseID, topLevelDocuments: Int)] {
        let rows = try Row.fetchAll(
            db,
            sql: """
                SELECT databases.project AS project, databases.name AS name,
                       SUM(CASE WHEN scopes.parent = '' THEN scopes.doc_count ELSE 0 END) AS top
                FROM scopes JOIN databases ON databases.id = scopes.db
                WHERE scopes.kind = 0 AND scopes.doc_count > 0
                GROUP BY databases.id ORDER BY databases.project, databases.name
                """)
        return rows.map { (DatabaseID(project: $0["project"], database: $0["name"]), $0["top"]) }
    }
}
