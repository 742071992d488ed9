import FlintCore
import FlintTesting
import Testing

private let root = "projects/p/databases/(default)/documents"

@Suite("Resource names and ids")
struct ResourceNameTests {
    @Test func documentNameSplitsIntoDatabaseAndPath() throws {
        let (db, path) = try ResourceName.document(root + "/users/alice/posts/p1")
        #expect(db == DatabaseID(project: "p", database: "(default)"))
        #expect(path.segments == ["users", "alice", "posts", "p1"])
        #expect(path.isDocument)
        #expect(path.collectionID == "posts")
    }

    @Test func documentNameWithOddSegmentCountIsRejectedWithTheEmulatorsWording() {
        let name = root + "/users"
        let error = expectFirestoreError(.invalidArgument) { _ = try ResourceName.document(name) }
        #expect(error?.message == "Document name \"\(name)\" lacks \"/\" at index \(name.utf16.count).")
    }

    @Test func documentsRootIsNotADocument() {
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.document(root) }
    }

    @Test func nameWithEmptySegmentIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.document(root + "/c//d") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parse(root + "/c/") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parse(root + "/") }
    }

    @Test func nameOutsideTheDocumentsRootIsRejected() {
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parse("projects/p/databases/(default)/docs/c/d") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parse("projects//databases/(default)/documents") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parse("project/p/databases/d/documents") }
    }

    @Test func parseOfTheRootGivesTheEmptyPath() throws {
        let (db, path) = try ResourceName.parse("projects/p/databases/other/documents")
        #expect(db.database == "other")
        #expect(path == .root)
    }

    @Test func databaseNameNeedsExactlyFourSegments() throws {
        #expect(try ResourceName.database("projects/p/databases/d") == DatabaseID(project: "p", database: "d"))
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.database("projects/p/databases/d/documents") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.database("projects/p/databases/") }
    }

    @Test func parentMayBeTheRootOrADocumentButNotACollection() throws {
        #expect(try ResourceName.parent(root).1 == .root)
        #expect(try ResourceName.parent(root + "/c/d").1.segments == ["c", "d"])
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parent(root + "/c") }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.parent(root + "/c/d/e") }
    }

    @Test func emptyIDIsRejected() {
        expectFirestoreError(.invalidArgument) { try ResourceName.validateID("") }
    }

    @Test(arguments: [".", ".."])
    func dotIDsAreRejected(id: String) {
        expectFirestoreError(.invalidArgument) { try ResourceName.validateID(id) }
        expectFirestoreError(.invalidArgument) { _ = try ResourceName.document(root + "/c/" + id) }
    }

    @Test(arguments: ["...", ".a", "a.", "a.b"])
    func idsWithDotsThatAreNotDotOrDotDotAreAccepted(id: String) throws {
        try ResourceName.validateID(id)
    }

    @Test(arguments: ["__x__", "____", "__id__", "__.__"])
    func reservedIDsAreRejected(id: String) {
        let error = expectFirestoreError(.invalidArgument) { try ResourceName.validateID(id) }
        #expect(error?.message.contains("reserved") == true)
    }

    @Test(arguments: ["__", "___", "__x", "x__", "_x_", "a__b__"])
    func idsThatDoNotMatchTheReservedPatternAreAccepted(id: String) throws {
        try ResourceName.validateID(id)
    }

    @Test func idOf1500BytesIsAcceptedAnd1501Rejected() throws {
        try ResourceName.validateID(String(repeating: "a", count: 1500))
        // 500 three-byte characters: 1500 bytes but only 500 characters.
        try ResourceName.validateID(String(repeating: "\u{20AC}", count: 500))
        expectFirestoreError(.invalidArgument) { try ResourceName.validateID(String(repeating: "a", count: 1501)) }
        expectFirestoreError(.invalidArgument) {
            try ResourceName.validateID(String(repeating: "\u{20AC}", count: 500) + "a")
        }
    }

    @Test func nameLongerThan6KiBIsRejectedEvenWhenEveryIDIsValid() {
        // Five ids of 1,300 bytes: each valid, together over 6,144 bytes.
        let id = String(repeating: "x", count: 1300)
        let name = root + "/" + [id, id, id, id, id, id].joined(separator: "/")
        #expect(name.utf8.count > 6 * 1024)
        let error = expectFirestoreError(.invalidArgument) { _ = try ResourceName.document(name) }
        #expect(error?.message.contains("longer than 6144 bytes") == true)
    }

    @Test func nameJustUnder6KiBIsAccepted() throws {
        let id = String(repeating: "x", count: 1000)
        let name = root + "/" + [id, id, id, id, id, id].joined(separator: "/")
        #expect(name.utf8.count <= 6 * 1024)
        #expect(try ResourceName.document(name).1.count == 6)
    }

    @Test func idContainingASlashIsRejected() {
        expectFirestoreError(.invalidArgument) { try ResourceName.validateID("a/b") }
    }

    @Test func databaseNameOfAPathIsTheRootPlusThePath() {
        let db = DatabaseID(project: "p")
        #expect(db.name(of: ResourcePath(["c", "d"])) == root + "/c/d")
        #expect(db.name(of: .root) == root)
        #expect(db.resourceName == "projects/p/databases/(default)")
    }

    @Test func resourcePathsOrderSegmentBySegmentByUTF8BytesShorterFirst() {
        let a = ResourcePath(["c", "a"])
        let ab = ResourcePath(["c", "a", "s", "x"])
        let b = ResourcePath(["c", "b"])
        let bmp = ResourcePath(["c", "\u{FF61}"])
        let astral = ResourcePath(["c", "\u{1F600}"])
        #expect(a < ab)
        #expect(ab < b)
        #expect(bmp < astral)
        #expect(!(astral < bmp))
        // "c/a!" sorts after "c/a" + deeper segments because comparison is per segment, not per string.
        #expect(ab < ResourcePath(["c", "a!"]))
    }

    @Test
    func idStartingWithACombiningMarkSurvivesParsing() throws {
        // "/" followed by U+0301 is one Character in Swift; segments must still split on the byte "/".
        let name = root + "/c/\u{301}x"
        let (_, path) = try ResourceName.document(name)
        #expect(path.segments == ["c", "\u{301}x"])
    }
}
