/// A place in a rules source: 1-based line and column, and the UTF-8 offset.
public struct SourcePosition: Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public var offset: Int
    public init(line: Int, column: Int, offset: Int) {
        self.line = line
        self.column = column
        self.offset = offset
    }
    public var description: String { "L\(line):\(column)" }
}

/// A syntax error, with where it was found.
public struct RulesSyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
    public var position: SourcePosition
    public var message: String
    public init(_ message: String, at position: SourcePosition) {
        self.message = message
        self.position = position
    }
    /// `L5:38 message`, the form the official emulator reports compile errors in.
    public var description: String { "\(position) \(message)" }
}

enum TokenKind: Equatable, Sendable {
    case identifier(String)
    case int(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case punct(String)
    case end
}

struct Token: Sendable {
    var kind: TokenKind
    var start: SourcePosition
    var end: Int

    var text: String {
        switch kind {
        case .identifier(let s): s
        case .int(let i): String(i)
        case .float(let d): String(d)
        case .string(let s): "'\(s)'"
        case .bytes: "bytes"
        case .punct(let p): p
        case .end: "end of input"
        }
    }
}

/// Reads tokens on demand, so the parser can switch to reading a path (`/a/{b}/$(c)`) where one starts.
public struct RulesLexer {
    let bytes: [UInt8]
    private(set) var offset = 0
    private(set) var line = 1
    private(set) var lineStart = 0

    init(_ source: String) { bytes = Array(source.utf8) }

    var position: SourcePosition { SourcePosition(line: line, column: offset - lineStart + 1, offset: offset) }

    func peekByte(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    mutating func advance() {
        if bytes[offset] == UInt8(ascii: "\n") {
            line += 1
            lineStart = offset + 1
        }
        offset += 1
    }

    /// Moves back to a position read before (only ever within the current line or earlier tokens).
    mutating func reset(to p: SourcePosition) {
        offset = p.offset
        line = p.line
        lineStart = p.offset - (p.column - 1)
    }

    mutating func skipTrivia() {
        while let c = peekByte() {
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D {
                advance()
            } else if c == UInt8(ascii: "/"), peekByte(1) == UInt8(ascii: "/") {
                while let d = peekByte(), d != 0x0A { advance() }
            } else if c == UInt8(ascii: "/"), peekByte(1) == UInt8(ascii: "*") {
                advance()
                advance()
                while let d = peekByte(), !(d == UInt8(ascii: "*") && peekByte(1) == UInt8(ascii: "/")) {
                    _ = d
                    advance()
                }
                if peekByte() != nil {
                    advance()
                    advance()
                }
            } else {
                return
            }
        }
    }

    static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_")
    }
    public static func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || (c >= 0x30 && c <= 0x39) }
    static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private static let twoCharPuncts: Set<String> = ["==", "!=", "<=", ">=", "&&", "||", "++", "--"]

    mutating func next() throws(RulesSyntaxError) -> Token {
        skipTrivia()
        let start = position
        guard let c = peekByte() else { return Token(kind: .end, start: start, end: offset) }
        if (c == UInt8(ascii: "b") || c == UInt8(ascii: "r")),
            let q = peekByte(1), q == UInt8(ascii: "'") || q == UInt8(ascii: "\"")
        {
            advance()
            let raw = c == UInt8(ascii: "r")
            let s = try readString(start: start, raw: raw)
            return Token(kind: raw ? .string(String(decoding: s, as: UTF8.self)) : .bytes(s), start: start, end: offset)
        }
        if Self.isIdentStart(c) {
            while let d = peekByte(), Self.isIdentPart(d) { advance() }
            let word = String(decoding: bytes[start.offset..<offset], as: UTF8.self)
            return Token(kind: .identifier(word), start: start, end: offset)
        }
        if Self.isDigit(c) || (c == UInt8(ascii: ".") && peekByte(1).map(Self.isDigit) == true) {
            return try readNumber(start: start)
        }
        if c == UInt8(ascii: "'") || c == UInt8(ascii: "\"") {
            let s = try readString(start: start, raw: false)
            return Token(kind: .string(String(decoding: s, as: UTF8.self)), start: start, end: offset)
        }
        if let d = peekByte(1) {
            let two = String(decoding: [c, d], as: UTF8.self)
            if Self.twoCharPuncts.contains(two) {
                advance()
                advance()
                return Token(kind: .punct(two), start: start, end: offset)
            }
        }
        let singles = "{}()[];,.:?=<>!+-*/%$"
        guard singles.utf8.contains(c) else {
            throw RulesSyntaxError("Unexpected character '\(Character(Unicode.Scalar(c)))'.", at: start)
        }
        advance()
        return Token(kind: .punct(String(Character(Unicode.Scalar(c)))), start: start, end: offset)
    }

    private mutating func readNumber(start: SourcePosition) throws(RulesSyntaxError) -> Token {
        var isFloat = false
        while let d = peekByte(), Self.isDigit(d) { advance() }
        if peekByte() == UInt8(ascii: "."), let d = peekByte(1), Self.isDigit(d) {
            isFloat = true
            advance()
            while let d = peekByte(), Self.isDigit(d) { advance() }
        } else if peekByte() == UInt8(ascii: "."), peekByte(1).map(Self.isIdentStart) != true {
            // `1.` is a float too.
            isFloat = true
            advance()
        }
        if let e = peekByte(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            var ahead = 1
            if let s = peekByte(1), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { ahead = 2 }
            if let d = peekByte(ahead), Self.isDigit(d) {
                isFloat = true
                for _ in 0..<ahead { advance() }
                while let d = peekByte(), Self.isDigit(d) { advance() }
            }
        }
        let text = String(decoding: bytes[start.offset..<offset], as: UTF8.self)
        if isFloat {
            guard let d = Double(text) else { throw RulesSyntaxError("Invalid number '\(text)'.", at: start) }
            return Token(kind: .float(d), start: start, end: offset)
        }
        // 2^63 is only valid negated (the smallest integer); the parser negates it with wrapping.
        if text == "9223372036854775808" { return Token(kind: .int(.min), start: start, end: offset) }
        guard let i = Int64(text) else { throw RulesSyntaxError("Integer '\(text)' is out of range.", at: start) }
        return Token(kind: .int(i), start: start, end: offset)
    }

    private mutating func readString(start: SourcePosition, raw: Bool) throws(RulesSyntaxError) -> [UInt8] {
        let quote = bytes[offset]
        advance()
        var out: [UInt8] = []
        while true {
            guard let c = peekByte(), c != 0x0A else {
                throw RulesSyntaxError("Unterminated string literal.", at: start)
            }
            advance()
            if c == quote { return out }
            if c == UInt8(ascii: "\\") && !raw {
                guard let e = peekByte() else { throw RulesSyntaxError("Unterminated string literal.", at: start) }
                advance()
                switch e {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "x"):
                    let hex = [peekByte(), peekByte(1)].compactMap { $0 }
                    guard hex.count == 2, let v = UInt8(String(decoding: hex, as: UTF8.self), radix: 16) else {
                        throw RulesSyntaxError("Invalid \\x escape.", at: position)
                    }
                    advance()
                    advance()
                    out.append(v)
                case UInt8(ascii: "u"):
                    var hex: [UInt8] = []
                    while hex.count < 4, let d = peekByte() {
                        hex.append(d)
                        advance()
                    }
                    guard let v = UInt32(String(decoding: hex, as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(v)
                    else { throw RulesSyntaxError("Invalid \\u escape.", at: position) }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: out.append(e)
                }
            } else {
                out.append(c)
            }
        }
    }
}
