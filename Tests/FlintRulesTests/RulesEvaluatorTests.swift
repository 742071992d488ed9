import FlintCore
import Testing

@testable import FlintRules

func value(_ source: String, _ vars: [String: RuleValue] = [:]) throws -> String {
    try RulesExpression.evaluate(source, variables: vars).value.description
}

func failure(_ source: String, _ vars: [String: RuleValue] = [:]) -> String? {
    do {
        _ = try RulesExpression.evaluate(source, variables: vars)
        return nil
    } catch let e as RuleError {
        return e.message
    } catch {
        return "\(error)"
    }
}

@Suite struct RulesEvaluatorTests {
    @Test(arguments: [
        // strings
        ("'abc'.size()", "3"), ("'héllo'.size()", "5"), ("'abc'.matches('a.c')", "true"), ("'abcd'.matches('a.c')", "false"),
        ("'a@b.com'.matches('.*@b[.]com$')", "true"), ("'a,b,,c'.split(',')", "['a', 'b', '', 'c']"),
        ("'a1b22c'.split('[0-9]+')", "['a', 'b', 'c']"),
        ("'AbC'.lower()", "'abc'"), ("'AbC'.upper()", "'ABC'"), ("'  x  '.trim()", "'x'"),
        ("'aXbX'.replace('X', '-')", "'a-b-'"), ("'ab'.toUtf8()", "b'\\x61\\x62'"), ("'ab' + 'cd'", "'abcd'"),
        ("'abc'[1]", "'b'"), ("'abcdef'[1:3]", "'bc'"), ("'b' > 'a'", "true"),
        // lists and sets
        ("[1, 2].size()", "2"), ("[1, 2, 3].hasAll([1, 3])", "true"), ("[1, 2].hasAll([1, 5])", "false"),
        ("[1, 2].hasAny([5, 2])", "true"), ("[1, 2].hasAny([])", "false"), ("[1, 2].hasOnly([1, 2, 3])", "true"),
        ("[1, 4].hasOnly([1, 2])", "false"), ("['a', 'b'].join('-')", "'a-b'"),
        ("[1].concat([2])", "[1, 2]"), ("[1, 2, 1].removeAll([1])", "[2]"), ("[1, 1, 2].toSet().size()", "2"),
        ("[1, 2].toSet() == [2, 1].toSet()", "true"), ("[1, 2].toSet().union([3].toSet()).size()", "3"),
        ("[1, 2].toSet().intersection([2, 3].toSet())", "set([2])"),
        ("[1, 2].toSet().difference([2].toSet())", "set([1])"), ("2 in [1, 2].toSet()", "true"),
        ("[1, 2] == [1, 2]", "true"), ("[1, 2] == [2, 1]", "false"),
        // maps and diffs
        ("{'a': 1, 'b': 2}.size()", "2"), ("{'b': 1, 'a': 2}.keys()", "['a', 'b']"),
        ("{'b': 1, 'a': 2}.values()", "[2, 1]"), ("{'a': 1}.get('a', 0)", "1"), ("{'a': 1}.get('z', 0)", "0"),
        ("{'a': {'b': 3}}.get(['a', 'b'], 0)", "3"), ("{'a': {'b': 3}}.get(['a', 'c'], 0)", "0"),
        ("'a' in {'a': 1}", "true"), ("'z' in {'a': 1}", "false"),
        ("{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3, 'c': 4}).addedKeys()", "set([])"),
        ("{'a': 1, 'b': 2}.diff({'a': 1}).addedKeys()", "set(['b'])"), ("{'a': 1}.diff({'a': 1, 'c': 2}).removedKeys()", "set(['c'])"),
        ("{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3}).changedKeys()", "set(['b'])"),
        ("{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3}).unchangedKeys()", "set(['a'])"),
        ("{'a': 1, 'b': 2, 'd': 0}.diff({'a': 1, 'b': 3, 'c': 4}).affectedKeys()", "set(['b', 'c', 'd'])"),
        ("{'a': 1} == {'a': 1.0}", "false"), ("[1] == [1.0]", "false"), ("1 == 1.0 && [1] == [1]", "true"), ("{'a': 1} == {'a': 2}", "false"),
        // numbers
        ("1 == 1.0", "true"), ("3 / 2", "1"), ("3.0 / 2", "1.5"), ("-7 % 3", "-1"), ("1 + 0.5", "1.5"), ("1.0 / 0 > 0", "true"),
        ("int('42')", "42"), ("int(3.9)", "3"), ("float(2)", "2.0"), ("string(12)", "'12'"), ("string(true)", "'true'"),
        ("math.abs(-1.5)", "1.5"), ("math.ceil(1.2)", "2.0"), ("math.floor(-1.2)", "-2.0"), ("math.round(2.5)", "3.0"), ("math.round(-2.5)", "-2.0"),
        ("math.sqrt(16)", "4.0"), ("math.pow(2, 10)", "1024.0"), ("math.isNaN(0.0 / 0.0)", "true"),
        ("math.isInfinite(1.0 / 0.0)", "true"), ("math.ceil(1.2) is float", "true"),
        // hashing
        ("hashing.crc32('hello').toHexString()", "'3610A686'"), ("hashing.crc32c('hello').toHexString()", "'9A71BB4C'"),
        ("hashing.md5('abc').toHexString()", "'900150983CD24FB0D6963F7D28E17F72'"),
        ("hashing.sha256('abc').toHexString()", "'BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD'"),
        ("hashing.md5(b'abc') == hashing.md5('abc')", "true"), ("b'ab'.toBase64()", "'YWI='"), ("b'ab'.size()", "2"),
        // timestamps and durations
        ("timestamp.date(2024, 2, 29).year()", "2024"), ("timestamp.date(2024, 2, 29).month()", "2"),
        ("timestamp.date(2024, 2, 29).day()", "29"), ("timestamp.date(2024, 12, 31).dayOfYear()", "366"),
        ("timestamp.date(2024, 1, 1).dayOfWeek()", "1"), ("timestamp.date(2024, 1, 7).dayOfWeek()", "7"),
        ("timestamp.value(1700000000123).toMillis()", "1700000000123"),
        ("timestamp.value(1700000000123).nanos()", "123000000"),
        ("timestamp.value(1700000000123).hours()", "22"), ("timestamp.value(1700000000123).minutes()", "13"),
        ("timestamp.value(1700000000123).seconds()", "20"),
        ("timestamp.value(1700000000123).date() == timestamp.date(2023, 11, 14)", "true"),
        ("timestamp.value(1700000000123).time() == duration.time(22, 13, 20, 123000000)", "true"),
        ("timestamp.date(2024, 1, 1) + duration.value(1, 'd') == timestamp.date(2024, 1, 2)", "true"),
        ("timestamp.date(2024, 1, 2) - timestamp.date(2024, 1, 1) == duration.value(24, 'h')", "true"),
        ("timestamp.date(2024, 1, 1) - duration.value(1, 's') < timestamp.date(2024, 1, 1)", "true"),
        ("duration.value(90, 's').seconds()", "90"), ("duration.value(1500, 'ms').nanos()", "500000000"),
        ("duration.value(2, 'w') == duration.value(14, 'd')", "true"), ("duration.abs(duration.value(-3, 'm')).seconds()", "180"),
        ("duration.time(1, 2, 3, 4).seconds()", "3723"),
        // latlng
        ("latlng.value(10, 20).latitude()", "10.0"), ("latlng.value(10, 20).longitude()", "20.0"),
        ("latlng.value(0, 0).distance(latlng.value(0, 1)) > 111000", "true"),
        ("latlng.value(0, 0).distance(latlng.value(0, 1)) < 111400", "true"),
        // paths
        ("path('/databases/d/documents/a/b')[4]", "'b'"), ("/databases/d/documents/a/b == path('databases/d/documents/a/b')", "true"),
        ("string(/a/b)", "'/a/b'"),
        // types
        ("null is map", "false"), ("{'a': 1} is map", "true"), ("[1] is list", "true"), ("[1].toSet() is set", "false"),
        ("'x' is string", "true"), ("b'x' is bytes", "true"), ("/a/b is path", "true"), ("latlng.value(1, 1) is latlng", "true"),
        ("duration.value(1, 's') is duration", "true"), ("timestamp.value(0) is timestamp", "true"), ("true is bool", "true"),
        ("1 is float", "false"),
    ])
    func library(source: String, expected: String) throws {
        #expect(try value(source) == expected)
    }

