import FlintCore
import FlintProto
import FlintService
import FlintTesting
import Testing

@Suite("Update masks")
struct UpdateMaskTests {
    static let start: Fields = [
        "keep": .string("k"),
        "m": .map(["x": .integer(1), "y": .integer(2)]),
        "m.x": .string("dotted name"),
    ]

    /// Writes `start`, then `write`, and answers the fields that result.
    func fieldsAfter(_ write: Google_Firestore_V1_Write) async throws -> Fields? {
        try await withService { service, _ in
            try await commit(service, update("c/a", Self.start))
            try await commit(service, write)
            return try await fetch(service, "c/a")?.fields
        }
    }

    @Test func absentMaskReplacesEveryField() async throws {
        #expect(try await fieldsAfter(update("c/a", ["new": .boolean(true)])) == ["new": .boolean(true)])
    }

    @Test func presentButEmptyMaskChangesNoField() async throws {
        #expect(try await fieldsAfter(update("c/a", ["new": .boolean(true)], mask: [])) == Self.start)
    }

    @Test func presentButEmptyMaskKeepsTheUpdateTime() async throws {
        try await withService { service, _ in
            let first = try await commit(service, update("c/a", Self.start))
            let second = try await commit(service, update("c/a", ["new": .boolean(true)], mask: []))
            #expect(second.writeResults[0].updateTime == first.commitTime)
        }
    }

    @Test func presentButEmptyMaskOnAnAbsentDocumentCreatesItEmpty() async throws {
        try await withService { service, _ in
            let response = try await commit(service, update("c/new", ["ignored": .integer(1)], mask: []))
            let created = try #require(try await fetch(service, "c/new"))
            #expect(created.fields.isEmpty)
            #expect(created.createTime == response.commitTime)
        }
    }

    @Test func dottedMaskPathSetsOnlyTheNestedField() async throws {
        var expected = Self.start
        expected["m"] = .map(["x": .integer(5), "y": .integer(2)])
        #expect(try await fieldsAfter(update("c/a", ["m": .map(["x": .integer(5), "z": .integer(9)])], mask: ["m.x"])) == expected)
    }

    @Test func backQuotedMaskPathTargetsTheFieldWhoseNameHasADot() async throws {
        var expected = Self.start
        expected["m.x"] = .string("replaced")
        #expect(try await fieldsAfter(update("c/a", ["m.x": .string("replaced")], mask: ["`m.x`"])) == expected)
    }

    @Test func maskPathWithoutAValueInTheUpdateDeletesTheField() async throws {
        var expected = Self.start
        expected["keep"] = nil
        expected["m"] = .map(["y": .integer(2)])
        #expect(try await fieldsAfter(update("c/a", [:], mask: ["keep", "m.x", "absent"])) == expected)
    }

    @Test func maskPathNamingAMapReplacesTheWholeMap() async throws {
        var expected = Self.start
        expected["m"] = .map(["z": .integer(3)])
        #expect(try await fieldsAfter(update("c/a", ["m": .map(["z": .integer(3)])], mask: ["m"])) == expected)
    }

    @Test func maskPathThroughANonMapReplacesItWithAMap() async throws {
        var expected = Self.start
        expected["keep"] = .map(["deep": .integer(1)])
        #expect(try await fieldsAfter(update("c/a", ["keep": .map(["deep": .integer(1)])], mask: ["keep.deep"])) == expected)
    }

    @Test func invalidMaskPathIsRejected() async throws {
        try await withService { service, _ in
            await expectFirestoreError(.invalidArgument) { try await commit(service, update("c/a", [:], mask: ["a-b"])) }
            await expectFirestoreError(.invalidArgument) { try await commit(service, update("c/a", [:], mask: ["a..b"])) }
        }
    }

    @Test func mergeOnAnAbsentDocumentCreatesOnlyTheMaskedFields() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/b", ["a": .integer(1), "b": .integer(2)], mask: ["a"]))
            #expect(try await fetch(service, "c/b")?.fields == ["a": .integer(1)])
        }
    }
}
