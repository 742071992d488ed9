/// What a request touches, as rules match it: a document, or any document of a collection or
/// collection group (a list, judged for every document the query could return).
public struct RulesTarget: Sendable, CustomStringConvertible {
    enum Segment: Sendable {
        case known(String)
        /// A document id the request leaves open.
        case any
    }

    public let database: String
    var prefix: [Segment]
    /// A collection group query: any number of unknown segments sit between prefix and suffix.
    var unknownMiddle: Bool
    var suffix: [Segment]
    /// The path below `documents` as the request names it (`customers/123`, or `orders` for a list).
    public let relativePath: String

    public static func document(database: String, path: [String]) -> RulesTarget {
        RulesTarget(
            database: database, prefix: (["databases", database, "documents"] + path).map(Segment.known),
            unknownMiddle: false, suffix: [], relativePath: path.joined(separator: "/"))
    }

    /// Every document of the collection `path` (segments below `documents`).
    public static func collection(database: String, path: [String]) -> RulesTarget {
        RulesTarget(
            database: database, prefix: (["databases", database, "documents"] + path).map(Segment.known) + [.any],
            unknownMiddle: false, suffix: [], relativePath: path.joined(separator: "/"))
    }

    /// Every document of the collection group `collectionID` below `parent`.
    public static func collectionGroup(database: String, parent: [String], collectionID: String) -> RulesTarget {
        RulesTarget(
            database: database, prefix: (["databases", database, "documents"] + parent).map(Segment.known),
            unknownMiddle: true, suffix: [.known(collectionID), .any],
            relativePath: (parent + [collectionID]).joined(separator: "/"))
    }

    public var description: String { relativePath }

    /// `request.path`: the document's full path; for a list, the collection's.
    var pathValue: RuleValue {
        var segs: [String] = []
        for s in prefix + (unknownMiddle ? [] : suffix) {
            if case .known(let k) = s { segs.append(k) }
        }
        if unknownMiddle, case .known(let group)? = suffix.first { segs.append(group) }
        return .path(segs)
    }

    /// Whether `pattern` matches, and the variables it binds (an open segment binds nothing).
    func match(_ pattern: [PatternSegment]) -> [(String, RuleValue)]? {
        guard let restIndex = pattern.firstIndex(where: { if case .rest = $0 { true } else { false } }) else {
            guard !unknownMiddle, suffix.isEmpty, pattern.count == prefix.count else { return nil }
            var bound: [(String, RuleValue)] = []
            for (p, s) in zip(pattern, prefix) {
                guard Self.segment(p, s, into: &bound) else { return nil }
            }
            return bound
        }
        guard case .rest(let restName) = pattern[restIndex] else { return nil }
        let head = pattern[..<restIndex], tail = pattern[(restIndex + 1)...]
        var bound: [(String, RuleValue)] = []
        if !unknownMiddle {
            let all = prefix + suffix
            guard all.count >= head.count + tail.count else { return nil }
            for (p, s) in zip(head, all) {
                guard Self.segment(p, s, into: &bound) else { return nil }
            }
            for (p, s) in zip(tail, all[(all.count - tail.count)...]) {
                guard Self.segment(p, s, into: &bound) else { return nil }
            }
            var middle: [String] = []
            for s in all[head.count..<(all.count - tail.count)] {
                guard case .known(let k) = s else { return bound }  // an open id: the variable stays unbound
                middle.append(k)
            }
            bound.append((restName, .path(middle)))
            return bound
        }
        guard head.count <= prefix.count, tail.count <= suffix.count else { return nil }
        for (p, s) in zip(head, prefix) {
            guard Self.segment(p, s, into: &bound) else { return nil }
        }
        for (p, s) in zip(tail, suffix[(suffix.count - tail.count)...]) {
            guard Self.segment(p, s, into: &bound) else { return nil }
        }
        return bound
    }

    static func segment(_ p: PatternSegment, _ s: Segment, into bound: inout [(String, RuleValue)]) -> Bool {
        switch (p, s) {
        case (.literal(let l), .known(let k)): return l.utf8.elementsEqual(k.utf8)
        case (.literal, .any): return false
        case (.single(let name), .known(let k)):
            bound.append((name, .string(k)))
            return true
        case (.single, .any): return true
        case (.rest, _): return false
        }
    }
}
