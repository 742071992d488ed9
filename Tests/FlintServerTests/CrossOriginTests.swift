import FlintServer
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Browsers' cross-origin checks, through the application's router.
@Suite("Cross-origin")
struct CrossOriginTests {
    static let origin = "http://localhost:5173"

    @Test func aPreflightIsAnsweredForAnyPathWithTheOriginAndTheHeadersAsked() async throws {
        try await withRouter { client in
            for uri in [
                "/v1/projects/p/databases/(default)/documents:commit", "/google.firestore.v1.Firestore/Listen/channel",
                "/emulator/v1/ready", "/no/such/route",
            ] {
                let response = try await client.execute(
                    uri: uri, method: .options,
                    headers: [
                        .origin: Self.origin, .accessControlRequestMethod: "POST",
                        .accessControlRequestHeaders: "authorization,x-goog-api-client,x-firebase-gmpid",
                    ])
                #expect(response.status == .ok, "\(uri)")
                #expect(response.headers[.accessControlAllowOrigin] == Self.origin)
                #expect(response.headers[.accessControlAllowHeaders] == "authorization,x-goog-api-client,x-firebase-gmpid")
                #expect(response.headers[.accessControlAllowMethods]?.contains("PATCH") == true)
                #expect(response.headers[.accessControlAllowCredentials] == "true")
            }
        }
    }

    @Test func errorsCarryTheOriginToo() async throws {
        try await withRouter { client in
            let missing = try await client.execute(
                uri: "/v1/projects/p/databases/(default)/documents/c/missing", method: .get,
                headers: [.origin: Self.origin])
            #expect(missing.status == .notFound)
            #expect(missing.headers[.accessControlAllowOrigin] == Self.origin)
            let bad = try await client.execute(
                uri: "/v1/projects/p/databases/(default)/documents:commit", method: .post,
                headers: [.origin: Self.origin], body: ByteBuffer(string: "{bad"))
            #expect(bad.status == .badRequest)
            #expect(bad.headers[.accessControlAllowOrigin] == Self.origin)
        }
    }

    @Test func requestsWithoutAnOriginGetNoCORSHeaders() async throws {
        try await withRouter { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.headers[.accessControlAllowOrigin] == nil)
        }
    }
}
