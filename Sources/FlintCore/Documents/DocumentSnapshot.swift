import FlintProto
import Foundation

/// A document as it stood at one moment: its path, fields and microsecond create/update times.
public struct DocumentSnapshot: Sendable, Equatable {
    public var path: ResourcePath
    public var fields: Fields
    public var createTime: Int64
    public var updateTime: Int64
    /// `fields` in the store's encoding, when the store read or wrote them, so history and the
    /// trigger outbox do not encode them again. Not part of equality.
    package var encodedFields: Data?

    public init(path: ResourcePath, fields: Fields, createTime: Int64, updateTime: Int64) {
        self.path = path
        self.fields = fields
        self.createTime = createTime
        self.updateTime = updateTime
    }

    public static func == (a: DocumentSnapshot, b: DocumentSnapshot) -> Bool {
        a.path == b.path && a.createTime == b.createTime && a.updateTime == b.updateTime && fieldsEqual(a.fields, b.fields)
    }

    /// The API form, optionally projected onto a mask.
    public func proto(in database: DatabaseID, mask: [FieldPath]? = nil) -> FirestoreDocument {
        var doc = FirestoreDocument()
        doc.name = database.name(of: path)
        doc.fields = mask.map { fields.projected(onto: $0) } ?? fields
        doc.createTime = ProtoTimestamp(micros: createTime)
        doc.updateTime = ProtoTimestamp(micros: updateTime)
        return doc
    }
}

/// One document change of a commit: what was there before and what is there after (nil = absent).
public struct DocumentChange: Sendable {
    public var database: DatabaseID
    public var path: ResourcePath
    public var before: DocumentSnapshot?
    public var after: DocumentSnapshot?

    public init(database: DatabaseID, path: ResourcePath, before: DocumentSnapshot?, after: DocumentSnapshot?) {
        self.database = database
        self.path = path
        self.before = before
        self.after = after
    }
}