    @Test(arguments: [
        ("x.a", "Null value error."),
        ("m.zzz", "Property zzz is undefined on object."),
        ("undefinedVariable", "Variable undefinedVariable is not defined."),
        ("1 + 'a'", "Unsupported operation error. Received: int + string."),
        ("[1] + [2]", "Unsupported operation error. Received: list + list."),
        ("1 / 0", "Division by zero."),
        ("9223372036854775807 + 1", "Integer overflow."),
        ("[1][5]", "Index 5 is out of range."),
        ("nope(1)", "Function not found error: Name: [nope]."),
        ("'a'.nope()", "Function not found error: Name: [nope]; Args: [] on string."),
        ("1 < 'a'", "Unsupported operation error. Received: int < string."),
        ("'a'.matches(m.p)", "Invalid regular expression '('."),
        ("1 ? 2 : 3", "Expected a boolean, got int."),
        ("duration.value(1, 'y')", "Invalid duration unit 'y'."),
        ("timestamp.date(2023, 2, 29)", "Invalid argument to timestamp.date(int, int, int)."),
        ("x.size()", "Null value error."),
        ("'a' in x", "Null value error."),
    ])
    func errors(source: String, message: String) {
        #expect(failure(source, ["x": .null, "m": .map(["a": .int(1), "p": .string("(")])]) == message)
    }

