import FlintCore

/// The documents the serial writer stored most recently, as stored, so a read-modify-write that
/// soon follows a write (a trigger reading the document that fired it, a profile updated on every
/// order) skips SQLite and decoding.
///
/// Used only by the writer, inside its transactions, where it is always current: every document
/// stored or removed passes through it, and it is emptied whenever a savepoint or a transaction
/// rolls back or rows change by other means. Readers never use it (they read at their own
/// snapshots). Bounded: two generations of at most `generationSize` documents and
/// `generationBytes` of stored form each.
final class RecentDocuments: @unchecked Sendable {
    private struct Key: Hashable {
        var database: DatabaseID
        var path: ResourcePath
    }

    static let generationSize = 8192
    static let generationBytes = 4 << 20

    private var young: [Key: DocumentSnapshot] = [:]
    private var old: [Key: DocumentSnapshot] = [:]
    private var youngBytes = 0

    func document(_ database: DatabaseID, _ path: ResourcePath) -> DocumentSnapshot? {
        let key = Key(database: database, path: path)
        return young[key] ?? old[key]
    }

    func stored(_ database: DatabaseID, _ document: DocumentSnapshot) {
        young[Key(database: database, path: document.path)] = document
        youngBytes += document.encodedFields?.count ?? 0
        if youngBytes > Self.generationBytes || young.count >= Self.generationSize {
            old = young
            young = [:]
            youngBytes = 0
        }
    }

    func removed(_ database: DatabaseID, _ path: ResourcePath) {
        let key = Key(database: database, path: path)
        young[key] = nil
        old[key] = nil
    }

    /// How many documents it holds.
    var count: Int { young.count + old.filter { young[$0.key] == nil }.count }

    func clear() {
        young = [:]
        old = [:]
        youngBytes = 0
    }
}
