/// Parses `rules_version = '2'; service cloud.firestore { … }` into a `RulesFile`.
public struct RulesParser {
    var lexer: RulesLexer
    var token: Token
    var nextID = 0
    let source: String
    var warnings: [RulesSyntaxError] = []

    public static func parse(_ source: String) throws(RulesSyntaxError) -> RulesFile {
        var p = try RulesParser(source)
        return try p.file()
    }

    init(_ source: String) throws(RulesSyntaxError) {
        self.source = source
        lexer = RulesLexer(source)
        token = Token(kind: .end, start: lexer.position, end: 0)
        token = try lexer.next()
    }

    // MARK: tokens

    /// Moves past the current token, remembering where it ended (expressions' source text ends there).
    mutating func advance() throws(RulesSyntaxError) {
        lastEnd = token.end
        token = try lexer.next()
    }

    func isPunct(_ p: String) -> Bool { token.kind == .punct(p) }
    func isWord(_ w: String) -> Bool { token.kind == .identifier(w) }

    mutating func expect(_ p: String) throws(RulesSyntaxError) {
        guard isPunct(p) else { throw unexpected("'\(p)'") }
        try advance()
    }

    mutating func expectWord(_ w: String) throws(RulesSyntaxError) {
        guard isWord(w) else { throw unexpected("'\(w)'") }
        try advance()
    }

    mutating func identifier(_ what: String) throws(RulesSyntaxError) -> String {
        guard case .identifier(let s) = token.kind else { throw unexpected(what) }
        try advance()
        return s
    }

    func unexpected(_ expected: String) -> RulesSyntaxError {
        let found = token.kind == .end ? "end of input" : "'\(token.text)'"
        return RulesSyntaxError("Unexpected \(found), expected \(expected).", at: token.start)
    }

    func text(from start: SourcePosition, to end: Int) -> String {
        String(decoding: lexer.bytes[start.offset..<max(start.offset, end)], as: UTF8.self)
    }

    /// The end offset of the last token consumed.
    var lastEnd = 0

    mutating func consume() throws(RulesSyntaxError) { try advance() }

    // MARK: file structure

    mutating func file() throws(RulesSyntaxError) -> RulesFile {
        var version = "1"
        if isWord("rules_version") {
            try consume()
            try expect("=")
            guard case .string(let v) = token.kind else { throw unexpected("a version string") }
            guard v == "1" || v == "2" else {
                throw RulesSyntaxError("Unsupported rules_version '\(v)'; use '2'.", at: token.start)
            }
            version = v
            try consume()
            try expect(";")
        }
        try expectWord("service")
        var service = try identifier("a service name")
        while isPunct(".") {
            try consume()
            service += "." + (try identifier("a service name"))
        }
        guard service == "cloud.firestore" else {
            throw RulesSyntaxError("Only 'service cloud.firestore' is served here, not '\(service)'.", at: token.start)
        }
        try expect("{")
        var functions: [RuleFunction] = []
        var matches: [MatchBlock] = []
        while !isPunct("}") {
            if isWord("function") {
                functions.append(try function())
            } else if isWord("match") {
                matches.append(try match())
            } else {
                throw unexpected("'match' or 'function'")
            }
        }
        try consume()
        guard token.kind == .end else { throw unexpected("end of input") }
        return RulesFile(
            version: version, service: service, functions: functions, matches: matches, source: source,
            expressionCount: nextID, warnings: warnings + RulesFile.unknownFunctions(functions, matches))
    }

    mutating func match() throws(RulesSyntaxError) -> MatchBlock {
        let position = token.start
        // Read the pattern straight from the characters: segments may hold '-', '.', '(' and more.
        // The lexer stands right after the `match` keyword.
        lexer.skipTrivia()
        let pattern = try matchPattern()
        try advance()
        try expect("{")
        var allows: [AllowStatement] = []
        var functions: [RuleFunction] = []
        var children: [MatchBlock] = []
        while !isPunct("}") {
            if isWord("allow") {
                allows.append(try allow())
            } else if isWord("match") {
                children.append(try match())
            } else if isWord("function") {
                functions.append(try function())
            } else {
                throw unexpected("'allow', 'match' or 'function'")
            }
        }
        try consume()
        return MatchBlock(pattern: pattern, allows: allows, functions: functions, children: children, position: position)
    }

