import FlintCore
@testable import FlintStore
import Foundation
import FlintTesting
import Testing

@Suite("The writer's recent documents")
struct RecentDocumentsTests {
    @Test func theWriterReadsWhatItJustStoredAndNothingARolledBackWriteLeft() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", ["v": .integer(1)], time: 1))
            // A write that stores a version and then fails leaves nothing behind, in SQLite or in memory.
            await expectFirestoreError(.aborted) {
                try await store.write { writer in
                    try writer.put(testDB, doc("c/a", ["v": .integer(2)], time: 2), previous: try writer.document(testDB, path("c/a")))
                    throw FirestoreError(.aborted, "changed my mind")
                }
            }
            #expect(try await store.write { try $0.document(testDB, path("c/a")) }?.fields["v"] == .integer(1))
            try await put(store, doc("c/a", ["v": .integer(3)], time: 3))
            #expect(try await store.write { try $0.document(testDB, path("c/a")) }?.updateTime == 3)
            try await remove(store, "c/a")
            #expect(try await store.write { try $0.document(testDB, path("c/a")) } == nil)
            #expect(try await get(store, "c/a") == nil)
        }
    }

    @Test func itKeepsAtMostTwoGenerationsOfDocuments() {
        let recent = RecentDocuments()
        for i in 0..<(3 * RecentDocuments.generationSize) { recent.stored(testDB, doc("c/d\(i)", [:])) }
        #expect(recent.count <= 2 * RecentDocuments.generationSize)
        #expect(recent.document(testDB, path("c/d\(3 * RecentDocuments.generationSize - 1)")) != nil)
        #expect(recent.document(testDB, path("c/d0")) == nil)
    }

    @Test func itKeepsAtMostTwoGenerationsOfStoredBytes() {
        let recent = RecentDocuments()
        var big = doc("c/x", ["s": .string(String(repeating: "x", count: 2000))])
        big.encodedFields = Data(count: 2000)
        for i in 0..<(3 * RecentDocuments.generationBytes / 2000) {
            big.path = path("c/d\(i)")
            recent.stored(testDB, big)
        }
        #expect(recent.count <= 2 * RecentDocuments.generationBytes / 2000)
        #expect(recent.document(testDB, big.path) != nil)
        #expect(recent.document(testDB, path("c/d0")) == nil)
    }
}
