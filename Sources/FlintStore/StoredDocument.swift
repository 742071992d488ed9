import FlintCore
import Foundation

/// A document row as read, its fields still in the stored encoding: a scan that judges most
/// rows by one field (a vector search) decodes only the documents it keeps.
struct StoredDocument {
    var path: ResourcePath
    var createTime: Int64
    var updateTime: Int64
    var blob: Data

    func decoded() throws -> DocumentSnapshot {
        var doc = DocumentSnapshot(
            path: path, fields: try StoreReader.decodeFields(blob), createTime: createTime, updateTime: updateTime)
        doc.encodedFields = blob
        return doc
    }
}
