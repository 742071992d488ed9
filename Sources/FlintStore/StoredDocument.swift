import FlintCore
import FlintProto
import Foundation

/// A document as stored: its path, fields and microsecond create/update times.
public struct StoredDocument: Sendable, Equatable {
    public var path: ResourcePath
    public var fields: Fields
    public var createTime: Int64
    public var updateTime: Int64
    /// `fields` in stored form, when known (read from or just written to the store), so it is not
    /// encoded again for history or the trigger outbox. Not part of equality.
    var encodedFields: Data?

    public init(path: ResourcePath, fields: Fields, createTime: Int64, updateTime: Int64) {
        self.path = path
        self.fields = fields
        self.createTime = createTime
        self.updateTime = updateTime
    }

    /// `fields` in stored form.
    func encoded() throws -> Data { try encodedFields ?? PreparedFields.encode(fields) }

    public static func == (a: StoredDocument, b: StoredDocument) -> Bool {
        a.path == b.path && a.createTime == b.createTime && a.updateTime == b.updateTime && fieldsEqual(a.fields, b.fields)
    }
}

/// One document change of a commit: what was there before and what is there after (nil = absent).
public struct DocumentChange: Sendable {
    public var database: DatabaseID
    public var path: ResourcePath
    public var before: StoredDocument?
    public var after: StoredDocument?

    public init(database: DatabaseID, path: ResourcePath, before: StoredDocument?, after: StoredDocument?) {
        self.database = database
        self.path = path
        self.before = before
        self.after = after
    }
}

extension StoredDocument {
    /// The API form of a stored document, optionally projected onto a mask.
    public func proto(in database: DatabaseID, mask: [FieldPath]? = nil) -> FirestoreDocument {
        var doc = FirestoreDocument()
        doc.name = database.name(of: path)
        doc.fields = mask.map { fields.projected(onto: $0) } ?? fields
        doc.createTime = ProtoTimestamp(micros: createTime)
        doc.updateTime = ProtoTimestamp(micros: updateTime)
        return doc
    }
}
