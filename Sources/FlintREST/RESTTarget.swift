import FlintCore
import Foundation

/// A request target split into decoded path segments, an optional `:verb` and query parameters.
///
/// Paths are percent-decoded once per segment and `+` stays literal; query strings use form
/// decoding (`+` is a space). Both the escaped spelling the GAPIC client sends and the raw one
/// the discovery client sends arrive at the same segments.
struct RESTTarget {
    var segments: [String]
    var verb: String?
    var query: [(name: String, value: String)]

    /// The query parameters by name (the last one wins), for the emulator's own endpoints.
    var queryValues: [String: String] {
        Dictionary(query.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
    }

    static let verbs: Set<String> = [
        "batchGet", "commit", "beginTransaction", "rollback", "runQuery", "runAggregationQuery",
        "partitionQuery", "listCollectionIds", "batchWrite", "listen", "write",
    ]

    init(rawTarget: String, allowVerb: Bool) throws {
        let (rawPath, rawQuery) = Self.splitTarget(rawTarget)
        var rawSegments = rawPath.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        if rawSegments.first == "" { rawSegments.removeFirst() }
        verb = nil
        if allowVerb, let last = rawSegments.last, let colon = last.lastIndex(of: ":") {
            let candidate = String(last[last.index(after: colon)...])
            if Self.verbs.contains(candidate) {
                verb = candidate
                rawSegments[rawSegments.count - 1] = String(last[..<colon])
            }
        }
        segments = []
        for raw in rawSegments {
            guard let decoded = Self.percentDecoded(raw) else {
                throw FirestoreError.invalidArgument("The URL path segment \"\(raw)\" has an invalid percent-encoding.")
            }
            segments.append(decoded)
        }
        query = try Self.parseQuery(rawQuery)
    }

    /// Strict percent-decoding of `s` (and, in a query string, `+` read as a space): nil unless
    /// every `%` has two hex digits and the bytes are UTF-8. Works on the UTF-8 bytes: Foundation's string search
    /// is slow on Linux and this runs for every request.
    static func percentDecoded<S: StringProtocol>(_ s: S, plusIsSpace: Bool = false) -> String? {
        guard s.utf8.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return String(s)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(s.utf8.count)
        var iterator = s.utf8.makeIterator()
        func hex(_ c: UInt8?) -> UInt8? {
            switch c {
            case let c? where c >= 48 && c <= 57: c - 48
            case let c? where c >= 65 && c <= 70: c - 55
            case let c? where c >= 97 && c <= 102: c - 87
            default: nil
            }
        }
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(plusIsSpace && byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    static func splitTarget(_ target: String) -> (Substring, Substring) {
        let withoutFragment = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let q = withoutFragment.firstIndex(of: "?") else { return (withoutFragment, "") }
        return (withoutFragment[..<q], withoutFragment[withoutFragment.index(after: q)...])
    }

    static func parseQuery(_ raw: Substring) throws -> [(name: String, value: String)] {
        var out: [(String, String)] = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws -> String {
                guard let d = percentDecoded(s, plusIsSpace: true) else {
                    throw FirestoreError.invalidArgument("The query parameter \"\(pair)\" has an invalid percent-encoding.")
                }
                return d
            }
            out.append((try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : ""))
        }
        return out
    }
}
