/// A slash-separated path below a database's `documents` root: even length names a document,
/// odd length a collection, empty the root itself.
public struct ResourcePath: Hashable, Sendable, Comparable, CustomStringConvertible {
    public private(set) var segments: [String]

    public init(_ segments: [String]) { self.segments = segments }

    public static let root = ResourcePath([])

    public var isEmpty: Bool { segments.isEmpty }
    public var isDocument: Bool { !segments.isEmpty && segments.count % 2 == 0 }
    public var isCollection: Bool { segments.count % 2 == 1 }
    public var lastSegment: String { segments.last ?? "" }
    public var count: Int { segments.count }

    /// The path without its last segment (a document's collection, a collection's parent document).
    public var parent: ResourcePath { ResourcePath(Array(segments.dropLast())) }

    /// For a document, the collection id it lives in (its collection group).
    public var collectionID: String { segments.count >= 2 ? segments[segments.count - 2] : "" }

    public func appending(_ segment: String) -> ResourcePath { ResourcePath(segments + [segment]) }
    public func appending(_ other: ResourcePath) -> ResourcePath { ResourcePath(segments + other.segments) }

    public func isPrefix(of other: ResourcePath) -> Bool {
        other.segments.count >= segments.count && other.segments.starts(with: segments)
    }

    public var description: String { segments.joined(separator: "/") }

    // Ids are byte strings: Swift's String equality (canonical equivalence) would merge
    // "é" and "e\u{301}", which Firestore keeps apart.
    public static func == (a: ResourcePath, b: ResourcePath) -> Bool {
        a.segments.count == b.segments.count && zip(a.segments, b.segments).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    public func hash(into hasher: inout Hasher) {
        for s in segments {
            hasher.combine(utf8: s)
        }
    }

    /// Segment by segment, each by UTF-8 bytes, shorter first on a tie: Firestore's key order.
    public static func < (lhs: ResourcePath, rhs: ResourcePath) -> Bool {
        for (a, b) in zip(lhs.segments, rhs.segments) where !a.utf8.elementsEqual(b.utf8) {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return lhs.segments.count < rhs.segments.count
    }
}

extension ResourcePath {
    /// Splits `a/b/c` into segments, rejecting empty segments.
    public static func parse(_ string: String, context: @autoclosure () -> String) throws(FirestoreError) -> ResourcePath {
        if string.isEmpty { return .root }
        let parts = string.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        if parts.contains(where: \.isEmpty) {
            throw .invalidArgument("Invalid path \"\(context())\": it contains an empty segment.")
        }
        return ResourcePath(parts)
    }
}
