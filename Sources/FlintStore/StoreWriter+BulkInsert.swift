import CFlintSQLite
import FlintCore
import Foundation
import GRDB
import GRDBSQLite

/// A document for `StoreWriter.insertNew`: its stored form and index rows, computed ahead of the
/// write transaction on any thread.
public struct NewDocument: Sendable {
    public let database: DatabaseID
    public let path: ResourcePath
    let fields: Fields
    let blob: Data
    /// Every index row of the fields, in no order (a row may come twice: an array holding a value twice).
    let entries: [IndexEntry]

    public init(database: DatabaseID, path: ResourcePath, fields: Fields) throws {
        self.database = database
        self.path = path
        self.fields = fields
        blob = try PreparedFields.encode(fields)
        entries = IndexEntry.list(of: fields)
    }

    /// The same, for `StoreWriter.put`.
    public var prepared: PreparedFields { PreparedFields(blob: blob, entries: Set(entries)) }
}

extension StoreWriter {
    /// Inserts documents none of which is stored yet, each created and updated at `time` (of a
    /// path given twice, the later wins), with their index rows.
    ///
    /// A load of many documents: the rows go into each table in key order, so SQLite appends to
    /// its B-trees instead of seeking a leaf for every row, and each table (each index field)
    /// takes its rows in one `INSERT … SELECT` over them in memory. A document that is already
    /// stored makes the whole call fail (the inserts are plain INSERTs), so nothing is replaced
    /// without its history.
    public func insertNew(_ documents: [NewDocument], time: Int64) throws {
        recent.clear()
        let n = documents.count
        if n == 0 { return }
        // A bigger page cache while loading keeps the new pages in memory until the commit.
        let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -65536
        try db.execute(sql: "PRAGMA cache_size = -262144")
        defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }

        // 1. Each document's collection scope and, for nested collections, group scope.
        var scopeOf: [CollectionKey: (Int64, Int64?)] = [:]
        var collection = [Int64](repeating: 0, count: n)
        var group = [Int64](repeating: -1, count: n)
        for (i, d) in documents.enumerated() {
            guard d.path.isDocument else { throw FirestoreError.invalidArgument("\(d.path) is not a document path.") }
            let key = CollectionKey(database: d.database, segments: Array(d.path.segments.dropLast()))
            let scopes: (Int64, Int64?)
            if let known = scopeOf[key] {
                scopes = known
            } else {
                scopes = try self.scopes(d.database, of: d.path)
                scopeOf[key] = scopes
            }
            collection[i] = scopes.0
            group[i] = scopes.1 ?? -1
        }

        // 2. Documents in (scope, id) order; of equal keys the later one stays.
        var order = Array(0..<n)
        order.sort { a, b in
            if collection[a] != collection[b] { return collection[a] < collection[b] }
            let c = sqliteOrder(documents[a].path.lastSegment, documents[b].path.lastSegment)
            return c != 0 ? c < 0 : a < b
        }
        var kept: [Int] = []
        kept.reserveCapacity(n)
        for i in order {
            if let last = kept.last, collection[last] == collection[i],
                sqliteOrder(documents[last].path.lastSegment, documents[i].path.lastSegment) == 0
            {
                kept[kept.count - 1] = i
            } else {
                kept.append(i)
            }
        }
        // 3a. While SQLite stores the documents, the other cores group and sort their index rows.
        let preparing = DispatchGroup()
        let indexRows = Prepared<IndexRows>()
        preparing.enter()
        DispatchQueue.global().async { [kept, collection, group, exemptions] in
            indexRows.value = IndexRows(documents, kept: kept, collection: collection, group: group, exemptions: exemptions)
            preparing.leave()
        }
        // Whatever fails below, the preparation is not left running over these documents.
        defer { preparing.wait() }

