import FlintCore
import FlintProto
import FlintService
import FlintTesting
import Testing

@Suite("FirestoreService listings")
struct ServiceListingTests {
    func list(_ service: FirestoreService, _ collection: String, parent: String = rootName, pageSize: Int32 = 0,
              token: String = "", showMissing: Bool = false) async throws -> Google_Firestore_V1_ListDocumentsResponse {
        try await service.listDocuments(
            .with {
                $0.parent = parent
                $0.collectionID = collection
                $0.pageSize = pageSize
                $0.pageToken = token
                $0.showMissing = showMissing
            }, context: admin)
    }

    @Test func listDocumentsPagesInKeyOrderWithATokenWheneverAPageIsFull() async throws {
        try await withService { service, _ in
            for id in ["\u{1F600}", "\u{FF61}", "b", "a"] { try await commit(service, update("c/" + id, [:])) }
            let first = try await list(service, "c", pageSize: 2)
            #expect(first.documents.map(\.name) == [docName("c/a"), docName("c/b")])
            #expect(!first.nextPageToken.isEmpty)
            let second = try await list(service, "c", pageSize: 2, token: first.nextPageToken)
            #expect(second.documents.map(\.name) == [docName("c/\u{FF61}"), docName("c/\u{1F600}")])
            #expect(!second.nextPageToken.isEmpty)
            let third = try await list(service, "c", pageSize: 2, token: second.nextPageToken)
            #expect(third.documents.isEmpty)
            #expect(third.nextPageToken.isEmpty)
        }
    }

    @Test func showMissingAddsAbsentParentsWithoutTimes() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/real", ["x": .integer(1)]), update("c/ghost/s/1", [:]))
            let response = try await list(service, "c", showMissing: true)
            #expect(response.documents.map(\.name) == [docName("c/ghost"), docName("c/real")])
            #expect(!response.documents[0].hasCreateTime)
            #expect(response.documents[1].fields == ["x": .integer(1)])
        }
    }

    @Test func listCollectionIDsIncludesCollectionsHoldingOnlyDeeperDocuments() async throws {
        try await withService { service, _ in
            try await commit(service, update("a/x/b/y", [:]), update("z/1", [:]))
            let root = try await service.listCollectionIDs(.with { $0.parent = rootName }, context: admin)
            #expect(root.collectionIds == ["a", "z"])
            let under = try await service.listCollectionIDs(.with { $0.parent = docName("a/x") }, context: admin)
            #expect(under.collectionIds == ["b"])
        }
    }

    @Test func listCollectionIDsRequiresAdmin() async throws {
        try await withService { service, _ in
            await expectFirestoreError(.permissionDenied) {
                _ = try await service.listCollectionIDs(.with { $0.parent = rootName }, context: CallContext(auth: .unauthenticated))
            }
        }
    }

    @Test func recursiveDeleteRemovesTheSubtreeAndNothingElse() async throws {
        try await withService { service, store in
            try await commit(service, update("c/a", ["k": .integer(1)]), update("c/a/s/b", [:]), update("c/ab", ["k": .integer(2)]))
            let deleted = try await service.recursiveDelete(testDB, path("c/a"))
            #expect(deleted == 2)
            #expect(try await fetch(service, "c/a") == nil)
            #expect(try await fetch(service, "c/a/s/b") == nil)
            #expect(try await fetch(service, "c/ab") != nil)
            #expect(try await indexRowCount(store) == 1)
        }
    }

    @Test func getDocumentWithAMaskProjectsTheFields() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/a", ["m": .map(["p": .integer(1), "q": .integer(2)]), "x": .integer(3)]))
            let got = try await service.getDocument(
                .with { $0.name = docName("c/a"); $0.mask.fieldPaths = ["m.q", "nope"] }, context: admin)
            #expect(got.fields == ["m": .map(["q": .integer(2)])])
        }
    }

    @Test
    func batchGetAnswersNamesThatDifferOnlyInUnicodeNormalisationSeparately() async throws {
        try await withService { service, _ in
            let names = [docName("c/\u{E9}"), docName("c/e\u{301}")]
            let responses = try await service.batchGetDocuments(
                .with { $0.database = testDB.resourceName; $0.documents = names }, context: admin)
            #expect(responses.map { Array($0.missing.utf8) } == names.map { Array($0.utf8) })
        }
    }

    @Test func batchGetAnswersRepeatedNamesOnceAndOtherDatabasesAsMissing() async throws {
        try await withService { service, _ in
            try await commit(service, update("c/a", [:]))
            let foreign = "projects/other/databases/(default)/documents/c/a"
            let responses = try await service.batchGetDocuments(
                .with { $0.database = testDB.resourceName; $0.documents = [docName("c/a"), docName("c/a"), docName("c/b"), foreign] },
                context: admin)
            #expect(responses.map(\.found.name) == [docName("c/a"), "", ""])
            #expect(responses.map(\.missing) == ["", docName("c/b"), foreign])
        }
    }
}
