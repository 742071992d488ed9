import FlintCore
import FlintStore

enum StoredDocumentFixture {
    static func make(_ fields: Fields, create: Int64, update: Int64) -> StoredDocument {
        StoredDocument(path: ResourcePath(["orders", "o1"]), fields: fields, createTime: create, updateTime: update)
    }
}
