import FlintCore
import Foundation
import GRDB
import GRDBSQLite

/// A half-open or closed range of encoded values in one field's index.
struct ValueRange: Sendable {
    var lower: [UInt8]?
    var lowerInclusive = true
    var upper: [UInt8]?
    var upperInclusive = false

    static func exactly(_ value: [UInt8]) -> ValueRange {
        ValueRange(lower: value, lowerInclusive: true, upper: value, upperInclusive: true)
    }
    static let everything = ValueRange()
}

extension StoreReader {
    /// Streams index rows of one field in (value, doc) order; `body` returns false to stop.
    /// Returns how many rows were read.
    @discardableResult
    func scanIndex(
        scope: Int64, field: String, range: ValueRange, descending: Bool, fromDoc: [UInt8]? = nil,
        _ body: (_ value: [UInt8], _ doc: [UInt8]) throws -> Bool
    ) throws -> Int {
        var sql = "SELECT value, doc FROM field_index WHERE scope = ? AND field = ?"
        if range.lower != nil { sql += range.lowerInclusive ? " AND value >= ?" : " AND value > ?" }
        if range.upper != nil { sql += range.upperInclusive ? " AND value <= ?" : " AND value < ?" }
        // Within one value, start at a document key (a cursor on __name__).
        if fromDoc != nil { sql += descending ? " AND doc <= ?" : " AND doc >= ?" }
        sql += descending ? " ORDER BY value DESC, doc DESC" : " ORDER BY value, doc"
        return try RawStatement(db, sql).scan { b in
            b.bind(scope)
            b.bind(field)
            if let l = range.lower { b.bind(l) }
            if let u = range.upper { b.bind(u) }
            if let fromDoc { b.bind(fromDoc) }
        } row: { h in
            try body(Self.bytes(h, 0), Self.bytes(h, 1))
        }
    }

    /// Streams the distinct documents having any of `values` in one field's index, in key order:
    /// several index ranges merged by SQLite, reading index entries only.
    @discardableResult
    func scanIndexInKeyOrder(
        scope: Int64, field: String, values: [[UInt8]], descending: Bool, fromDoc: [UInt8]?,
        _ body: (_ doc: [UInt8]) throws -> Bool
    ) throws -> Int {
        let placeholders = Array(repeating: "?", count: values.count).joined(separator: ", ")
        var sql = "SELECT doc FROM field_index WHERE scope = ? AND field = ? AND value IN (\(placeholders))"
        if fromDoc != nil { sql += descending ? " AND doc <= ?" : " AND doc >= ?" }
        sql += " GROUP BY doc ORDER BY doc" + (descending ? " DESC" : "")
        return try RawStatement(db, sql).scan { b in
            b.bind(scope)
            b.bind(field)
            for v in values { b.bind(v) }
            if let fromDoc { b.bind(fromDoc) }
        } row: { h in
            try body(Self.bytes(h, 0))
        }
    }

    /// Counts index rows in a range, stopping at `cap`.
    func countIndex(scope: Int64, field: String, range: ValueRange, cap: Int) throws -> Int {
        var sql = "SELECT count(*) FROM (SELECT 1 FROM field_index WHERE scope = ? AND field = ?"
        if range.lower != nil { sql += range.lowerInclusive ? " AND value >= ?" : " AND value > ?" }
        if range.upper != nil { sql += range.upperInclusive ? " AND value <= ?" : " AND value < ?" }
        sql += " LIMIT ?)"
        var result = 0
        try RawStatement(db, sql).run { b in
            b.bind(scope)
            b.bind(field)
            if let l = range.lower { b.bind(l) }
            if let u = range.upper { b.bind(u) }
            b.bind(Int64(cap))
        } row: { h in
            result = Int(sqlite3_column_int64(h, 0))
        }
        return result
    }

    /// Streams the document ids of a collection scope in id order.
    @discardableResult
    func scanDocumentIDs(scope: Int64, descending: Bool, fromID: String? = nil, _ body: (String) throws -> Bool) throws
        -> Int
    {
        let bound = fromID == nil ? "" : (descending ? " AND id <= ?" : " AND id >= ?")
        let sql = "SELECT id FROM documents WHERE scope = ?" + bound + " ORDER BY id" + (descending ? " DESC" : "")
        return try RawStatement(db, sql).scan { b in
            b.bind(scope)
            if let fromID { b.bind(fromID) }
        } row: { h in
            try body(String(cString: sqlite3_column_text(h, 0)))
        }
    }

    /// How many documents a collection scope holds.
    func countDocuments(scope: Int64) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT doc_count FROM scopes WHERE id = ?", arguments: [scope]) ?? 0
    }

    static func bytes(_ handle: OpaquePointer, _ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    /// The scope row of a collection group, if any document of a nested collection used it.
    func groupScope(_ database: DatabaseID, _ collectionID: String) throws -> Int64? {
        guard let dbRow = try databaseRow(database) else { return nil }
        return try scopeRow(.init(db: dbRow, kind: 1, parent: "", cid: collectionID))
    }
}