        var batch = RowBatch(types: [FLINT_ROWS_INTEGER, FLINT_ROWS_TEXT, FLINT_ROWS_BLOB])
        for i in kept {
            let d = documents[i]
            batch.add(collection[i])
            batch.add(d.path.lastSegment.utf8)
            batch.add(d.blob)
            countDeltas.byScope[collection[i], default: 0] += 1
        }
        try insert(
            batch,
            "INSERT INTO documents(scope, id, create_time, update_time, fields) SELECT c0, c1, ?1, ?1, c2 FROM flint_rows(?2)"
        ) { sqlite3_bind_int64($0, 1, time) }

        // 3b. The index rows, group by group in key order.
        preparing.wait()
        let prepared = indexRows.value!
        let rows = prepared.rows
        let groupKeys = prepared.groupKeys
        let keys = prepared.keys
        var rowsOfGroup = RowBatch(types: [FLINT_ROWS_BLOB, FLINT_ROWS_BLOB])
        for slot in prepared.order {
            rowsOfGroup.removeAll()
            var previous: PendingIndexRow?
            for row in rows[slot] {
                // An array holding a value twice gives the same row twice.
                if let p = previous, p.doc == row.doc, p.value == row.value { continue }
                previous = row
                rowsOfGroup.add(row.value)
                rowsOfGroup.add(keys[Int(row.doc)])
            }
            try insert(
                rowsOfGroup, "INSERT INTO field_index(scope, field, value, doc) SELECT ?1, ?2, c0, c1 FROM flint_rows(?3)"
            ) { statement in
                sqlite3_bind_int64(statement, 1, groupKeys[slot].scope)
                // Copied (SQLITE_TRANSIENT) once for the group's one statement.
                let field = groupKeys[slot].field
                sqlite3_bind_text(
                    statement, 2, field, Int32(field.utf8.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            }
        }
    }

    /// Inserts every row of `batch` with one run of `sql`, whose last parameter is
    /// `flint_rows(?)`; `bind` binds the others. Stepping an INSERT once per row costs SQLite
    /// more than the inserts themselves.
    private func insert(_ batch: RowBatch, _ sql: String, bind: (OpaquePointer) -> Void) throws {
        let statement = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(statement)
        defer { sqlite3_clear_bindings(statement) }
        bind(statement)
        try batch.bytes.withUnsafeBufferPointer { bytes in
            try batch.cells.withUnsafeBufferPointer { cells in
                try batch.types.withUnsafeBufferPointer { types in
                    let rows = flint_rows(
                        count: Int64(cells.count / (2 * types.count)), columns: Int32(types.count),
                        types: types.baseAddress, bytes: bytes.baseAddress, cells: cells.baseAddress)
                    try withUnsafePointer(to: rows) { rows in
                        let code = flint_rows_bind(
                            UnsafeMutableRawPointer(statement), sqlite3_bind_parameter_count(statement), rows)
                        // Unbound, flint_rows would yield no rows and the INSERT would succeed.
                        guard code == SQLITE_OK else {
                            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "Cannot bind flint_rows.")
                        }
                        let result = sqlite3_step(statement)
                        sqlite3_reset(statement)
                        guard result == SQLITE_DONE else {
                            throw DatabaseError(
                                resultCode: ResultCode(rawValue: result),
                                message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                        }
                    }
                }
            }
        }
    }
}

/// A load's index rows: grouped by (scope, field), each group sorted by (value, document), and
/// the order in which the groups go in.
private struct IndexRows: Sendable {
    /// Each document's key in its collection (even slots) and in its collection group (odd).
    let keys: [[UInt8]]
    let rows: [[PendingIndexRow]]
    let groupKeys: [GroupKey]
    let order: [Int]

