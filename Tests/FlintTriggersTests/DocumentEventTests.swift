import FlintCore
import FlintStore
import FlintTriggers
import Testing

@Suite("Event classification")
struct DocumentEventTests {
    func doc(_ fields: Fields, updated: Int64 = 2) -> DocumentSnapshot {
        DocumentSnapshot(path: ResourcePath(["c", "d"]), fields: fields, createTime: 1, updateTime: updated)
    }

    @Test func firstWriteIsACreate() {
        #expect(DocumentEventKind.of(before: nil, after: doc(["a": .integer(1)])) == .created)
    }

    @Test func changedDataIsAnUpdate() {
        #expect(DocumentEventKind.of(before: doc(["a": .integer(1)]), after: doc(["a": .integer(2)])) == .updated)
    }

    @Test func removalIsADelete() {
        #expect(DocumentEventKind.of(before: doc(["a": .integer(1)]), after: nil) == .deleted)
    }

    @Test func aWriteThatChangesNothingFiresNothing() {
        #expect(DocumentEventKind.of(before: doc(["a": .integer(1)]), after: doc(["a": .integer(1)], updated: 3)) == nil)
    }

    @Test func integerAndDoubleOfEqualValueAreStillAChange() {
        #expect(DocumentEventKind.of(before: doc(["a": .integer(1)]), after: doc(["a": .double(1)])) == .updated)
    }

    @Test func eventTypesOfBothGenerationsParse() throws {
        #expect(try TriggerEventType("google.cloud.firestore.document.v1.created").kind == .created)
        #expect(try TriggerEventType("google.cloud.firestore.document.v1.written.withAuthContext").kind == nil)
        #expect(try TriggerEventType("providers/cloud.firestore/eventTypes/document.delete").kind == .deleted)
        #expect(try TriggerEventType("providers/cloud.firestore/eventTypes/document.write").generation == .first)
        #expect(throws: FirestoreError.self) { try TriggerEventType("google.cloud.firestore.document.v1.touched") }
    }

    @Test func writtenAcceptsEveryKindAndCreatedOnlyCreates() throws {
        let written = try TriggerEventType("google.cloud.firestore.document.v1.written")
        let created = try TriggerEventType("google.cloud.firestore.document.v1.created")
        #expect(DocumentEventKind.allCases.allSatisfy { written.accepts($0) })
        #expect(created.accepts(.created) && !created.accepts(.updated) && !created.accepts(.deleted))
    }

    @Test func updateMaskNamesAddedRemovedAndChangedLeaves() {
        let before: Fields = ["a": .integer(1), "m": .map(["x": .integer(1), "y": .integer(2)]), "gone": .boolean(true)]
        let after: Fields = ["a": .integer(1), "m": .map(["x": .integer(5), "y": .integer(2)]), "new": .string("n")]
        #expect(changedFieldPaths(before, after).map(\.description) == ["gone", "m.x", "new"])
    }
}
