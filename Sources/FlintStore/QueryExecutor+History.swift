import FlintCore
import GRDB

extension StoreReader {
    /// Runs a query against the documents as they were at `time`: every collection the query
    /// reads is rebuilt from current rows and kept versions, then filtered and ordered in memory.
    public func execute(
        _ plan: QueryPlan, database: DatabaseID, parent: ResourcePath, at time: Int64, stats: inout QueryStats
    ) throws -> [DocumentSnapshot] {
        try shared.indexExemptions.check(plan)
        var docs: [DocumentSnapshot] = []
        for collection in try collections(read: plan, database: database, parent: parent) {
            docs += try documents(database, in: collection, at: time)
        }
        stats.indexesUsed.append("(__name__ ASC) at a past read time")
        if plan.collectionID == nil && !plan.allDescendants {
            docs = docs.filter { $0.path.count == parent.count + 2 }
        }
        if plan.nearest != nil {
            var selection = NearestSelection(plan: plan, database: database)
            for doc in docs { selection.offer(doc) }
            stats.documentsRead += docs.count
            return selection.results
        }
        return arrange(docs, plan: plan, database: database, stats: &stats)
    }

    /// The collections a query reads below `parent`.
    func collections(read plan: QueryPlan, database: DatabaseID, parent: ResourcePath) throws -> [ResourcePath] {
        guard let dbRow = try databaseRow(database) else { return [] }
        if let cid = plan.collectionID, !plan.allDescendants { return [parent.appending(cid)] }
        let rows = try Row.fetchAll(
            db, sql: "SELECT parent, cid FROM scopes WHERE db = ? AND kind = 0", arguments: [dbRow])
        var out: [ResourcePath] = []
        for row in rows {
            let p: String = row["parent"]
            let cid: String = row["cid"]
            if let wanted = plan.collectionID, !cid.utf8.elementsEqual(wanted.utf8) { continue }
            let collection = try ResourcePath.parse(p.isEmpty ? cid : p + "/" + cid, context: p)
            if parent.isPrefix(of: collection) && collection.count > parent.count { out.append(collection) }
        }
        return out
    }
}
