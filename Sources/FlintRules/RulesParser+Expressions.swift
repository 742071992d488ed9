extension RulesParser {
    mutating func node(_ kind: RuleExpr.Kind, from start: SourcePosition) -> RuleExpr {
        defer { nextID += 1 }
        return RuleExpr(
            id: nextID, kind: kind, range: SourceRange(start: start, end: lastEnd),
            sourceText: text(from: start, to: lastEnd))
    }

    mutating func expression() throws(RulesSyntaxError) -> RuleExpr {
        let start = token.start
        let condition = try binary(0)
        guard isPunct("?") else { return condition }
        try consume()
        let a = try expression()
        try expect(":")
        let b = try expression()
        return node(.ternary(condition, a, b), from: start)
    }

    /// Precedence levels, lowest first.
    static let levels: [[String]] = [
        ["||"], ["&&"], ["==", "!=", "<", "<=", ">", ">=", "in", "is"], ["+", "-"], ["*", "/", "%"],
    ]

    func operatorHere(_ level: Int) -> String? {
        switch token.kind {
        case .punct(let p) where Self.levels[level].contains(p): return p
        case .identifier(let w) where (w == "in" || w == "is") && Self.levels[level].contains(w): return w
        default: return nil
        }
    }

    mutating func binary(_ level: Int) throws(RulesSyntaxError) -> RuleExpr {
        if level == Self.levels.count { return try unary() }
        let start = token.start
        var left = try binary(level + 1)
        while let op = operatorHere(level) {
            try consume()
            if op == "is" {
                let at = token.start
                let type = try identifier("a type name")
                guard RuleValue.typeNames.contains(type) else {
                    throw RulesSyntaxError("Unknown type '\(type)'.", at: at)
                }
                left = node(.isType(left, type), from: start)
                continue
            }
            let right = try binary(level + 1)
            left = node(.binary(BinaryOperator(rawValue: op)!, left, right), from: start)
        }
        return left
    }

    mutating func unary() throws(RulesSyntaxError) -> RuleExpr {
        let start = token.start
        if isPunct("!") {
            try consume()
            return node(.unary(.not, try unary()), from: start)
        }
        if isPunct("-") {
            try consume()
            // A negative literal stays a literal (so the smallest integer can be written).
            if case .int(let i) = token.kind {
                try consume()
                return try postfix(node(.literal(.int(0 &- i)), from: start), start: start)
            }
            if case .float(let d) = token.kind {
                try consume()
                return try postfix(node(.literal(.float(-d)), from: start), start: start)
            }
            return node(.unary(.negate, try unary()), from: start)
        }
        return try postfix(try primary(), start: start)
    }

    mutating func postfix(_ base: RuleExpr, start: SourcePosition) throws(RulesSyntaxError) -> RuleExpr {
        var e = base
        while true {
            if isPunct(".") {
                try consume()
                let name = try identifier("a property or method name")
                if isPunct("(") {
                    let args = try arguments()
                    if case .identifier(let ns) = e.kind, RulesLibrary.namespaces.contains(ns) {
                        e = node(.call(ns + "." + name, args), from: start)
                    } else {
                        // A literal pattern that is not a regular expression fails the compile, as in production.
                        if name == "matches", let a = args.first, case .literal(.string(let pattern)) = a.kind,
                            RulesLibrary.regex(pattern) == nil
                        {
                            throw RulesSyntaxError("Invalid regular expression pattern. Pattern: \(pattern).", at: a.range.start)
                        }
                        e = node(.method(e, name, args), from: start)
                    }
                } else {
                    e = node(.member(e, name), from: start)
                }
            } else if isPunct("[") {
                try consume()
                if isPunct(":") {
                    try consume()
                    let hi = isPunct("]") ? nil : try expression()
                    try expect("]")
                    e = node(.slice(e, nil, hi), from: start)
                    continue
                }
                let index = try expression()
                if isPunct(":") {
                    try consume()
                    let hi = isPunct("]") ? nil : try expression()
                    try expect("]")
                    e = node(.slice(e, index, hi), from: start)
                    continue
                }
                try expect("]")
                e = node(.index(e, index), from: start)
            } else {
                return e
            }
        }
    }

    mutating func arguments() throws(RulesSyntaxError) -> [RuleExpr] {
        try expect("(")
        var args: [RuleExpr] = []
        while !isPunct(")") {
            args.append(try expression())
            if !isPunct(")") { try expect(",") }
        }
        try consume()
        return args
    }

    mutating func primary() throws(RulesSyntaxError) -> RuleExpr {
        let start = token.start
        switch token.kind {
        case .int(let i):
            try consume()
            return node(.literal(.int(i)), from: start)
        case .float(let d):
            try consume()
            return node(.literal(.float(d)), from: start)
        case .string(let s):
            try consume()
            return node(.literal(.string(s)), from: start)
        case .bytes(let b):
            try consume()
            return node(.literal(.bytes(b)), from: start)
        case .identifier(let w):
            try consume()
            switch w {
            case "true": return node(.literal(.bool(true)), from: start)
            case "false": return node(.literal(.bool(false)), from: start)
            case "null": return node(.literal(.null), from: start)
            default: break
            }
            if isPunct("(") {
                let args = try arguments()
                return node(.call(w, args), from: start)
            }
            return node(.identifier(w), from: start)
        case .punct("("):
            try consume()
            let e = try expression()
            try expect(")")
            return e
        case .punct("["):
            try consume()
            var items: [RuleExpr] = []
            while !isPunct("]") {
                items.append(try expression())
                if !isPunct("]") { try expect(",") }
            }
            try consume()
            return node(.list(items), from: start)
        case .punct("{"):
            try consume()
            var entries: [(RuleExpr, RuleExpr)] = []
            while !isPunct("}") {
                let k = try expression()
                try expect(":")
                entries.append((k, try expression()))
                if !isPunct("}") { try expect(",") }
            }
            try consume()
            return node(.map(entries), from: start)
        case .punct("/"):
            return try pathLiteral(start: start)
        default:
            throw unexpected("an expression")
        }
    }

    /// `/databases/$(database)/documents/users/$(request.auth.uid)`, read character by character.
    mutating func pathLiteral(start: SourcePosition) throws(RulesSyntaxError) -> RuleExpr {
        var parts: [PathPart] = []
        var text: [UInt8] = [UInt8(ascii: "/")]
        while let c = lexer.peekByte() {
            if c == UInt8(ascii: "/") || Self.isPathChar(c) && c != UInt8(ascii: "(") {
                text.append(c)
                lexer.advance()
            } else if c == UInt8(ascii: "$") && lexer.peekByte(1) == UInt8(ascii: "(") || c == UInt8(ascii: "(") {
                if c == UInt8(ascii: "$") { lexer.advance() }
                lexer.advance()
                if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
                text = []
                try advance()
                parts.append(.expression(try expression()))
                guard isPunct(")") else { throw unexpected("')'") }
                // The lexer stands right after ')': go on reading the path.
            } else {
                break
            }
        }
        if !text.isEmpty { parts.append(.text(String(decoding: text, as: UTF8.self))) }
        let end = lexer.offset
        try advance()
        lastEnd = end
        return node(.path(parts), from: start)
    }
}
