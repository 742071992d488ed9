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

    static let verbs: Set<String> = [
        "batchGet", "commit", "beginTransaction", "rollback", "runQuery", "runAggregationQuery",
        "partitionQuery", "listCollectionIds", "batchWrite", "listen", "write",
    ]

    init(rawTarget: String, allowVerb: Bool) throws(FirestoreError) {
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
            guard let decoded = raw.removingPercentEncoding else {
                throw .invalidArgument("The URL path segment \"\(raw)\" has an invalid percent-encoding.")
            }
            segments.append(decoded)
        }
        query = try Self.parseQuery(rawQuery)
    }

    static func splitTarget(_ target: String) -> (Substring, Substring) {
        let withoutFragment = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
        guard let q = withoutFragment.firstIndex(of: "?") else { return (withoutFragment, "") }
        return (withoutFragment[..<q], withoutFragment[withoutFragment.index(after: q)...])
    }

    static func parseQuery(_ raw: Substring) throws(FirestoreError) -> [(name: String, value: String)] {
        var out: [(String, String)] = []
        for pair in raw.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) throws(FirestoreError) -> String {
                guard let d = s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding else {
                    throw .invalidArgument("The query parameter \"\(pair)\" has an invalid percent-encoding.")
                }
                return d
            }
            out.append((try decode(parts[0]), parts.count > 1 ? try decode(parts[1]) : ""))
        }
        return out
    }
}
