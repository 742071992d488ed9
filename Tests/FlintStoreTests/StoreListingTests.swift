import FlintCore
import FlintStore
import Testing

@Suite("DocumentStore listings")
struct StoreListingTests {
    @Test func documentsListInUTF8ByteOrderOfTheirIDs() async throws {
        try await withStore { store in
            let ids = ["\u{1F600}", "\u{FF61}", "a", "B", "\u{E9}", "a0", "_", "A"]
            for id in ids { try await put(store, doc("c/" + id, [:])) }
            let listed = try await store.read { try $0.documents(testDB, in: path("c")) }.map(\.path.lastSegment)
            // UTF-16 order would put U+1F600 (D83D) before U+FF61.
            #expect(listed == ["A", "B", "_", "a", "a0", "\u{E9}", "\u{FF61}", "\u{1F600}"])
        }
    }

    @Test func documentsPageAfterAnIDUpToALimit() async throws {
        try await withStore { store in
            for id in ["a", "b", "c", "d"] { try await put(store, doc("c/" + id, [:])) }
            let page = try await store.read { try $0.documents(testDB, in: path("c"), afterID: "a", limit: 2) }
            #expect(page.map(\.path.lastSegment) == ["b", "c"])
        }
    }

    @Test func documentsOfACollectionLeaveOutSubcollectionsAndSiblings() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", [:]), doc("c/a/c/x", [:]), doc("cc/b", [:]), doc("d/c/c/y", [:]))
            let listed = try await store.read { try $0.documents(testDB, in: path("c")) }.map(\.path)
            #expect(listed == [path("c/a")])
        }
    }

    @Test func collectionIDsIncludeCollectionsThatOnlyHoldDeeperDocuments() async throws {
        try await withStore { store in
            try await put(store, doc("a/x/b/y/c/z", [:]), doc("top/1", [:]))
            let (root, ax, axby, top) = try await store.read { r in
                (try r.collectionIDs(testDB, under: .root), try r.collectionIDs(testDB, under: path("a/x")),
                 try r.collectionIDs(testDB, under: path("a/x/b/y")), try r.collectionIDs(testDB, under: path("top/1")))
            }
            #expect(root == ["a", "top"])
            #expect(ax == ["b"])
            #expect(axby == ["c"])
            #expect(top == [])
        }
    }

    @Test func collectionIDsDoNotLeakFromDocumentsWhoseIDExtendsTheParentsID() async throws {
        try await withStore { store in
            try await put(store, doc("a/x/b/1", [:]), doc("a/xx/c/1", [:]), doc("a/x!/d/1", [:]))
            #expect(try await store.read { try $0.collectionIDs(testDB, under: path("a/x")) } == ["b"])
        }
    }

    @Test func collectionIDsAreInUTF8ByteOrder() async throws {
        try await withStore { store in
            for cid in ["\u{1F600}", "\u{FF61}", "b", "B"] { try await put(store, doc(cid + "/d", [:])) }
            #expect(try await store.read { try $0.collectionIDs(testDB, under: .root) } == ["B", "b", "\u{FF61}", "\u{1F600}"])
        }
    }

    @Test
    func rootCollectionIDsIncludeACollectionWhoseIDStartsWithTheLastCodePoint() async throws {
        try await withStore { store in
            try await put(store, doc("\u{10FFFF}/d/s/e", [:]))
            #expect(try await store.read { try $0.collectionIDs(testDB, under: .root) } == ["\u{10FFFF}"])
        }
    }

    @Test func collectionIDsLeaveOutCollectionsWhoseDocumentsWereAllDeleted() async throws {
        try await withStore { store in
            try await put(store, doc("gone/a", [:]), doc("kept/a", [:]), doc("kept/a/sub/b", [:]))
            try await remove(store, "gone/a")
            try await remove(store, "kept/a/sub/b")
            let (root, kept) = try await store.read { r in
                (try r.collectionIDs(testDB, under: .root), try r.collectionIDs(testDB, under: path("kept/a")))
            }
            #expect(root == ["kept"])
            #expect(kept == [])
        }
    }

    @Test func missingDocumentIDsNameAbsentDocumentsThatHaveDescendants() async throws {
        try await withStore { store in
            try await put(
                store, doc("c/real", [:]), doc("c/real/s/1", [:]), doc("c/ghost/s/1", [:]), doc("c/deep/s/t/u/2", [:]),
                doc("cx/other/s/1", [:]))
            let missing = try await store.read { try $0.missingDocumentIDs(testDB, in: path("c")) }
            #expect(missing == ["deep", "ghost"])
        }
    }

    @Test func missingDocumentIDsForgetAncestorsOnceTheirDescendantsAreDeleted() async throws {
        try await withStore { store in
            try await put(store, doc("c/ghost/s/1", [:]))
            try await remove(store, "c/ghost/s/1")
            #expect(try await store.read { try $0.missingDocumentIDs(testDB, in: path("c")) } == [])
        }
    }

    @Test func descendantsOfADocumentIncludeItAndEverythingBelowIt() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", [:]), doc("c/a/s/b", [:]), doc("c/a/s/b/t/c", [:]), doc("c/ab", [:]), doc("cc/a", [:]))
            let found = try await store.read { try $0.descendants(testDB, of: path("c/a")) }
            #expect(Set(found) == [path("c/a"), path("c/a/s/b"), path("c/a/s/b/t/c")])
            #expect(found.count == 3)
        }
    }

    @Test func descendantsOfAMissingDocumentAreItsSubcollectionDocuments() async throws {
        try await withStore { store in
            try await put(store, doc("c/a/s/b", [:]), doc("c/ab/s/x", [:]))
            #expect(try await store.read { try $0.descendants(testDB, of: path("c/a")) } == [path("c/a/s/b")])
        }
    }

    @Test func descendantsOfACollectionIncludeItsDocumentsAndTheirSubtrees() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", [:]), doc("c/a/s/b", [:]), doc("c/ab", [:]), doc("cc/a", [:]), doc("x/c/c/d", [:]))
            let found = try await store.read { try $0.descendants(testDB, of: path("c")) }
            #expect(Set(found) == [path("c/a"), path("c/a/s/b"), path("c/ab")])
            #expect(found.count == 3)
        }
    }

    @Test func descendantsOfTheRootAreEveryDocumentOfTheDatabase() async throws {
        try await withStore { store in
            try await put(store, doc("c/a", [:]), doc("c/a/s/b", [:]), doc("d/e", [:]))
            try await put(store, doc("z/z", [:]), database: DatabaseID(project: "other"))
            let found = try await store.read { try $0.descendants(testDB, of: .root) }
            #expect(Set(found) == [path("c/a"), path("c/a/s/b"), path("d/e")])
        }
    }
}

@Suite("DocumentStore databases")
struct StoreDatabaseListingTests {
    @Test func databasesHoldingACollectionAreThoseWithDocumentsInIt() async throws {
        try await withStore { store in
            let other = DatabaseID(project: "other", database: "(default)")
            let empty = DatabaseID(project: "emptied", database: "(default)")
            try await put(store, doc("customers/1", [:]))
            try await put(store, doc("customers/2", [:]), database: other)
            try await put(store, doc("customers/3", [:]), database: empty)
            try await remove(store, "customers/3", database: empty)
            try await put(store, doc("orders/1", [:], time: 2), doc("x/y/customers/4", [:], time: 2),
                          database: DatabaseID(project: "no-customers", database: "(default)"))
            let found = try await store.read { try $0.databases(holding: path("customers")) }
            #expect(Set(found) == [testDB, other])
        }
    }
}