    init(_ documents: [NewDocument], kept: [Int], collection: [Int64], group: [Int64], exemptions: IndexExemptions) {
        var docKeys = [[UInt8]](repeating: [], count: 2 * documents.count)
        var groups: [GroupKey: Int] = [:]
        var rows: [[PendingIndexRow]] = []
        var groupKeys: [GroupKey] = []
        func add(_ scope: Int64, _ entry: IndexEntry, doc: Int) {
            let key = GroupKey(scope: scope, field: entry.field)
            let slot: Int
            if let known = groups[key] {
                slot = known
            } else {
                slot = rows.count
                groups[key] = slot
                rows.append([])
                groupKeys.append(key)
            }
            rows[slot].append(PendingIndexRow(value: entry.value, doc: Int32(doc)))
        }
        for i in kept {
            let d = documents[i]
            docKeys[2 * i] = Array(d.path.lastSegment.utf8)
            if group[i] >= 0 { docKeys[2 * i + 1] = IndexKey.encode(path: d.path) }
            let entries: [IndexEntry]
            if let exempt = exemptions.exempt(inGroup: d.path.parent.lastSegment) {
                entries = Array(IndexEntry.entries(of: d.fields, skipping: exempt))
            } else {
                entries = d.entries
            }
            for entry in entries {
                add(collection[i], entry, doc: 2 * i)
                if group[i] >= 0 { add(group[i], entry, doc: 2 * i + 1) }
            }
        }
        let groupOrder = (0..<rows.count).sorted { a, b in
            if groupKeys[a].scope != groupKeys[b].scope { return groupKeys[a].scope < groupKeys[b].scope }
            return sqliteOrder(groupKeys[a].field, groupKeys[b].field) < 0
        }
        let documentKeys = docKeys
        rows.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: buffer.count) { k in
                shared.buffer[k].sort { a, b in
                    let c = sqliteOrder(a.value, b.value)
                    return c != 0 ? c < 0 : sqliteOrder(documentKeys[Int(a.doc)], documentKeys[Int(b.doc)]) < 0
                }
            }
        }
        self.keys = documentKeys
        self.rows = rows
        self.groupKeys = groupKeys
        self.order = groupOrder
    }
}

/// A value computed on another thread, read once that thread is done.
private final class Prepared<T>: @unchecked Sendable {
    var value: T?
}

/// A collection of one database, compared byte for byte as SQLite compares its names.
private struct CollectionKey: Hashable {
    var database: DatabaseID
    var segments: [String]

    static func == (a: CollectionKey, b: CollectionKey) -> Bool {
        a.database == b.database && a.segments.count == b.segments.count
            && zip(a.segments, b.segments).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }
}

private struct GroupKey: Hashable {
    var scope: Int64
    var field: String

    static func == (a: GroupKey, b: GroupKey) -> Bool { a.scope == b.scope && a.field.utf8.elementsEqual(b.field.utf8) }
}

/// Rows for CFlintSQLite's `flint_rows`: their cells one after another, row by row, the bytes
/// of text and blobs in one buffer.
private struct RowBatch {
    let types: [Int32]
    var bytes: [UInt8] = []
    var cells: [Int64] = []

    init(types: [Int]) { self.types = types.map { Int32($0) } }

    mutating func add(_ integer: Int64) {
        cells.append(integer)
        cells.append(0)
    }

    mutating func add(_ contents: some Collection<UInt8>) {
        cells.append(Int64(bytes.count))
        cells.append(Int64(contents.count))
        bytes.append(contentsOf: contents)
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        cells.removeAll(keepingCapacity: true)
    }
}

private struct PendingIndexRow {
    var value: [UInt8]
    /// Where the document's key is in the list of keys.
    var doc: Int32
}

/// Lets the sorts of distinct groups run on every core, each touching only its own element.
private struct SharedBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
}

/// memcmp order, then shorter first: how SQLite orders BLOBs and BINARY-collated TEXT.
private func sqliteOrder(_ x: UnsafeBufferPointer<UInt8>, _ y: UnsafeBufferPointer<UInt8>) -> Int {
    let common = min(x.count, y.count)
    if common > 0 {
        let c = memcmp(x.baseAddress!, y.baseAddress!, common)
        if c != 0 { return Int(c) }
    }
    return x.count - y.count
}

private func sqliteOrder(_ a: [UInt8], _ b: [UInt8]) -> Int {
    a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in sqliteOrder(x, y) } }
}

private func sqliteOrder(_ a: String, _ b: String) -> Int {
    var a = a
    var b = b
    return a.withUTF8 { x in b.withUTF8 { y in sqliteOrder(x, y) } }
}
