import FlintProto
import Foundation
import Synchronization

/// Who a request speaks for, read from its `Authorization` header once, the same way by every
/// transport.
public enum Authorization: Sendable, Equatable {
    /// No credentials.
    case unauthenticated
    /// `Bearer owner`, which the Admin SDKs and firebase-tools send to an emulator, and Flint's own
    /// work (trigger handlers, the engine): may use admin-only operations.
    case admin
    /// An end user, from the token a client SDK sends (an emulator accepts unsigned JWTs).
    case user(UserToken)

    /// Parses an `Authorization` header value; a malformed one is refused, as production does.
    public init(header: String?) throws(FirestoreError) {
        guard let header = header.map(Self.trimmed), !header.isEmpty else {
            self = .unauthenticated
            return
        }
        guard header.hasPrefix("Bearer ") else {
            throw .invalidArgument("The Authorization header must be \"Bearer TOKEN\".")
        }
        let token = String(header.dropFirst("Bearer ".count))
        if token == "owner" {
            self = .admin
            return
        }
        self = .user(try UserToken.parsed(token))
    }

    /// Without the spaces and tabs around it. By hand: Foundation's trimmingCharacters is slow on
    /// Linux, and every request's header passes here.
    private static func trimmed(_ s: String) -> Substring {
        let blank = { (c: Character) in c == " " || c == "\t" }
        guard let start = s.firstIndex(where: { !blank($0) }), let end = s.lastIndex(where: { !blank($0) }) else { return "" }
        return s[start...end]
    }

    /// Whether the caller may use admin-only operations.
    public var isAdmin: Bool { self == .admin }
}

/// An end user's ID token: the user's id and every claim, as Firestore values.
public struct UserToken: Sendable, Equatable {
    /// `sub` (or `user_id`).
    public var uid: String
    /// Every claim of the token's payload.
    public var claims: Fields

    public init(uid: String, claims: Fields) {
        self.uid = uid
        self.claims = claims
    }

    /// Reads the payload of a JWT without checking its signature (emulators take unsigned tokens).
    public init(jwt: String) throws(FirestoreError) {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, Self.base64URL(parts[0]) != nil, let payload = Self.base64URL(parts[1]),
            case .map(let claims)? = try? JSONDecoder().decode(Claim.self, from: payload)
        else { throw .invalidArgument("The Authorization token is not a valid JWT (header.payload.signature).") }
        guard let uid = (claims["sub"] ?? claims["user_id"])?.stringIfSet, !uid.isEmpty else {
            throw .invalidArgument("The Authorization token has no \"sub\" claim naming the user.")
        }
        self.uid = uid
        self.claims = claims.mapValues(\.value)
    }

    /// `init(jwt:)` remembered: a client sends the same token with every request until it refreshes
    /// it, and reading one (base64 and JSON) costs more than judging most requests. The reading
    /// depends on the token's text alone (an emulator checks no signature or expiry), so a remembered
    /// answer is always the answer; the memory is bounded and starts over when full.
    public static func parsed(_ jwt: String) throws(FirestoreError) -> UserToken {
        if let known = recent.withLock({ $0[jwt] }) { return known }
        let token = try UserToken(jwt: jwt)
        recent.withLock { recent in
            if recent.count >= recentLimit { recent.removeAll(keepingCapacity: true) }
            recent[jwt] = token
        }
        return token
    }

    private static let recentLimit = 4_096
    private static let recent = Mutex<[String: UserToken]>([:])

    private static func base64URL(_ part: Substring) -> Data? {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        s += String(repeating: "=", count: (4 - s.count % 4) % 4)
        return Data(base64Encoded: s)
    }

}

/// A JSON claim as a Firestore value: integral numbers become integers, objects maps.
private enum Claim: Decodable {
    case scalar(FirestoreValue)
    case map([String: Claim])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .scalar(.null)
        } else if let b = try? c.decode(Bool.self) {
            self = .scalar(.boolean(b))
        } else if let i = try? c.decode(Int64.self) {
            self = .scalar(.integer(i))
        } else if let d = try? c.decode(Double.self) {
            self = .scalar(.double(d))
        } else if let s = try? c.decode(String.self) {
            self = .scalar(.string(s))
        } else if let a = try? c.decode([Claim].self) {
            self = .scalar(.array(a.map(\.value)))
        } else {
            self = .map(try c.decode([String: Claim].self))
        }
    }

    var value: FirestoreValue {
        switch self {
        case .scalar(let v): return v
        case .map(let m): return .map(m.mapValues(\.value))
        }
    }

    var stringIfSet: String? {
        if case .scalar(let v) = self, case .stringValue(let s)? = v.valueType { return s }
        return nil
    }
}
