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

    /// Splits on the UTF-8 bytes: the separators are ASCII, and splitting the `String` itself would
    /// walk it Character by Character, which cost about 5 % of a REST write.
    init(rawTarget: String, allowVerb: Bool) throws {
        let bytes = Array(rawTarget.utf8)
        let end = bytes.firstIndex(of: UInt8(ascii: "#")) ?? bytes.count
        let question = bytes[..<end].firstIndex(of: UInt8(ascii: "?"))
        var rawSegments = bytes[..<(question ?? end)].split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if rawSegments.first?.isEmpty == true { rawSegments.removeFirst() }
        verb = nil
        if allowVerb, let last = rawSegments.last, let colon = last.lastIndex(of: UInt8(ascii: ":")) {
            let candidate = Self.text(last[(colon + 1)...])
            if Self.verbs.contains(candidate) {
                verb = candidate
                rawSegments[rawSegments.count - 1] = last[..<colon]
            }
        }
        segments = []
        segments.reserveCapacity(rawSegments.count)
        for raw in rawSegments {
            guard let decoded = Self.percentDecoded(bytes: raw) else {
                throw FirestoreError.invalidArgument(
                    "The URL path segment \"\(Self.text(raw))\" has an invalid percent-encoding.")
            }
            segments.append(decoded)
        }
        query = try Self.parseQuery(question.map { bytes[($0 + 1)..<end] } ?? [])
    }

    /// The path of a target: what comes before its query and fragment (for messages).
    static func pathPart(_ target: String) -> String {
        let bytes = Array(target.utf8)
        return text(bytes[..<(bytes.firstIndex { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? bytes.count)])
    }

    /// Bytes of the target (valid UTF-8 cut at ASCII separators) as text.
    static func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

    /// Strict percent-decoding of bytes of a target (and, in a query string, `+` read as a space):
    /// nil unless every `%` has two hex digits and the result is UTF-8.
    static func percentDecoded(bytes: ArraySlice<UInt8>, plusIsSpace: Bool = false) -> String? {
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) else {
            return text(bytes)
        }
        return decoded(bytes, plusIsSpace: plusIsSpace)
    }

    private static func decoded(_ source: ArraySlice<UInt8>, plusIsSpace: Bool) -> String? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(source.count)
        var iterator = source.makeIterator()
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

    static func parseQuery(_ raw: ArraySlice<UInt8>) throws -> [(name: String, value: String)] {
        var out: [(String, String)] = []
        for pair in raw.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let parts = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: ArraySlice<UInt8>) throws -> String {
                guard let d = percentDecoded(bytes: s, plusIsSpace: true) else {
                    throw FirestoreError.invalidArgument(
                        "The query parameter \"\(text(pair))\" has an invalid percent-encoding.")
                }
                return d
            }
            out.append((try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : ""))
        }
        return out
    }
}
