import FlintCore

enum SnapshotFixture {
    static func make(_ fields: Fields, create: Int64, update: Int64) -> DocumentSnapshot {
        DocumentSnapshot(path: ResourcePath(["orders", "o1"]), fields: fields, createTime: create, updateTime: update)
    }
}
