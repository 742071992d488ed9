import FlintCore
import FlintTriggers
import Testing

@Suite("Document patterns")
struct DocumentPatternTests {
    func path(_ s: String) -> ResourcePath { ResourcePath(s.split(separator: "/").map(String.init)) }

    @Test func wildcardMatchesOneSegmentAndNamesIt() throws {
        let p = try DocumentPattern("orders/{orderId}")
        #expect(p.match(path("orders/o1")) == ["orderId": "o1"])
    }

    @Test func subcollectionWriteDoesNotFireTheParentsPattern() throws {
        let p = try DocumentPattern("orders/{orderId}")
        #expect(p.match(path("orders/o1/items/i1")) == nil)
    }

    @Test func literalSegmentsMustMatchExactly() throws {
        let p = try DocumentPattern("customers/{phone}/notes/{noteId}")
        #expect(p.match(path("customers/98/notes/n1")) == ["phone": "98", "noteId": "n1"])
        #expect(p.match(path("customers/98/other/n1")) == nil)
    }

    @Test func restWildcardTakesSeveralSegments() throws {
        let p = try DocumentPattern("users/{rest=**}")
        #expect(p.match(path("users/u1/posts/p1")) == ["rest": "u1/posts/p1"])
        #expect(p.match(path("users/u1")) == ["rest": "u1"])
        #expect(p.match(path("other/u1")) == nil)
    }

    @Test func restWildcardLeavesTheTailToLaterSegments() throws {
        let p = try DocumentPattern("{path=**}/likes/{likeId}")
        #expect(p.match(path("a/b/c/d/likes/l1")) == ["path": "a/b/c/d", "likeId": "l1"])
    }

    @Test(arguments: ["orders", "orders/{a}/{b=**}/{c=**}", "orders//x", "orders/{}", "orders/x{y}", "a/{x}/b/{x}"])
    func invalidPatternsAreRejected(_ pattern: String) {
        #expect(throws: FirestoreError.self) { try DocumentPattern(pattern) }
    }
}
