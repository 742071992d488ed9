/// A path to a field inside a document: `a.b.c`, with back-quoted segments for other characters.
public struct FieldPath: Hashable, Sendable, Comparable, CustomStringConvertible {
    public private(set) var segments: [String]

    public init(_ segments: [String]) { self.segments = segments }

    public static let maxBytes = 1500
    /// The special path naming a document's key.
    public static let documentKey = FieldPath(["__name__"])

    public var isDocumentKey: Bool { segments == ["__name__"] }
    public var first: String { segments.first ?? "" }
    public var count: Int { segments.count }
    public var parent: FieldPath { FieldPath(Array(segments.dropLast())) }

    public func isPrefix(of other: FieldPath) -> Bool {
        other.segments.count >= segments.count && other.segments.starts(with: segments)
    }

    /// The canonical string form, quoting only the segments that need it.
    public var description: String { segments.map(Self.quoteIfNeeded).joined(separator: ".") }

    public static func == (a: FieldPath, b: FieldPath) -> Bool {
        a.segments.count == b.segments.count && zip(a.segments, b.segments).allSatisfy { $0.utf8.elementsEqual($1.utf8) }
    }

    public func hash(into hasher: inout Hasher) {
        for s in segments {
            hasher.combine(utf8: s)
        }
    }

    public static func < (lhs: FieldPath, rhs: FieldPath) -> Bool {
        for (a, b) in zip(lhs.segments, rhs.segments) where !a.utf8.elementsEqual(b.utf8) {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return lhs.segments.count < rhs.segments.count
    }

    static func isSimple(_ segment: String) -> Bool {
        guard let first = segment.utf8.first else { return false }
        func letter(_ c: UInt8) -> Bool { (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 }
        return letter(first) && segment.utf8.allSatisfy { letter($0) || ($0 >= 48 && $0 <= 57) }
    }

    public static func quoteIfNeeded(_ segment: String) -> String {
        if isSimple(segment) { return segment }
        var out = "`"
        for scalar in segment.unicodeScalars {
            if scalar == "`" || scalar == "\\" { out.unicodeScalars.append("\\") }
            out.unicodeScalars.append(scalar)
        }
        return out + "`"
    }
}

extension FieldPath {
    /// Parses a field path as the API spells it: dot-separated, simple segments bare, others back-quoted.
    public init(parsing string: String) throws(FirestoreError) {
        // The official emulator's texts (clients and tests compare them).
        func bad(_ why: String) -> FirestoreError {
            .invalidArgument(
                "Invalid property path \"\(string)\". Unquoted property paths must match regex ([a-zA-Z_][a-zA-Z_0-9]*), and quoted property paths must match regex (`(?:[^`\\\\]|(?:\\\\.))+`)"
            )
        }
        if string.isEmpty { throw .invalidArgument("Invalid empty property path string.") }
        if string.utf8.count > Self.maxBytes {
            throw .invalidArgument("Invalid property path \"\(string.prefix(64))…\": it is longer than \(Self.maxBytes) bytes.")
        }
        var segments: [String] = []
        // Scalars, not Characters: a back-quote or dot followed by a combining mark is still a delimiter.
        var chars = Array(string.unicodeScalars)[...]
        while true {
            var segment = ""
            if chars.first == "`" {
                chars = chars.dropFirst()
                var closed = false
                while let ch = chars.popFirst() {
                    if ch == "\\" {
                        guard let next = chars.popFirst() else { throw bad("it ends with an unfinished escape") }
                        segment.unicodeScalars.append(next)
                    } else if ch == "`" {
                        closed = true
                        break
                    } else {
                        segment.unicodeScalars.append(ch)
                    }
                }
                if !closed { throw bad("a back-quote is not closed") }
                if let next = chars.first, next != "." { throw bad("characters follow a closing back-quote") }
            } else {
                while let ch = chars.first, ch != "." {
                    segment.unicodeScalars.append(ch)
                    chars = chars.dropFirst()
                }
                if !segment.isEmpty && !Self.isSimple(segment) {
                    throw bad("segment \"\(segment)\" must be back-quoted (only [a-zA-Z_][a-zA-Z_0-9]* may stand bare)")
                }
            }
            if segment.isEmpty { throw bad("it has an empty segment") }
            segments.append(segment)
            guard chars.popFirst() != nil else { break }  // consumed a "."
            if chars.isEmpty { throw bad("it has an empty segment") }
        }
        self.segments = segments
    }

    /// A field name used directly as a map key (document fields), which needs no quoting.
    public init(fieldName: String) { self.segments = [fieldName] }
}
