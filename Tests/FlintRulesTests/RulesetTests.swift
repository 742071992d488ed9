import FlintCore
import FlintProto
import Testing

@testable import FlintRules

/// Judging whole requests: matching, methods, queries by their constraints, and the explanations.
@Suite struct RulesetTests {
    static let source = """
        rules_version = '2';
        service cloud.firestore {
          match /databases/{database}/documents {
            match /orders/{id} {
              allow get: if resource.data.owner == request.auth.uid;
              allow list: if resource.data.owner == request.auth.uid && request.query.limit <= 10;
              allow create: if request.resource.data.total > 0
                && request.resource.data.total < 1000;
            }
            match /{path=**}/items/{item} {
              allow list: if resource.data.n > 3;
            }
          }
        }
        """
    static let ruleset = try! Ruleset(source: source)
    static let user = UserToken(uid: "u1", claims: ["sub": .string("u1")])

    func request(_ method: RuleMethod, _ target: RulesTarget, resource: RuleValue = .null,
                 requestResource: RuleValue? = nil, query: RuleValue? = nil) -> RulesRequest {
        RulesRequest(method: method, target: target, auth: Self.user, time: RuleTimestamp(seconds: 0, nanos: 0),
                     resource: resource, requestResource: requestResource, query: query)
    }

    func doc(_ fields: Fields) -> RuleValue { .resource(database: "(default)", path: ["orders", "o1"], fields: fields) }

    @Test func getIsJudgedAgainstTheStoredDocument() {
        let mine = Self.ruleset.evaluate(
            request(.get, .document(database: "(default)", path: ["orders", "o1"]), resource: doc(["owner": .string("u1")])),
            reader: nil)
        #expect(mine.allowed)
        let theirs = Self.ruleset.evaluate(
            request(.get, .document(database: "(default)", path: ["orders", "o1"]), resource: doc(["owner": .string("u2")])),
            reader: nil)
        #expect(!theirs.allowed)
        #expect(theirs.reason == "false for 'get' @ L5")
        #expect(theirs.message.contains("Failed expression @ L5:21: resource.data.owner == request.auth.uid"))
    }

    @Test func aMissingDocumentIsANullResource() {
        let d = Self.ruleset.evaluate(request(.get, .document(database: "(default)", path: ["orders", "x"])), reader: nil)
        #expect(!d.allowed)
        #expect(d.reason.hasPrefix("Null value error. for 'get' @ L5"))
    }

    @Test func noMatchingStatementDenies() {
        let d = Self.ruleset.evaluate(request(.get, .document(database: "(default)", path: ["other", "x"])), reader: nil)
        #expect(!d.allowed && d.outcomes.isEmpty)
        #expect(d.reason == "No matching allow statements")
    }

    @Test func theFailingConjunctOfAMultiLineConditionIsNamed() {
        let d = Self.ruleset.evaluate(
            request(.create, .document(database: "(default)", path: ["orders", "o1"]),
                    requestResource: doc(["total": .integer(5000)])), reader: nil)
        #expect(!d.allowed)
        #expect(d.outcomes[0].failedExpression?.text == "request.resource.data.total < 1000")
        #expect(d.outcomes[0].failedExpression?.position.line == 8)
    }

    func plan(_ filters: [(String, Google_Firestore_V1_StructuredQuery.FieldFilter.Operator, FirestoreValue)],
              collection: String = "orders", group: Bool = false, limit: Int32? = nil) throws -> QueryPlan {
        var q = Google_Firestore_V1_StructuredQuery()
        q.from = [.with { $0.collectionID = collection; $0.allDescendants = group }]
        let fs = filters.map { f in
            Google_Firestore_V1_StructuredQuery.Filter.with {
                $0.fieldFilter = .with { $0.field.fieldPath = f.0; $0.op = f.1; $0.value = f.2 }
            }
        }
        if fs.count == 1 { q.where = fs[0] } else if !fs.isEmpty {
            q.where = .with { $0.compositeFilter = .with { $0.op = .and; $0.filters = fs } }
        }
        if let limit { q.limit = .with { $0.value = limit } }
        return try QueryPlan(q, database: DatabaseID(project: "p"), parent: .root)
    }

    func list(_ plan: QueryPlan, target: RulesTarget) -> Bool {
        RulesQuery.resources(plan, database: "(default)").allSatisfy { resource in
            Self.ruleset.evaluate(
                request(.list, target, resource: resource, query: RulesQuery.queryValue(plan)), reader: nil
            ).allowed
        }
    }

    @Test func aQueryIsAllowedOnlyWhenItsConstraintsImplyTheRule() throws {
        let orders = RulesTarget.collection(database: "(default)", path: ["orders"])
        #expect(list(try plan([("owner", .equal, .string("u1"))], limit: 5), target: orders))
        #expect(!list(try plan([("owner", .equal, .string("u1"))], limit: 50), target: orders))
        #expect(!list(try plan([], limit: 5), target: orders))
        #expect(!list(try plan([("owner", .equal, .string("u2"))], limit: 5), target: orders))
        #expect(list(try plan([("owner", .in, .array([.string("u1")]))], limit: 5), target: orders))
        #expect(!list(try plan([("owner", .in, .array([.string("u1"), .string("u2")]))], limit: 5), target: orders))
    }

