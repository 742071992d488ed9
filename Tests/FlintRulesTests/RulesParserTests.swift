import Testing

@testable import FlintRules

@Suite struct RulesParserTests {
    static let full = """
        rules_version = '2';
        // a comment
        service cloud.firestore {
          function isSignedIn() { return request.auth != null; }
          match /databases/{database}/documents {
            function owns(uid) {
              let me = request.auth.uid;
              return me == uid;
            }
            match /users/{userId} {
              allow read: if owns(userId);
              allow create, update: if request.resource.data.keys().hasOnly(['name', 'age']) /* inline */;
              allow delete;
              match /posts/{post=**} {
                allow get, list: if isSignedIn() ? true : false;
              }
            }
            match /{path=**}/comments/{c} {
              allow read: if resource.data.x is int && 1 in [1, 2] && {'a': 1}.a == 1;
            }
          }
        }
        """

    @Test func parsesEveryStructure() throws {
        let file = try RulesParser.parse(Self.full)
        #expect(file.version == "2")
        #expect(file.service == "cloud.firestore")
        #expect(file.functions.map(\.name) == ["isSignedIn"])
        let root = try #require(file.matches.first)
        #expect(root.pattern == [.literal("databases"), .single("database"), .literal("documents")])
        #expect(root.functions.first?.bindings.map(\.name) == ["me"])
        let users = root.children[0]
        #expect(users.allows.count == 3)
        #expect(users.allows[1].methods == [.create, .update])
        #expect(users.allows[2].condition == nil)
        #expect(users.children[0].pattern == [.literal("posts"), .rest("post")])
        #expect(root.children[1].pattern == [.rest("path"), .literal("comments"), .single("c")])
        #expect(users.allows[0].position.line == 11)
        #expect(users.allows[0].text == "allow read: if owns(userId);")
    }

    @Test func readAndWriteExpandToTheirMethods() throws {
        let file = try RulesParser.parse(
            "service cloud.firestore { match /databases/{d}/documents { match /a/{b} { allow read, write; } } }")
        #expect(file.matches[0].children[0].allows[0].methods == Set(RuleMethod.allCases))
    }

    @Test(arguments: [
        ("1 + 2 * 3", "7"),
        ("(1 + 2) * 3", "9"),
        ("10 - 4 - 3", "3"),
        ("7 % 4", "3"),
        ("true ? 1 : 2", "1"),
        ("false ? 1 : true ? 2 : 3", "2"),
        ("!true || true", "true"),
        ("1 < 2 && 2 <= 2 && 3 > 2 && 3 >= 3 && 1 != 2 && 1 == 1", "true"),
        ("'a' in ['a']", "true"),
        ("1 is int", "true"),
        ("1.5 is number", "true"),
        ("-3", "-3"),
        ("-(3)", "-3"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("[1, 2, 3][1]", "2"),
        ("[1, 2, 3][1:]", "[2, 3]"),
        ("[1, 2, 3][:2]", "[1, 2]"),
        ("{'a': {'b': 5}}.a.b", "5"),
        ("{'a': 1}['a']", "1"),
        ("'it\\'s'", "'it's'"),
        ("\"dq\"", "'dq'"),
        ("r'a\\d'", "'a\\d'"),
        ("1e3", "1000.0"),
        ("2.5", "2.5"),
        ("b'ab'", "b'\\x61\\x62'"),
        ("/databases/x/documents/a/$(1)", "/databases/x/documents/a/1"),
        ("/databases/$('d')/documents/a/b", "/databases/d/documents/a/b"),
        ("math.abs(-2)", "2"),
        ("[1] + [1] == [1, 1] || true", "true"),
        ("null", "null"),
    ])
    func parsesExpressions(source: String, expected: String) throws {
        #expect(try RulesExpression.evaluate(source).value.description == expected)
    }

    @Test(arguments: [
        ("service cloud.firestore {\n  match /a/{b} {\n    allow read: if 1 == ;\n  }\n}", 3, 25, "Unexpected ';'"),
        ("service cloud.firestore {\n  match /a/{b} {\n    allow read if true;\n  }\n}", 3, 16, "Unexpected 'if', expected ';'"),
        ("service cloud.storage {}", 1, 23, "Only 'service cloud.firestore'"),
        ("rules_version = '3';", 1, 17, "Unsupported rules_version"),
        ("service cloud.firestore {\n match /a/{b=*} { }\n}", 2, 14, "Expected '**'"),
        ("service cloud.firestore {\n match /a/{b} { allow read: if 'x }\n}", 2, 32, "Unterminated string"),
        ("service cloud.firestore {\n match /a/{b} { allow read: if x is banana; }\n}", 2, 37, "Unknown type"),
        ("service cloud.firestore {\n match /a/{b} { allow read: if true; }", 2, 39, "Unexpected end of input"),
        ("service cloud.firestore {\n  function f() { let x = 1; }\n}", 2, 29, "expected 'return'"),
        ("service cloud.firestore {\n match /a/{b} { allow read: if # ; }\n}", 2, 32, "Unexpected character '#'"),
        ("service cloud.firestore {\n match a/{b} { }\n}", 2, 8, "expected a path starting with '/'"),
        ("service cloud.firestore {\n match /a/{x=**}/b/{y=**} { }\n}", 2, 26, "only one"),
        ("service cloud.firestore {\n match /a/{b} { allow read: if 'x'.matches('('); }\n}", 2, 44, "Invalid regular expression pattern. Pattern: (."),
    ])
    func reportsErrorsWithPositions(source: String, line: Int, column: Int, message: String) {
        #expect {
            _ = try RulesParser.parse(source)
        } throws: { error in
            guard let e = error as? RulesSyntaxError else { return false }
            return e.position.line == line && e.position.column == column && e.message.contains(message)
        }
    }

    @Test func unknownMethodsAndFunctionsAreWarningsWithPositions() throws {
        let file = try RulesParser.parse(
            "service cloud.firestore {\n  match /a/{b} {\n    allow raed: if foo(1);\n    allow get: if f();\n    function f() { return true; }\n  }\n}")
        #expect(file.warnings.map(\.description) == ["L3:11 Invalid method name: raed.", "L3:20 Invalid function name: foo."])
        #expect(file.matches[0].allows[0].methods.isEmpty)
    }

    @Test func errorsPrintAsTheOfficialEmulatorDoes() {
        let e = RulesSyntaxError("Unexpected ';', expected an expression.", at: SourcePosition(line: 5, column: 38, offset: 0))
        #expect(e.description == "L5:38 Unexpected ';', expected an expression.")
    }
}
