import FlintCore
import Foundation
import Synchronization

/// The functions of the rules language's standard library.
enum RulesLibrary {
    static let namespaces: Set<String> = ["math", "hashing", "timestamp", "duration", "latlng"]

    static func arity(_ name: String, _ args: [RuleValue], _ n: Int, at e: RuleExpr) throws(RuleError) {
        guard args.count == n else {
            throw RuleError("Function \(name) expects \(n) argument\(n == 1 ? "" : "s"), got \(args.count).", at: e.range.start)
        }
    }

    static func badArgument(_ name: String, _ args: [RuleValue], at e: RuleExpr) -> RuleError {
        RuleError(
            "Invalid argument to \(name)(\(args.map(\.typeName).joined(separator: ", "))).", at: e.range.start)
    }

    static func function(_ name: String, _ args: [RuleValue], evaluator: RulesEvaluator, at e: RuleExpr)
        throws(RuleError) -> RuleValue
    {
        switch name {
        case "get", "getAfter":
            try arity(name, args, 1, at: e)
            guard case .path(let p) = args[0] else { throw badArgument(name, args, at: e) }
            guard let fields = try evaluator.access(args[0], after: name == "getAfter", at: e) else { return .null }
            return .resource(database: p[1], path: Array(p.dropFirst(3)), fields: fields)
        case "exists", "existsAfter":
            try arity(name, args, 1, at: e)
            return .bool(try evaluator.access(args[0], after: name == "existsAfter", at: e) != nil)
        case "debug":
            try arity(name, args, 1, at: e)
            evaluator.debugOutput.append(args[0].debugText)
            return args[0]
        case "path":
            try arity(name, args, 1, at: e)
            guard case .string(let s) = args[0] else { throw badArgument(name, args, at: e) }
            return .path(RuleValue.pathSegments(s))
        case "string":
            try arity(name, args, 1, at: e)
            switch args[0] {
            case .string: return args[0]
            case .int(let i): return .string(String(i))
            case .float(let d): return .string(String(d))
            case .bool(let b): return .string(String(b))
            case .null: return .string("null")
            case .path(let p): return .string(RuleValue.pathString(p))
            default: throw badArgument(name, args, at: e)
            }
        case "int":
            try arity(name, args, 1, at: e)
            switch args[0] {
            case .int: return args[0]
            case .float(let d):
                guard d.isFinite, d >= -9.223372036854775808e18, d < 9.223372036854775808e18 else {
                    throw badArgument(name, args, at: e)
                }
                return .int(Int64(d))
            case .string(let s):
                guard let i = Int64(s) else { throw badArgument(name, args, at: e) }
                return .int(i)
            default: throw badArgument(name, args, at: e)
            }
        case "float":
            try arity(name, args, 1, at: e)
            switch args[0] {
            case .float: return args[0]
            case .int(let i): return .float(Double(i))
            case .string(let s):
                guard let d = Double(s) else { throw badArgument(name, args, at: e) }
                return .float(d)
            default: throw badArgument(name, args, at: e)
            }
        case "duration.value":
            try arity(name, args, 2, at: e)
            guard case .int(let n) = args[0], case .string(let unit) = args[1] else { throw badArgument(name, args, at: e) }
            let scale: Int64
            switch unit {
            case "w": scale = 604_800_000_000_000
            case "d": scale = 86_400_000_000_000
            case "h": scale = 3_600_000_000_000
            case "m": scale = 60_000_000_000
            case "s": scale = 1_000_000_000
            case "ms": scale = 1_000_000
            case "ns": scale = 1
            default: throw RuleError("Invalid duration unit '\(unit)'.", at: e.range.start)
            }
            let (r, o) = n.multipliedReportingOverflow(by: scale)
            if o { throw RuleError("Duration out of range.", at: e.range.start) }
            return .duration(r)
        case "duration.time":
            try arity(name, args, 4, at: e)
            var total: Int64 = 0
            for (v, scale) in zip(args, [Int64(3_600_000_000_000), 60_000_000_000, 1_000_000_000, 1]) {
                guard case .int(let n) = v else { throw badArgument(name, args, at: e) }
                total += n * scale
            }
            return .duration(total)
        case "duration.abs":
            try arity(name, args, 1, at: e)
            guard case .duration(let d) = args[0] else { throw badArgument(name, args, at: e) }
            return .duration(abs(d))
        case "timestamp.value":
            try arity(name, args, 1, at: e)
            guard case .int(let ms) = args[0] else { throw badArgument(name, args, at: e) }
            return .timestamp(RuleTimestamp(micros: ms * 1000))
        case "timestamp.date":
            try arity(name, args, 3, at: e)
            guard case .int(let y) = args[0], case .int(let m) = args[1], case .int(let d) = args[2],
                (1...9999).contains(y), (1...12).contains(m), (1...CivilDate.daysIn(month: m, year: y)).contains(d)
            else { throw badArgument(name, args, at: e) }
            return .timestamp(RuleTimestamp(seconds: CivilDate(year: y, month: m, day: d).epochDays * 86_400, nanos: 0))
        case "latlng.value":
            try arity(name, args, 2, at: e)
            guard let (lat, lng) = RulesOperators.floats(
                args[0].asFloat ?? .null, args[1].asFloat ?? .null), (-90...90).contains(lat), (-180...180).contains(lng)
            else { throw badArgument(name, args, at: e) }
            return .latlng(lat, lng)
        case "math.abs":
            try arity(name, args, 1, at: e)
            switch args[0] {
            case .int(let i):
                guard i != .min else { throw RuleError("Integer overflow.", at: e.range.start) }
                return .int(abs(i))
            case .float(let d): return .float(abs(d))
            default: throw badArgument(name, args, at: e)
            }
        case "math.ceil", "math.floor", "math.round":
            try arity(name, args, 1, at: e)
            switch args[0] {
            case .int: return args[0]
            case .float(let d):
                // Floats stay floats; round takes halves up, as Java's Math.round does.
                return .float(name == "math.ceil" ? d.rounded(.up) : name == "math.floor" ? d.rounded(.down) : (d + 0.5).rounded(.down))
            default: throw badArgument(name, args, at: e)
            }
        case "math.sqrt":
            try arity(name, args, 1, at: e)
            guard let d = args[0].asDouble else { throw badArgument(name, args, at: e) }
            return .float(d.squareRoot())
        case "math.pow":
            try arity(name, args, 2, at: e)
            guard let x = args[0].asDouble, let y = args[1].asDouble else { throw badArgument(name, args, at: e) }
            return .float(pow(x, y))
        case "math.isInfinite", "math.isNaN":
            try arity(name, args, 1, at: e)
            guard let d = args[0].asDouble else { throw badArgument(name, args, at: e) }
            return .bool(name == "math.isNaN" ? d.isNaN : d.isInfinite)
        case "hashing.crc32", "hashing.crc32c", "hashing.md5", "hashing.sha256":
            try arity(name, args, 1, at: e)
            let input: [UInt8]
            switch args[0] {
            case .string(let s): input = Array(s.utf8)
            case .bytes(let b): input = b
            default: throw badArgument(name, args, at: e)
            }
            switch name {
            case "hashing.crc32", "hashing.crc32c":
                let crc = Hashing.crc32(input, polynomial: name == "hashing.crc32" ? 0xEDB8_8320 : 0x82F6_3B78)
                return .bytes([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: crc >> UInt32($0)) })
            case "hashing.md5": return .bytes(Hashing.md5(input))
            default: return .bytes(Hashing.sha256(input))
            }
        default:
            throw RuleError("Function not found error: Name: [\(name)].", at: e.range.start)
        }
    }

    /// Names the library defines, for warnings about unknown functions when rules are loaded.
    static let functionNames: Set<String> = [
        "get", "getAfter", "exists", "existsAfter", "debug", "path", "string", "int", "float", "duration.value",
        "duration.time", "duration.abs", "timestamp.value", "timestamp.date", "latlng.value", "math.abs", "math.ceil",
        "math.floor", "math.round", "math.sqrt", "math.pow", "math.isInfinite", "math.isNaN", "hashing.crc32",
        "hashing.crc32c", "hashing.md5", "hashing.sha256",
    ]

    /// Compiled regular expressions, shared by every evaluation (patterns are few and reused).
    static let regexCache = Mutex<[String: Regex]>([:])

    struct Regex: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe once built.
        let expression: NSRegularExpression
    }

    static func regex(_ pattern: String) -> NSRegularExpression? {
        if let r = regexCache.withLock({ $0[pattern] }) { return r.expression }
        guard let r = try? NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z") else { return nil }
        regexCache.withLock {
            if $0.count > 1000 { $0.removeAll() }
            $0[pattern] = Regex(expression: r)
        }
        return r
    }
}

extension RuleValue {
    var asDouble: Double? {
        switch self {
        case .int(let i): Double(i)
        case .float(let d): d
        default: nil
        }
    }
    var asFloat: RuleValue? { asDouble.map { .float($0) } }
}