    mutating func matchPattern() throws(RulesSyntaxError) -> [PatternSegment] {
        var segments: [PatternSegment] = []
        guard lexer.peekByte() == UInt8(ascii: "/") else {
            throw RulesSyntaxError("Unexpected '\(lexer.peekByte().map { String(UnicodeScalar($0)) } ?? "end of input")', expected a path starting with '/'.", at: lexer.position)
        }
        while lexer.peekByte() == UInt8(ascii: "/") {
            lexer.advance()
            let start = lexer.position
            if lexer.peekByte() == UInt8(ascii: "{") {
                lexer.advance()
                var name: [UInt8] = []
                while let c = lexer.peekByte(), RulesLexer.isIdentPart(c) {
                    name.append(c)
                    lexer.advance()
                }
                guard !name.isEmpty else { throw RulesSyntaxError("Expected a variable name in '{…}'.", at: lexer.position) }
                var rest = false
                if lexer.peekByte() == UInt8(ascii: "=") {
                    lexer.advance()
                    guard lexer.peekByte() == UInt8(ascii: "*"), lexer.peekByte(1) == UInt8(ascii: "*") else {
                        throw RulesSyntaxError("Expected '**' after '=' in a path variable.", at: lexer.position)
                    }
                    lexer.advance()
                    lexer.advance()
                    rest = true
                }
                guard lexer.peekByte() == UInt8(ascii: "}") else {
                    throw RulesSyntaxError("Expected '}' to close the path variable.", at: lexer.position)
                }
                lexer.advance()
                let n = String(decoding: name, as: UTF8.self)
                segments.append(rest ? .rest(n) : .single(n))
            } else {
                var seg: [UInt8] = []
                while let c = lexer.peekByte(), Self.isPathChar(c) {
                    seg.append(c)
                    lexer.advance()
                }
                guard !seg.isEmpty else { throw RulesSyntaxError("Empty path segment.", at: start) }
                segments.append(.literal(String(decoding: seg, as: UTF8.self)))
            }
        }
        if segments.filter({ if case .rest = $0 { true } else { false } }).count > 1 {
            throw RulesSyntaxError("A match path may hold only one '{name=**}' variable.", at: lexer.position)
        }
        return segments
    }

    static func isPathChar(_ c: UInt8) -> Bool {
        if RulesLexer.isIdentPart(c) || c >= 0x80 { return true }
        return "-.~%@:+".utf8.contains(c)
    }

    mutating func allow() throws(RulesSyntaxError) -> AllowStatement {
        let start = token.start
        try consume()
        var names: [String] = []
        var methods = Set<RuleMethod>()
        repeat {
            if isPunct(",") { try consume() }
            let at = token.start
            let word = try identifier("a method (read, write, get, list, create, update, delete)")
            // An unknown method is a warning, as in production: the statement grants nothing for it.
            if let m = RuleMethod.named(word) {
                names.append(word)
                methods.formUnion(m)
            } else {
                warnings.append(RulesSyntaxError("Invalid method name: \(word).", at: at))
            }
        } while isPunct(",")
        var condition: RuleExpr?
        if isPunct(":") {
            try consume()
            try expectWord("if")
            condition = try expression()
        }
        guard isPunct(";") || isPunct("}") else { throw unexpected("';'") }
        if isPunct(";") { try consume() }
        return AllowStatement(
            methodNames: names, methods: methods, condition: condition, position: start,
            text: text(from: start, to: lastEnd))
    }

    mutating func function() throws(RulesSyntaxError) -> RuleFunction {
        let position = token.start
        try consume()
        let name = try identifier("a function name")
        try expect("(")
        var params: [String] = []
        while !isPunct(")") {
            params.append(try identifier("a parameter name"))
            if !isPunct(")") { try expect(",") }
        }
        try consume()
        try expect("{")
        var bindings: [(String, RuleExpr)] = []
        while isWord("let") {
            try consume()
            let n = try identifier("a variable name")
            try expect("=")
            bindings.append((n, try expression()))
            try expect(";")
        }
        try expectWord("return")
        let body = try expression()
        if isPunct(";") { try consume() }
        try expect("}")
        return RuleFunction(name: name, parameters: params, bindings: bindings, body: body, position: position)
    }
}