    @Test func rangesImplyRangesOfTheSameType() throws {
        let items = RulesTarget.collectionGroup(database: "(default)", parent: [], collectionID: "items")
        #expect(list(try plan([("n", .greaterThan, .integer(5))], collection: "items", group: true), target: items))
        #expect(list(try plan([("n", .greaterThanOrEqual, .integer(4))], collection: "items", group: true), target: items))
        #expect(!list(try plan([("n", .greaterThanOrEqual, .integer(3))], collection: "items", group: true), target: items))
        #expect(!list(try plan([("n", .greaterThan, .double(3.5))], collection: "items", group: true), target: items))
        #expect(!list(try plan([("n", .lessThan, .integer(10))], collection: "items", group: true), target: items))
        #expect(list(try plan([("n", .equal, .integer(7))], collection: "items", group: true), target: items))
    }

    @Test func coverageCountsTheValuesEachExpressionTook() throws {
        let ruleset = try Ruleset(source: Self.source)
        let target = RulesTarget.document(database: "(default)", path: ["orders", "o1"])
        _ = ruleset.evaluate(request(.get, target, resource: doc(["owner": .string("u1")])), reader: nil)
        _ = ruleset.evaluate(request(.get, target, resource: doc(["owner": .string("u2")])), reader: nil)
        _ = ruleset.evaluate(request(.get, target), reader: nil)
        let report = ruleset.coverage.report()
        let expressions = try #require(report["expressions"] as? [[String: Any]])
        let condition = try #require(expressions.first { $0["text"] as? String == "resource.data.owner == request.auth.uid" })
        let values = (condition["values"] as? [[String: Any]] ?? []).map { "\($0["value"]!)=\($0["count"]!)" }
        #expect(Set(values) == ["true=1", "false=1", "error: Null value error.=1"])
        let statements = try #require(report["statements"] as? [[String: Any]])
        #expect(statements[0]["allowed"] as? Int == 1 && statements[0]["denied"] as? Int == 1 && statements[0]["errors"] as? Int == 1)
        #expect(ruleset.coverage.html(source: Self.source).contains("resource.data.owner == request.auth.uid</code> → "))
    }

    @Test func collectionGroupsMatchOnlyRecursiveWildcards() {
        let group = RulesTarget.collectionGroup(database: "(default)", parent: [], collectionID: "items")
        #expect(group.match([.literal("databases"), .single("d"), .literal("documents"), .rest("p"), .literal("items"), .single("i")]) != nil)
        #expect(group.match([.literal("databases"), .single("d"), .literal("documents"), .literal("a"), .single("x"), .literal("items"), .single("i")]) == nil)
        let doc = RulesTarget.document(database: "(default)", path: ["a", "b", "items", "c"])
        let bound = doc.match([.literal("databases"), .single("d"), .literal("documents"), .rest("p"), .literal("items"), .single("i")])
        #expect(bound?.map(\.0) == ["d", "i", "p"])
        #expect(bound?.last.map { $0.1.description } == "/a/b")
    }

    /// `request`, `request.auth` and `resource` are built per request as fixed-key records; every
    /// map operation sees them as the maps they are.
    @Test(arguments: [
        ("request.keys().hasAll(['auth', 'method', 'path', 'time']) && request.size() == 4", true),
        ("request.auth.keys().hasOnly(['uid', 'token']) && request.auth.size() == 2", true),
        ("resource.keys().hasOnly(['__name__', 'id', 'data']) && resource.id == 'o1'", true),
        ("'uid' in request.auth && !('email' in request.auth)", true),
        ("request.auth == {'uid': 'u1', 'token': {'sub': 'u1'}}", true),
        ("request.auth == {'uid': 'u1', 'token': {'sub': 'u2'}}", false),
        ("request.get('nothing', 7) == 7 && resource.get('id', '') == 'o1'", true),
        ("request.method == 'get' && request.path == /databases/$(database)/documents/orders/$(id)", true),
        ("request.auth.size() == 3", false),
    ])
    func requestMapsAreMaps(condition: String, allowed: Bool) throws {
        let ruleset = try Ruleset(source: """
            rules_version = '2';
            service cloud.firestore {
              match /databases/{database}/documents {
                match /orders/{id} { allow get: if \(condition); }
              }
            }
            """)
        let d = ruleset.evaluate(
            request(.get, .document(database: "(default)", path: ["orders", "o1"]), resource: doc(["owner": .string("u1")])),
            reader: nil)
        #expect(d.allowed == allowed, "\(d.reason)")
    }
}
