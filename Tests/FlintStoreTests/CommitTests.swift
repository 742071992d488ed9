import FlintCore
import FlintProto
import FlintService
import FlintStore
import FlintTesting
import Testing

@Suite("FirestoreService.commit")
struct CommitTests {
    @Test func allWritesOfACommitShareItsCommitTime() async throws {
        try await withService { service, _ in
            let response = try await commit(service, update("c/a", ["x": .integer(1)]), update("c/b", [:]), update("d/e/f/g", [:]))
            #expect(response.hasCommitTime)
            #expect(response.writeResults.count == 3)
            for result in response.writeResults { #expect(result.updateTime == response.commitTime) }
            for p in ["c/a", "c/b", "d/e/f/g"] {
                let d = try #require(try await fetch(service, p))
                #expect(d.updateTime == response.commitTime)
                #expect(d.createTime == response.commitTime)
            }
        }
    }

    @Test func commitWhoseSecondWriteFailsItsPreconditionAppliesNothing() async throws {
        try await withService { service, store throws in
            let error = await expectFirestoreError(.notFound) {
                try await commit(service, update("c/a", ["x": .integer(1)]), update("c/b", ["y": .integer(2)]).exists(true))
            }
            #expect(error?.message == "No document to update: \(docName("c/b"))")
            #expect(try await fetch(service, "c/a") == nil)
            #expect(try await indexRowCount(store) == 0)
        }
    }

    @Test func createOfAnExistingDocumentFailsWithProductionsText() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/a", [:]))
            let error = await expectFirestoreError(.alreadyExists) { try await commit(service, update("c/a", [:]).exists(false)) }
            #expect(error?.message == "Document already exists: \(docName("c/a"))")
        }
    }

    @Test func updateTimesStrictlyIncreaseAcrossCommits() async throws {
        try await withService { service, _ in
            var last: Int64 = 0
            for i in 0..<25 {
                let response = try await commit(service, update("c/a", ["i": .integer(Int64(i))]))
                #expect(response.commitTime.micros > last)
                #expect(response.writeResults[0].updateTime == response.commitTime)
                last = response.commitTime.micros
            }
        }
    }

    @Test func writeThatChangesNothingKeepsTheUpdateTime() async throws {
        try await withService { service, _ in
            let first = try await commit(service, update("c/a", ["x": .integer(1), "m": .map(["k": .string("v")])]))
            let second = try await commit(service, update("c/a", ["m": .map(["k": .string("v")]), "x": .integer(1)]))
            #expect(second.commitTime.micros > first.commitTime.micros)
            #expect(second.writeResults[0].updateTime == first.commitTime)
            #expect(try await fetch(service, "c/a")?.updateTime == first.commitTime)
        }
    }

    @Test func changingIntegerToEqualDoubleIsAChange() async throws {
        try await withService { service, _ in
            let first = try await commit(service, update("c/a", ["x": .integer(1)]))
            let second = try await commit(service, update("c/a", ["x": .double(1)]))
            #expect(second.writeResults[0].updateTime == second.commitTime)
            #expect(second.commitTime != first.commitTime)
            #expect(try await fetch(service, "c/a")?.fields["x"] == .double(1))
        }
    }

    @Test
    func replacingAStringWithACanonicallyEquivalentOneStoresTheNewBytes() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/a", ["s": .string("\u{E9}")]))
            let second = try await commit(service, update("c/a", ["s": .string("e\u{301}")]))
            #expect(second.writeResults[0].updateTime == second.commitTime)
            let stored = try #require(try await fetch(service, "c/a")?.fields["s"])
            #expect(Array(stored.stringValue.utf8) == Array("e\u{301}".utf8))
        }
    }

    @Test func createTimeSurvivesUpdatesButNotDeletion() async throws {
        try await withService { service, _ in
            let created = try await commit(service, update("c/a", ["v": .integer(1)]))
            try await commit(service, update("c/a", ["v": .integer(2)]))
            #expect(try await fetch(service, "c/a")?.createTime == created.commitTime)
            try await commit(service, delete("c/a"))
            let recreated = try await commit(service, update("c/a", ["v": .integer(3)]))
            #expect(try await fetch(service, "c/a")?.createTime == recreated.commitTime)
        }
    }

    @Test func deleteResultCarriesNoUpdateTime() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/a", [:]))
            let response = try await commit(service, delete("c/a"), delete("c/never"))
            #expect(response.writeResults.map(\.hasUpdateTime) == [false, false])
            #expect(try await fetch(service, "c/a") == nil)
        }
    }

    @Test func updateTimePreconditionMustMatchExactly() async throws {
        try await withService { service, _ in
            let first = try await commit(service, update("c/a", ["v": .integer(1)]))
            try await commit(service, update("c/a", ["v": .integer(2)]).lastUpdated(first.commitTime))
            await expectFirestoreError(.failedPrecondition) {
                try await commit(service, update("c/a", ["v": .integer(3)]).lastUpdated(first.commitTime))
            }
            #expect(try await fetch(service, "c/a")?.fields["v"] == .integer(2))
        }
    }

    @Test func emptyCommitAnswersWithoutACommitTime() async throws {
        try await withService { service, _ in
            let response = try await commit(service)
            #expect(!response.hasCommitTime)
            #expect(response.writeResults.isEmpty)
        }
    }

    @Test func writeNamingAnotherDatabaseIsRejected() async throws {
        try await withService { service, _ in
            var write = update("c/a", [:])
            write.update.name = "projects/other/databases/(default)/documents/c/a"
            await expectFirestoreError(.invalidArgument) { try await commit(service, write) }
        }
    }

    @Test func laterWritesInACommitSeeEarlierOnes() async throws {
        try await withService { service, _ in
            let inc = FieldTransformProto.with { $0.fieldPath = "n"; $0.increment = .integer(1) }
            let response = try await commit(service, update("c/a", ["n": .integer(1)]), update("c/a", [:], mask: []).transforming(inc))
            #expect(response.writeResults[1].transformResults == [.integer(2)])
            #expect(try await fetch(service, "c/a")?.fields == ["n": .integer(2)])
        }
    }

    @Test func requestTimeTransformsOfOneRequestShareOneMillisecondTimestamp() async throws {
        try await withService { service, _ in
            let t1 = FieldTransformProto.with { $0.fieldPath = "t"; $0.setToServerValue = .requestTime }
            let t2 = FieldTransformProto.with { $0.fieldPath = "u.v"; $0.setToServerValue = .requestTime }
            let response = try await commit(service, update("c/a", [:]).transforming(t1), update("c/b", [:]).transforming(t2))
            let a = response.writeResults[0].transformResults
            let b = response.writeResults[1].transformResults
            #expect(a.count == 1 && a == b)
            #expect(a[0].timestampValue.nanos % 1_000_000 == 0)
            let stored = try #require(try await fetch(service, "c/b"))
            #expect(stored.fields["u"] == .map(["v": a[0]]))
        }
    }

    @Test func transformThatGrowsTheDocumentPast1MiBIsRejectedAndLeavesItUnchanged() async throws {
        try await withService { service, _ in
            let big = String(repeating: "x", count: 600_000)
            try await commit(service, update("c/a", ["s": .string(big)]))
            let add = FieldTransformProto.with { $0.fieldPath = "t"; $0.appendMissingElements.values = [.string(big)] }
            await expectFirestoreError(.invalidArgument) { try await commit(service, update("c/a", [:], mask: []).transforming(add)) }
            #expect(try await fetch(service, "c/a")?.fields.keys.sorted() == ["s"])
        }
    }
}
