import FlintCore

/// A trigger's document pattern, e.g. `orders/{orderId}` or `users/{uid}/{rest=**}`: it matches
/// exactly one document path and extracts the wildcards' values as params.
public struct DocumentPattern: Sendable, Equatable, CustomStringConvertible {
    enum Segment: Sendable, Equatable {
        case literal(String)
        /// `{name}`: exactly one segment.
        case wildcard(String)
        /// `{name=**}`: any number of segments (at least one).
        case rest(String)
    }

    let segments: [Segment]
    public let description: String

    public init(_ pattern: String) throws(FirestoreError) {
        let trimmed = pattern.hasPrefix("/") ? String(pattern.dropFirst()) : pattern
        let parts = trimmed.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        func bad(_ why: String) -> FirestoreError { .invalidArgument("Invalid document pattern \"\(pattern)\": \(why).") }
        var segments: [Segment] = []
        for part in parts {
            if part.isEmpty { throw bad("it has an empty segment") }
            if part.hasPrefix("{") && part.hasSuffix("}") {
                let inner = String(part.dropFirst().dropLast())
                if inner.hasSuffix("=**") {
                    let name = String(inner.dropLast(3))
                    if name.isEmpty { throw bad("a wildcard needs a name") }
                    segments.append(.rest(name))
                } else {
                    if inner.isEmpty || inner.contains("=") { throw bad("wildcards are {name} or {name=**}") }
                    segments.append(.wildcard(inner))
                }
            } else {
                if part.contains("{") || part.contains("}") { throw bad("a wildcard must be a whole segment") }
                segments.append(.literal(part))
            }
        }
        let rests = segments.filter { if case .rest = $0 { return true } else { return false } }.count
        if rests > 1 { throw bad("at most one {name=**} wildcard is allowed") }
        if rests == 0 && segments.count % 2 != 0 { throw bad("it names a collection, not a document") }
        var names = Set<String>()
        for case .wildcard(let n) in segments where !names.insert(n).inserted { throw bad("wildcard {\(n)} appears twice") }
        for case .rest(let n) in segments where !names.insert(n).inserted { throw bad("wildcard {\(n)} appears twice") }
        self.segments = segments
        self.description = trimmed
    }

    /// The params if `path` (a document path) matches, else nil.
    public func match(_ path: ResourcePath) -> [String: String]? {
        guard path.isDocument else { return nil }
        var params: [String: String] = [:]
        return Self.match(segments[...], path.segments[...], &params) ? params : nil
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ path: ArraySlice<String>, _ params: inout [String: String])
        -> Bool
    {
        guard let first = pattern.first else { return path.isEmpty }
        switch first {
        case .literal(let s):
            guard let p = path.first, p.utf8.elementsEqual(s.utf8) else { return false }
            return match(pattern.dropFirst(), path.dropFirst(), &params)
        case .wildcard(let name):
            guard let p = path.first else { return false }
            params[name] = p
            return match(pattern.dropFirst(), path.dropFirst(), &params)
        case .rest(let name):
            // The rest wildcard takes what the segments after it leave over (at least one).
            let tail = pattern.count - 1
            let take = path.count - tail
            guard take >= 1 else { return false }
            params[name] = path.prefix(take).joined(separator: "/")
            return match(pattern.dropFirst(), path.dropFirst(take), &params)
        }
    }
}