    @Test(arguments: [
        ("x.a && false", "false"), ("false && x.a", "false"), ("x.a || true", "true"), ("true || x.a", "true"),
        ("true && true", "true"), ("false || false", "false"),
    ])
    func andOrShortCircuitOverErrors(source: String, expected: String) throws {
        #expect(try value(source, ["x": .null]) == expected)
    }

    @Test(arguments: ["x.a && true", "true && x.a", "x.a || false", "false || x.a", "!x.a", "x.a == 1 ? 1 : 2"])
    func errorsPropagateOtherwise(source: String) {
        #expect(failure(source, ["x": .null]) == "Null value error.")
    }

    @Test func debugPrintsValuesAndReturnsThem() throws {
        let (v, out) = try RulesExpression.evaluate("debug(1) == 1 && debug('a') == 'a'")
        #expect(v.description == "true")
        #expect(out == ["int_value: 1", "string_value: \"a\""])
    }

    @Test func storedValuesConvertToRuleTypes() throws {
        let doc: Fields = [
            "i": .integer(3), "d": .double(1.5), "s": .string("x"), "n": .null, "b": .boolean(true),
            "a": .array([.integer(1)]), "m": .map(["k": .string("v")]),
            "t": .timestamp(ProtoTimestamp(seconds: 10, nanos: 5)),
            "r": .with { $0.referenceValue = "projects/p/databases/(default)/documents/a/b" },
            "g": .with { $0.geoPointValue = .with { $0.latitude = 1; $0.longitude = 2 } },
        ]
        let vars: [String: RuleValue] = ["d": .map(.fields(doc))]
        #expect(try value("d.i is int && d.d is float && d.s is string && d.n == null && d.b is bool", vars) == "true")
        #expect(try value("d.a is list && d.m.k == 'v' && d.t is timestamp && d.t.nanos() == 5", vars) == "true")
        #expect(try value("d.r == path('/databases/(default)/documents/a/b')", vars) == "true")
        #expect(try value("d.g.latitude() == 1.0", vars) == "true")
    }
}
