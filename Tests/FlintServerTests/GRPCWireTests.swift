import FlintGRPC
import FlintProto
import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Testing

@Suite("gRPC on the shared port")
struct GRPCWireTests {
    @Test func http2PrefaceIsServedAsGRPCOnTheRESTPort() async throws {
        try await TestServer.with { server in
            try await withGRPCClient(
                transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: server.port), transportSecurity: .plaintext)
            ) { client in
                let firestore = Google_Firestore_V1_Firestore.Client(wrapping: client)
                var commit = Google_Firestore_V1_CommitRequest()
                commit.database = "projects/g/databases/(default)"
                var write = Google_Firestore_V1_Write()
                write.update.name = name("g", "c/d")
                write.update.fields["n"] = .with { $0.integerValue = 7 }
                commit.writes = [write]
                let committed = try await firestore.commit(commit)
                #expect(committed.writeResults.count == 1)

                var get = Google_Firestore_V1_GetDocumentRequest()
                get.name = name("g", "c/d")
                let doc = try await firestore.getDocument(get)
                #expect(doc.fields["n"]?.integerValue == 7)
            }
            // The same port still speaks HTTP/1.1 REST afterwards.
            let rest = try await server.send(.GET, docs("g") + "/c/d")
            #expect(rest.status == 200)
        }
    }

    @Test func grpcErrorsCarryTheFirestoreCode() async throws {
        try await TestServer.with { server in
            try await withGRPCClient(
                transport: .http2NIOPosix(target: .ipv4(address: "127.0.0.1", port: server.port), transportSecurity: .plaintext)
            ) { client in
                let firestore = Google_Firestore_V1_Firestore.Client(wrapping: client)
                var get = Google_Firestore_V1_GetDocumentRequest()
                get.name = name("g", "c/missing")
                await #expect(throws: RPCError.self) { _ = try await firestore.getDocument(get) }
                do {
                    _ = try await firestore.getDocument(get)
                } catch let error as RPCError {
                    #expect(error.code == .notFound)
                }
            }
        }
    }

    @Test func writeStreamHandshakesThenCommitsOnTheSharedPort() async throws {
        try await TestServer.with { server in
            try await server.withFirestore { firestore in
                let (outgoing, continuation) = AsyncStream.makeStream(of: Google_Firestore_V1_WriteRequest.self)
                continuation.yield(.with { $0.database = "projects/l/databases/(default)" })
                let request = StreamingClientRequest<Google_Firestore_V1_WriteRequest>(producer: { writer in
                    for await message in outgoing { try await writer.write(message) }
                })
                let answers = try await firestore.write(request: request) { response in
                    var answers: [Google_Firestore_V1_WriteResponse] = []
                    for try await answer in response.messages {
                        answers.append(answer)
                        if answers.count == 1 {
                            continuation.yield(.with {
                                $0.streamToken = answer.streamToken
                                $0.writes = [.with {
                                    $0.update = .with {
                                        $0.name = "projects/l/databases/(default)/documents/w/d"
                                        $0.fields = ["n": .with { $0.integerValue = 1 }]
                                    }
                                }]
                            })
                        } else {
                            continuation.finish()
                        }
                    }
                    return answers
                }
                #expect(answers.count == 2)
                #expect(!answers[0].streamID.isEmpty)
                #expect(!answers[0].streamToken.isEmpty)
                #expect(answers[0].writeResults.isEmpty)
                #expect(answers[1].writeResults.count == 1)
                #expect(answers[1].hasCommitTime)
                let stored = try await firestore.getDocument(.with { $0.name = "projects/l/databases/(default)/documents/w/d" })
                #expect(stored.fields["n"]?.integerValue == 1)
            }
        }
    }

    @Test func grpcAndRESTAnswerTheSameCodesAndMessages() async throws {
        try await TestServer.with { server in
            func message(_ reply: TestServer.Reply) -> String? { (reply.object["error"] as? [String: Any])?["message"] as? String }
            let missing = try await server.send(.GET, docs("g") + "/c/missing")
            let denied = try await server.send(.POST, docs("g") + ":listCollectionIds", body: "{}")
            let (missingMessage, deniedMessage) = (message(missing), message(denied))
            try await server.withFirestore { firestore in
                let notFound = await #expect(throws: RPCError.self) {
                    _ = try await firestore.getDocument(.with { $0.name = name("g", "c/missing") })
                }
                #expect(notFound?.code == .notFound && missing.status == 404 && missingMessage != nil)
                #expect(notFound?.message == missingMessage)

                let request = Google_Firestore_V1_ListCollectionIdsRequest.with {
                    $0.parent = "projects/g/databases/(default)/documents"
                }
                let permission = await #expect(throws: RPCError.self) { _ = try await firestore.listCollectionIds(request) }
                #expect(permission?.code == .permissionDenied && denied.status == 403 && deniedMessage != nil)
                #expect(permission?.message == deniedMessage)
                // What every SDK sends to an emulator: the owner token and the resource prefix.
                let owner: Metadata = [
                    "authorization": "Bearer owner", "google-cloud-resource-prefix": "projects/g/databases/(default)",
                ]
                let listed = try await firestore.listCollectionIds(request, metadata: owner)
                #expect(listed.collectionIds == [])
            }
        }
    }
}
