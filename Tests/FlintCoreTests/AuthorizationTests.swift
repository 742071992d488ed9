import FlintCore
import FlintTesting
import Foundation
import Testing

@Suite("Authorization")
struct AuthorizationTests {
    func jwt(_ payload: String, header: String = #"{"alg":"none","typ":"JWT"}"#) -> String {
        func part(_ s: String) -> String {
            Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        return "\(part(header)).\(part(payload))."
    }

    @Test func noHeaderIsUnauthenticatedAndOwnerIsAdmin() throws {
        #expect(try Authorization(header: nil) == .unauthenticated)
        #expect(try Authorization(header: "") == .unauthenticated)
        #expect(try Authorization(header: "Bearer owner") == .admin)
        #expect(try Authorization(header: " Bearer owner ").isAdmin)
    }

    @Test func aMockUserTokenCarriesTheUserAndEveryClaim() throws {
        let header = "Bearer " + jwt(#"{"sub":"alice","admin":true,"n":3,"r":1.5,"phone":"+91","roles":["a"],"m":{"k":null}}"#)
        guard case .user(let token) = try Authorization(header: header) else {
            Issue.record("expected a user")
            return
        }
        #expect(token.uid == "alice")
        #expect(token.claims["admin"] == .boolean(true))
        #expect(token.claims["n"] == .integer(3))
        #expect(token.claims["r"] == .double(1.5))
        #expect(token.claims["roles"] == .array([.string("a")]))
        #expect(token.claims["m"] == .map(["k": .null]))
        #expect(try Authorization(header: "Bearer " + jwt(#"{"user_id":"bob"}"#)) == .user(
            UserToken(uid: "bob", claims: ["user_id": .string("bob")])))
    }

    @Test func aTokenSeenAgainReadsTheSameAndOthersStayApart() throws {
        let alice = "Bearer " + jwt(#"{"sub":"alice-again"}"#), bob = "Bearer " + jwt(#"{"sub":"bob-again"}"#)
        for _ in 0..<3 {
            #expect(try Authorization(header: alice) == .user(UserToken(uid: "alice-again", claims: ["sub": .string("alice-again")])))
            #expect(try Authorization(header: "\t" + bob + " ") == .user(UserToken(uid: "bob-again", claims: ["sub": .string("bob-again")])))
            _ = expectFirestoreError(.invalidArgument) { _ = try Authorization(header: "Bearer " + jwt(#"{"admin":true}"#)) }
        }
    }

    @Test func malformedHeadersAreRefusedNamingWhatIsWrong() {
        let cases = [
            ("Basic abc", "Bearer TOKEN"), ("Bearer  owner", "not a valid JWT"), ("Bearer garbage", "not a valid JWT"),
            ("Bearer a.b.c", "not a valid JWT"), ("Bearer " + jwt(#"{"admin":true}"#), "no \"sub\""),
            ("Bearer " + jwt("[1]"), "not a valid JWT"),
        ]
        for (header, expected) in cases {
            let error = expectFirestoreError(.invalidArgument) { _ = try Authorization(header: header) }
            #expect(error?.message.contains(expected) == true, "\(header): \(error?.message ?? "")")
        }
    }
}
