import FlintCore
import Foundation

/// A document row met during a scan, its fields still SQLite's bytes (valid only inside the call
/// that hands it over): a scan that judges most rows by one field (a vector search) copies and
/// decodes only the documents it keeps.
struct StoredRow {
    var path: ResourcePath
    var createTime: Int64
    var updateTime: Int64
    var fields: UnsafeRawBufferPointer

    func decoded() throws -> DocumentSnapshot {
        let blob = Data(fields)
        var doc = DocumentSnapshot(
            path: path, fields: try StoreReader.decodeFields(blob), createTime: createTime, updateTime: updateTime)
        doc.encodedFields = blob
        return doc
    }
}
