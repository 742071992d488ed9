import FlintCore
import Foundation
import FlintProto
import SwiftProtobuf

/// The query parameters of one REST call, names normalised to lowerCamelCase per dotted part,
/// with Google's system parameters (`alt`, `$alt`, `key`, …) set aside.
struct QueryParameters {
    private var values: [String: [String]] = [:]
    private(set) var enumsAsInts = false

    static let system: Set<String> = [
        "alt", "$alt", "key", "$key", "prettyPrint", "$prettyPrint", "fields", "$fields", "quotaUser",
        "$quotaUser", "callback", "$callback", "$.xgafv", "access_token", "uploadType", "upload_protocol",
    ]

    init(_ pairs: [(name: String, value: String)]) {
        for (name, value) in pairs {
            if Self.system.contains(name) {
                // `$alt=json;enum-encoding=int` asks for enums as numbers.
                if name.hasSuffix("alt"), value.contains("enum-encoding=int") { enumsAsInts = true }
                continue
            }
            values[Self.normalise(name), default: []].append(value)
        }
    }

    static func normalise(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { part -> String in
            var out = ""
            var upper = false
            for ch in part {
                if ch == "_" {
                    upper = true
                } else {
                    out.append(upper ? Character(ch.uppercased()) : ch)
                    upper = false
                }
            }
            return out
        }.joined(separator: ".")
    }

    /// Rejects any parameter the method does not take.
    func only(_ allowed: Set<String>) throws {
        for name in values.keys where !allowed.contains(name) {
            throw FirestoreError.invalidArgument("Unknown query parameter \"\(name)\" for this method.")
        }
    }

    func all(_ name: String) -> [String] { values[name] ?? [] }
    func string(_ name: String) -> String? { values[name]?.last }

    func bool(_ name: String) throws -> Bool? {
        guard let v = string(name) else { return nil }
        switch v.lowercased() {
        case "true", "1": return true
        case "false", "0": return false
        default: throw FirestoreError.invalidArgument("Query parameter \"\(name)\" must be true or false, not \"\(v)\".")
        }
    }

    func int32(_ name: String) throws -> Int32? {
        guard let v = string(name) else { return nil }
        guard let n = Int32(v) else { throw FirestoreError.invalidArgument("Query parameter \"\(name)\" must be an integer, not \"\(v)\".") }
        return n
    }

    func timestamp(_ name: String) throws -> Google_Protobuf_Timestamp? {
        guard let v = string(name) else { return nil }
        do {
            return try Google_Protobuf_Timestamp(jsonString: "\"\(v)\"")
        } catch {
            throw FirestoreError.invalidArgument("Query parameter \"\(name)\" must be an RFC 3339 timestamp, not \"\(v)\".")
        }
    }

    func bytes(_ name: String) throws -> Data? {
        guard let v = string(name) else { return nil }
        var standard = v.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        guard let data = Data(base64Encoded: standard) else {
            throw FirestoreError.invalidArgument("Query parameter \"\(name)\" must be base64, not \"\(v)\".")
        }
        return data
    }

    /// A DocumentMask from repeated `<prefix>.fieldPaths` parameters, or nil when none were given.
    func mask(_ prefix: String) -> Google_Firestore_V1_DocumentMask? {
        let paths = all(prefix + ".fieldPaths")
        return paths.isEmpty ? nil : .with { $0.fieldPaths = paths }
    }
}
