import Foundation
import GRDB
import GRDBSQLite

/// Runs one of GRDB's cached statements through SQLite's C API, binding without boxing values
/// into `DatabaseValue`s. Used only on the commit hot path (document rows and index rows),
/// for statements that are never also run through GRDB's own argument API.
struct RawStatement {
    let statement: Statement
    let db: Database

    init(_ db: Database, _ sql: String) throws {
        self.db = db
        self.statement = try db.cachedStatement(sql: sql)
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    final class Binder {
        let handle: OpaquePointer
        var index: Int32 = 1
        init(_ handle: OpaquePointer) { self.handle = handle }

        func bind(_ value: Int64) {
            sqlite3_bind_int64(handle, index, value)
            index += 1
        }
        func bind(_ value: String) {
            sqlite3_bind_text(handle, index, value, -1, RawStatement.transient)
            index += 1
        }
        func bind(_ bytes: [UInt8]) {
            _ = bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), RawStatement.transient) }
            index += 1
        }
        func bind(_ data: Data) {
            _ = data.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), RawStatement.transient) }
            index += 1
        }
        func bind(_ data: Data?) {
            guard let data else { return bindNull() }
            bind(data)
        }
        func bind(_ value: Int64?) {
            guard let value else { return bindNull() }
            bind(value)
        }
        func bind(_ value: String?) {
            guard let value else { return bindNull() }
            bind(value)
        }
        private func bindNull() {
            sqlite3_bind_null(handle, index)
            index += 1
        }
    }

    /// Binds with `bind`, then steps; `row` sees each result row.
    func run(_ bind: (Binder) -> Void, row: ((OpaquePointer) -> Void)? = nil) throws {
        _ = try scan(bind) { h in
            row?(h)
            return true
        }
    }

    /// Binds, then steps row by row while `row` returns true; returns how many rows it saw.
    func scan(_ bind: (Binder) -> Void, row: (OpaquePointer) throws -> Bool) throws -> Int {
        let handle = statement.sqliteStatement
        sqlite3_reset(handle)
        bind(Binder(handle))
        defer { sqlite3_reset(handle) }
        var count = 0
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                if code == SQLITE_DONE { return count }
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
            count += 1
            if try !row(handle) { return count }
        }
    }

    static func blob(_ handle: OpaquePointer, _ column: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(handle, column))
        guard count > 0, let pointer = sqlite3_column_blob(handle, column) else { return Data() }
        return Data(bytes: pointer, count: count)
    }
}
