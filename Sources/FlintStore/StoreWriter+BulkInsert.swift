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
    /// its B-trees instead of seeking a leaf for every row, and each statement is stepped with
    /// only the columns that change rebound. A document that is already stored makes the whole
    /// call fail (the inserts are plain INSERTs), so nothing is replaced without its history.
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
        let insertDocument = try db.cachedStatement(
            sql: "INSERT INTO documents(scope, id, create_time, update_time, fields) VALUES (?, ?, ?, ?, ?)"
        ).sqliteStatement
        sqlite3_reset(insertDocument)
        sqlite3_clear_bindings(insertDocument)
        sqlite3_bind_int64(insertDocument, 3, time)
        sqlite3_bind_int64(insertDocument, 4, time)
        for i in kept {
            let d = documents[i]
            sqlite3_bind_int64(insertDocument, 1, collection[i])
            var id = d.path.lastSegment
            try id.withUTF8 { idBytes in
                try d.blob.withUnsafeBytes { blob in
                    bindText(insertDocument, 2, idBytes)
                    bindBlob(insertDocument, 5, blob)
                    try step(insertDocument)
                }
            }
            countDeltas.byScope[collection[i], default: 0] += 1
        }
        sqlite3_clear_bindings(insertDocument)

        // 3. Index rows, grouped by (scope, field) and each group sorted by (value, document).
        var docKeys = [[UInt8]](repeating: [], count: 2 * n)
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
        let keys = docKeys
        rows.withUnsafeMutableBufferPointer { buffer in
            let shared = SharedBuffer(buffer: buffer)
            DispatchQueue.concurrentPerform(iterations: buffer.count) { k in
                shared.buffer[k].sort { a, b in
                    let c = sqliteOrder(a.value, b.value)
                    return c != 0 ? c < 0 : sqliteOrder(keys[Int(a.doc)], keys[Int(b.doc)]) < 0
                }
            }
        }
        let insertRow = try db.cachedStatement(
            sql: "INSERT INTO field_index(scope, field, value, doc) VALUES (?, ?, ?, ?)"
        ).sqliteStatement
        sqlite3_reset(insertRow)
        for slot in groupOrder {
            var field = groupKeys[slot].field
            try field.withUTF8 { fieldBytes in
                sqlite3_bind_int64(insertRow, 1, groupKeys[slot].scope)
                bindText(insertRow, 2, fieldBytes)
                var previous: PendingIndexRow?
                for row in rows[slot] {
                    // An array holding a value twice gives the same row twice.
                    if let p = previous, p.doc == row.doc, p.value == row.value { continue }
                    previous = row
                    try row.value.withUnsafeBytes { value in
                        try keys[Int(row.doc)].withUnsafeBytes { doc in
                            bindBlob(insertRow, 3, value)
                            bindBlob(insertRow, 4, doc)
                            try step(insertRow)
                        }
                    }
                }
                sqlite3_clear_bindings(insertRow)
            }
        }
    }

    /// Binds UTF-8 text without copying it (it must outlive the steps that use it).
    private func bindText(_ statement: OpaquePointer, _ index: Int32, _ text: UnsafeBufferPointer<UInt8>) {
        if let chars = UnsafeRawPointer(text.baseAddress)?.assumingMemoryBound(to: CChar.self), text.count > 0 {
            sqlite3_bind_text(statement, index, chars, Int32(text.count), nil)
        } else {
            sqlite3_bind_text(statement, index, "", 0, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
        }
    }

    /// Binds bytes without copying them (they must outlive the step); an empty blob is not NULL.
    private func bindBlob(_ statement: OpaquePointer, _ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, bytes.count > 0 {
            sqlite3_bind_blob(statement, index, base, Int32(bytes.count), nil)
        } else {
            sqlite3_bind_zeroblob(statement, index, 0)
        }
    }

    /// Steps an INSERT once; the statement is reset for the next row (its bindings stay).
    private func step(_ statement: OpaquePointer) throws {
        let code = sqlite3_step(statement)
        sqlite3_reset(statement)
        guard code == SQLITE_DONE else {
            throw DatabaseError(
                resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }
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
