import FlintCore
import Foundation

extension RulesLibrary {
    /// `receiver.name(args)`.
    static func method(
        _ receiver: RuleValue, _ name: String, _ args: [RuleValue], evaluator: RulesEvaluator, at e: RuleExpr
    ) throws(RuleError) -> RuleValue {
        func bad() -> RuleError {
            RuleError(
                "Function not found error: Name: [\(name)]; Args: [\(args.map(\.typeName).joined(separator: ", "))] on \(receiver.typeName).",
                at: e.range.start)
        }
        func arg(_ n: Int) throws(RuleError) {
            guard args.count == n else { throw bad() }
        }
        func collection(_ v: RuleValue) throws(RuleError) -> [RuleValue] {
            switch v {
            case .list(let l), .set(let l): return l
            default: throw bad()
            }
        }
        if case .null = receiver { throw RuleError("Null value error.", at: e.range.start) }
        if case .constrained(let c) = receiver {
            // A query's array-contains(-any) constraint: hasAny of one of its elements holds.
            if name == "hasAny", args.count == 1, case .list(let l) = args[0],
                c.arrayContains.contains(where: { x in l.contains { RuleValue.equal($0, x) } })
            {
                return .bool(true)
            }
            return .bool(false)
        }
        switch (receiver, name) {
        case (.string(let s), "size"): try arg(0); return .int(Int64(s.count))
        case (.string(let s), "lower"): try arg(0); return .string(s.lowercased())
        case (.string(let s), "upper"): try arg(0); return .string(s.uppercased())
        case (.string(let s), "trim"): try arg(0); return .string(s.trimmingCharacters(in: .whitespaces))
        case (.string(let s), "toUtf8"): try arg(0); return .bytes(Array(s.utf8))
        case (.string(let s), "matches"):
            try arg(1)
            guard case .string(let pattern) = args[0] else { throw bad() }
            guard let re = regex(pattern) else {
                throw RuleError("Invalid regular expression '\(pattern)'.", at: e.range.start)
            }
            let ns = s as NSString
            return .bool(re.firstMatch(in: s, range: NSRange(location: 0, length: ns.length)) != nil)
        case (.string(let s), "split"):
            try arg(1)
            guard case .string(let sep) = args[0], let re = try? NSRegularExpression(pattern: sep) else { throw bad() }
            var parts: [RuleValue] = []
            let ns = s as NSString
            var last = 0
            for m in re.matches(in: s, range: NSRange(location: 0, length: ns.length)) where m.range.length > 0 {
                parts.append(.string(ns.substring(with: NSRange(location: last, length: m.range.location - last))))
                last = m.range.location + m.range.length
            }
            parts.append(.string(ns.substring(from: last)))
            return .list(parts)
        case (.string(let s), "replace"):
            try arg(2)
            guard case .string(let pattern) = args[0], case .string(let with) = args[1],
                let re = try? NSRegularExpression(pattern: pattern)
            else { throw bad() }
            let ns = s as NSString
            return .string(re.stringByReplacingMatches(
                in: s, range: NSRange(location: 0, length: ns.length), withTemplate: with))
        case (.bytes(let b), "size"): try arg(0); return .int(Int64(b.count))
        case (.bytes(let b), "toBase64"): try arg(0); return .string(Data(b).base64EncodedString())
        case (.bytes(let b), "toHexString"): try arg(0); return .string(b.map { String(format: "%02X", $0) }.joined())
        case (.list(let l), "size"), (.set(let l), "size"): try arg(0); return .int(Int64(l.count))
        case (.list(let l), "hasAll"), (.set(let l), "hasAll"):
            try arg(1)
            return .bool(try collection(args[0]).allSatisfy { x in l.contains { RuleValue.equal($0, x) } })
        case (.list(let l), "hasAny"), (.set(let l), "hasAny"):
            try arg(1)
            return .bool(try collection(args[0]).contains { x in l.contains { RuleValue.equal($0, x) } })
        case (.list(let l), "hasOnly"), (.set(let l), "hasOnly"):
            try arg(1)
            let allowed = try collection(args[0])
            return .bool(l.allSatisfy { x in allowed.contains { RuleValue.equal($0, x) } })
        case (.list(let l), "join"):
            try arg(1)
            guard case .string(let sep) = args[0] else { throw bad() }
            var parts: [String] = []
            for v in l {
                guard case .string(let s) = v else { throw bad() }
                parts.append(s)
            }
            return .string(parts.joined(separator: sep))
        case (.list(let l), "concat"):
            try arg(1)
            guard case .list(let other) = args[0] else { throw bad() }
            return .list(l + other)
        case (.list(let l), "removeAll"):
            try arg(1)
            let gone = try collection(args[0])
            return .list(l.filter { x in !gone.contains { RuleValue.equal($0, x) } })
        case (.list(let l), "toSet"): try arg(0); return .set(RuleValue.makeSet(l))
        case (.set(let l), "union"):
            try arg(1)
            return .set(RuleValue.makeSet(l + (try collection(args[0]))))
        case (.set(let l), "intersection"):
            try arg(1)
            let other = try collection(args[0])
            return .set(l.filter { x in other.contains { RuleValue.equal($0, x) } })
        case (.set(let l), "difference"):
            try arg(1)
            let other = try collection(args[0])
            return .set(l.filter { x in !other.contains { RuleValue.equal($0, x) } })
        case (.map(let m), "size"): try arg(0); return .int(Int64(m.count))
        case (.map(let m), "keys"): try arg(0); return .list(m.keys.sorted().map(RuleValue.string))
        case (.map(let m), "values"): try arg(0); return .list(m.keys.sorted().map { m[$0]! })
        case (.map(let m), "get"):
            try arg(2)
            switch args[0] {
            case .string(let k): return m[k] ?? args[1]
            case .list(let keys):
                var current = receiver
                for k in keys {
                    guard case .string(let key) = k else { throw bad() }
                    guard case .map(let cm) = current, let next = cm[key] else { return args[1] }
                    current = next
                }
                return current
            default: throw bad()
            }
        case (.map(let m), "diff"):
            try arg(1)
            guard case .map(let other) = args[0] else { throw bad() }
            return .mapDiff(m, other)
        case (.mapDiff(let a, let b), _):
            try arg(0)
            let da = a.dictionary, db = b.dictionary
            let keys: [String]
            switch name {
            // `a.diff(b)`: added = in a, not in b (request.resource.data.diff(resource.data) names the write's additions).
            case "addedKeys": keys = da.keys.filter { db[$0] == nil }
            case "removedKeys": keys = db.keys.filter { da[$0] == nil }
            case "changedKeys": keys = da.keys.filter { k in db[k].map { !RuleValue.equal($0, da[k]!) } ?? false }
            case "unchangedKeys": keys = da.keys.filter { k in db[k].map { RuleValue.equal($0, da[k]!) } ?? false }
            case "affectedKeys":
                keys = Set(da.keys).union(db.keys).filter { k in
                    guard let x = da[k], let y = db[k] else { return true }
                    return !RuleValue.equal(x, y)
                }
            default: throw bad()
            }
            return .set(keys.sorted().map(RuleValue.string))
        case (.timestamp(let t), _):
            try arg(0)
            let days = t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400
            let secondOfDay = t.seconds - days * 86_400
            let civil = CivilDate(epochDays: days)
            switch name {
            case "year": return .int(civil.year)
            case "month": return .int(civil.month)
            case "day": return .int(civil.day)
            case "hours": return .int(secondOfDay / 3600)
            case "minutes": return .int(secondOfDay / 60 % 60)
            case "seconds": return .int(secondOfDay % 60)
            case "nanos": return .int(Int64(t.nanos))
            case "dayOfWeek": return .int((days % 7 + 7 + 3) % 7 + 1)  // 1970-01-01 was a Thursday; Monday = 1
            case "dayOfYear": return .int(days - CivilDate(year: civil.year, month: 1, day: 1).epochDays + 1)
            case "toMillis": return .int(t.seconds * 1000 + Int64(t.nanos) / 1_000_000)
            case "date": return .timestamp(RuleTimestamp(seconds: days * 86_400, nanos: 0))
            case "time": return .duration(secondOfDay * 1_000_000_000 + Int64(t.nanos))
            default: throw bad()
            }
        case (.duration(let d), "seconds"): try arg(0); return .int(d / 1_000_000_000)
        case (.duration(let d), "nanos"): try arg(0); return .int(d % 1_000_000_000)
        case (.latlng(let lat, _), "latitude"): try arg(0); return .float(lat)
        case (.latlng(_, let lng), "longitude"): try arg(0); return .float(lng)
        case (.latlng(let lat1, let lng1), "distance"):
            try arg(1)
            guard case .latlng(let lat2, let lng2) = args[0] else { throw bad() }
            return .float(haversine(lat1, lng1, lat2, lng2))
        case (.int, "size"), (.float, "size"), (.bool, "size"):
            throw bad()
        default:
            throw bad()
        }
    }

    /// Great-circle distance in meters.
    static func haversine(_ lat1: Double, _ lng1: Double, _ lat2: Double, _ lng2: Double) -> Double {
        let r = 6_371_010.0
        let p1 = lat1 * .pi / 180, p2 = lat2 * .pi / 180
        let dp = (lat2 - lat1) * .pi / 180, dl = (lng2 - lng1) * .pi / 180
        let a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2)
        return 2 * r * asin(min(1, a.squareRoot()))
    }
}
