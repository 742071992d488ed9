import FlintCore
import FlintTesting
import Testing

@Suite("Field paths")
struct FieldPathTests {
    @Test func dottedPathSplitsIntoSegments() throws {
        #expect(try FieldPath(parsing: "a.b.c").segments == ["a", "b", "c"])
        #expect(try FieldPath(parsing: "_x1.Y_2").segments == ["_x1", "Y_2"])
    }

    @Test func backQuotedSegmentMayHoldDotsAndOtherCharacters() throws {
        #expect(try FieldPath(parsing: "`a.b`").segments == ["a.b"])
        #expect(try FieldPath(parsing: "m.`a-b`.`1x`").segments == ["m", "a-b", "1x"])
        #expect(try FieldPath(parsing: "`\u{1F600} x`").segments == ["\u{1F600} x"])
    }

    @Test func backslashEscapesABackQuoteOrABackslashInsideBackQuotes() throws {
        #expect(try FieldPath(parsing: #"`a\`b`"#).segments == ["a`b"])
        #expect(try FieldPath(parsing: #"`a\\b`"#).segments == [#"a\b"#])
    }

    @Test(arguments: ["a-b", "1a", "a b", "é", "a.b-c", "$x"])
    func bareSegmentOutsideTheSimpleAlphabetIsRejected(path: String) {
        let error = expectFirestoreError(.invalidArgument) { _ = try FieldPath(parsing: path) }
        #expect(error?.message.contains("Unquoted property paths must match regex") == true)
    }

    @Test(arguments: ["", ".", "a.", ".a", "a..b", "``", "a.``"])
    func emptySegmentsAreRejected(path: String) {
        expectFirestoreError(.invalidArgument) { _ = try FieldPath(parsing: path) }
    }

    @Test(arguments: ["`a", "`a.b", #"`a\"#, "`a`b", "`a`.`"])
    func unbalancedOrTrailingBackQuotesAreRejected(path: String) {
        expectFirestoreError(.invalidArgument) { _ = try FieldPath(parsing: path) }
    }

    @Test func pathOf1500BytesIsAcceptedAnd1501Rejected() throws {
        #expect(try FieldPath(parsing: String(repeating: "a", count: 1500)).count == 1)
        expectFirestoreError(.invalidArgument) { _ = try FieldPath(parsing: String(repeating: "a", count: 1501)) }
    }

    @Test func descriptionQuotesOnlySegmentsThatNeedIt() {
        #expect(FieldPath(["a", "b"]).description == "a.b")
        #expect(FieldPath(["a.b", "c"]).description == "`a.b`.c")
        #expect(FieldPath(["1x"]).description == "`1x`")
        #expect(FieldPath(["a`b"]).description == #"`a\`b`"#)
        #expect(FieldPath([#"a\b"#]).description == #"`a\\b`"#)
        #expect(FieldPath([""]).description == "``")
    }

    @Test(arguments: [
        ["a"], ["a", "b", "c"], ["a.b"], ["a-b", "c"], ["1"], ["a`b"], [#"a\b"#], [#"`\"#], ["\u{1F600}"],
        ["x y", "é", "__name__"], ["_", "Z9"],
    ])
    func descriptionRoundTripsThroughParsing(segments: [String]) throws {
        let path = FieldPath(segments)
        #expect(try FieldPath(parsing: path.description) == path)
    }

    @Test
    func segmentStartingWithACombiningMarkRoundTrips() throws {
        // "`" + U+0301 forms one Character in Swift; quoting and parsing must still see the back-quote.
        let path = FieldPath(["\u{301}a"])
        #expect(try FieldPath(parsing: path.description) == path)
    }

    @Test
    func backQuoteFollowedByACombiningMarkIsEscaped() {
        #expect(Array(FieldPath(["a`\u{301}"]).description.utf8) == Array("`a\\`\u{301}`".utf8))
    }

    @Test func documentKeyIsRecognised() throws {
        #expect(try FieldPath(parsing: "__name__").isDocumentKey)
        #expect(try FieldPath(parsing: "`__name__`").isDocumentKey)
        #expect(!(try FieldPath(parsing: "a.__name__").isDocumentKey))
    }

    @Test func prefixRelationIsBySegmentNotByString() throws {
        let a = try FieldPath(parsing: "a")
        let ab = try FieldPath(parsing: "a.b")
        let abc = try FieldPath(parsing: "abc")
        #expect(a.isPrefix(of: ab))
        #expect(a.isPrefix(of: a))
        #expect(!a.isPrefix(of: abc))
        #expect(!ab.isPrefix(of: a))
    }

    @Test func pathsOrderBySegmentUTF8BytesShorterFirst() {
        #expect(FieldPath(["a"]) < FieldPath(["a", "b"]))
        #expect(FieldPath(["a", "z"]) < FieldPath(["b"]))
        #expect(FieldPath(["B"]) < FieldPath(["a"]))
        #expect(FieldPath(["\u{FF61}"]) < FieldPath(["\u{1F600}"]))
        #expect(!(FieldPath(["a"]) < FieldPath(["a"])))
    }
}
