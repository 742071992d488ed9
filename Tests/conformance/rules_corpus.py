"""The security rules corpus: (rules, user, request) cases, and a runner that plays one case
against a server (Flint or the official emulator) over REST and reports what happened.

Each case runs in a project of its own: its rules are loaded with
``PUT /emulator/v1/projects/{p}:securityRules`` (as @firebase/rules-unit-testing does), its
documents are written as ``Bearer owner`` (which rules never judge), then its requests run as
its user.  The outcome is, per request, the HTTP status and the documents returned; writes are
followed by an owner read of the documents they touched, so an all-or-nothing batch shows.

``python rules_corpus.py --record`` regenerates ``rules_corpus.json`` with the outcomes of the
official emulator (started on a free port), which runs production's rules engine.
"""

import base64
import json
import os
import sys

RULES_HEAD = "rules_version = '2';\nservice cloud.firestore {\n  match /databases/{database}/documents {\n"
RULES_TAIL = "  }\n}\n"


def rules(body):
    return RULES_HEAD + body + RULES_TAIL


def token(claims):
    def b64(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def mock_claims(uid, **extra):
    """A token like firebase's mock user tokens (rules-unit-testing's `authenticatedContext`)."""
    claims = {"iss": "https://securetoken.google.com/demo", "aud": "demo", "iat": 1700000000,
              "exp": 4102444800, "auth_time": 1700000000, "sub": uid, "user_id": uid,
              "firebase": {"sign_in_provider": "custom", "identities": {}}}
    claims.update(extra)
    return claims


USERS = {
    "anon": None,
    "u1": mock_claims("u1", email="ann@example.com", email_verified=True, admin=True,
                      phone_number="+919876543210", roles=["editor", "viewer"], level=3),
    "u2": mock_claims("u2", email="bob@example.com", email_verified=False),
}

# Values in REST JSON form.
def I(n): return {"integerValue": str(n)}
def F(x): return {"doubleValue": x}
def S(s): return {"stringValue": s}
def B(b): return {"booleanValue": b}
def N(): return {"nullValue": None}
def A(*vs): return {"arrayValue": {"values": list(vs)}}
def M(**fs): return {"mapValue": {"fields": fs}}
def T(s): return {"timestampValue": s}
def G(lat, lng): return {"geoPointValue": {"latitude": lat, "longitude": lng}}
def Y(b): return {"bytesValue": base64.b64encode(b).decode()}


D1 = {"n": I(5), "f": F(2.5), "s": S("Hello World"), "b": B(True), "l": A(I(1), I(2), I(3)),
      "m": M(a=I(1), b=M(c=S("x"))), "t": T("2024-01-15T10:30:00Z"), "nul": N(), "ll": G(10, 20),
      "by": Y(b"abc"), "owner": S("u1"), "tags": A(S("a"), S("b")), "email": S("ann@example.com"),
      "neg": I(-7), "zero": I(0), "big": I(9223372036854775807)}

# Expressions judged on `get c/d1` (D1 stored) by every user.  The official emulator decides each.
EXPRESSIONS = [
    # literals, arithmetic, comparison
    "true", "false", "1 == 1", "1 == 1.0", "1 != 2", "2 > 1", "2 >= 2", "1 < 2", "2 <= 1", "'a' < 'b'",
    "1 + 2 == 3", "7 / 2 == 3", "7.0 / 2 == 3.5", "7 % 3 == 1", "-7 % 3 == -1", "2 * 3.5 == 7.0",
    "1 + 0.5 == 1.5", "'a' + 'b' == 'ab'", "[1] + [2] == [1, 2]", "(1 + 2) * 3 == 9", "-(2) == -2",
    "!false", "!(1 == 2)", "true ? true : false", "false ? true : false", "1 < 2 ? 'a' == 'a' : false",
    "9223372036854775807 + 1 > 0", "1 / 0 == 0", "1.0 / 0 > 0", "1 + 'a' == 'x'", "1 < 'a'",
    "null == null", "null != 1", "1 == '1'", "[1, 2] == [1, 2]", "[1, 2] == [2, 1]", "{'a': 1} == {'a': 1}",
    "{'a': 1} == {'a': 1.0}", "{'a': 1} != {'a': 2}",
    # in / is
    "1 in [1, 2]", "3 in [1, 2]", "'a' in {'a': 1}", "'z' in {'a': 1}", "2 in [1, 2].toSet()",
    "1 is int", "1 is float", "1.5 is float", "1 is number", "1.5 is number", "'x' is string", "true is bool",
    "[1] is list", "{'a': 1} is map", "null is map", "[1].toSet() is set", "/a/b is path",
    "b'x' is bytes", "latlng.value(1, 2) is latlng", "duration.value(1, 's') is duration",
    "timestamp.value(0) is timestamp", "request.time is timestamp",
    # && || error handling
    "resource.data.missing == 1 || true", "true || resource.data.missing == 1",
    "resource.data.missing == 1 && false", "false && resource.data.missing == 1",
    "resource.data.missing == 1 || false", "true && resource.data.missing == 1",
    "!(resource.data.missing == 1)", "resource.data.missing == 1 ? true : true",
    "resource.data.nul.x == 1 || true", "resource.data.nul.x == 1",
    "resource.data.missing == null", "resource.data.nul == null",
    # resource
    "resource.data.n == 5", "resource.data.n > 4", "resource.data.f == 2.5", "resource.data.s == 'Hello World'",
    "resource.data.b", "resource.data.l.size() == 3", "resource.data.m.a == 1", "resource.data.m.b.c == 'x'",
    "resource.data['n'] == 5", "resource.data.m['b']['c'] == 'x'", "resource.id == 'd1'",
    "resource.__name__ == /databases/$(database)/documents/c/d1", "resource['__name__'][4] == 'd1'",
    "resource.data.t is timestamp", "resource.data.ll is latlng", "resource.data.by is bytes",
    "resource.data.ref is path", "resource.data.nul == null", "resource.data.keys().size() > 10",
    "resource.data.big > 0", "resource.data.neg < 0", "resource.data.zero == 0",
    "resource.data.owner == request.auth.uid", "resource.data.email == request.auth.token.email",
    "resource.data.tags.hasAny(['a'])", "resource.data.l[0] == 1", "resource.data.l[5] == 1",
    # strings
    "'abc'.size() == 3", "'héllo'.size() == 5", "'abc'.matches('a.c')", "'abcd'.matches('a.c')",
    "'abcd'.matches('.*c.*')", "'ann@example.com'.matches('.*@example[.]com')", "'abc'.matches('^abc$')",
    "'a,b,c'.split(',').size() == 3", "'a,b,c'.split(',')[1] == 'b'", "'a1b22c'.split('[0-9]+') == ['a', 'b', 'c']",
    "'AbC'.lower() == 'abc'", "'AbC'.upper() == 'ABC'", "'  x  '.trim() == 'x'", "'aXbX'.replace('X', '-') == 'a-b-'",
    "'ab'.toUtf8() == b'ab'", "'ab'.toUtf8().size() == 2", "'abc'[1] == 'b'", "'abcdef'[1:3] == 'bc'",
    "resource.data.s.lower() == 'hello world'", "resource.data.s.split(' ')[0] == 'Hello'",
    "resource.data.s.size() == 11", "resource.data.s.matches('Hello.*')", "'abc'.matches('(')",
    # lists and sets
    "[1, 2, 3].hasAll([1, 3])", "[1, 2].hasAll([1, 5])", "[1, 2].hasAny([5, 2])", "[1, 2].hasAny([])",
    "[1, 2].hasOnly([1, 2, 3])", "[1, 4].hasOnly([1, 2])", "[].hasOnly([1])", "['a', 'b'].join('-') == 'a-b'",
    "[1].concat([2]) == [1, 2]", "[1, 2, 1].removeAll([1]) == [2]", "[1, 1, 2].toSet().size() == 2",
    "[1, 2].toSet() == [2, 1].toSet()", "[1, 2].toSet().union([3].toSet()).size() == 3",
    "[1, 2].toSet().intersection([2, 3].toSet()) == [2].toSet()",
    "[1, 2].toSet().difference([2].toSet()) == [1].toSet()", "[1, 2, 3][1:] == [2, 3]", "[1, 2, 3][:2] == [1, 2]",
    "[1, 2].toSet().hasAll([1])", "[1, 2].size() == 2", "[[1], [2]][1][0] == 2",
    # maps and diffs
    "{'a': 1, 'b': 2}.size() == 2", "{'b': 1, 'a': 2}.keys().hasAll(['a', 'b'])",
    "{'b': 1, 'a': 2}.values().hasAll([1, 2])", "{'a': 1}.get('a', 0) == 1", "{'a': 1}.get('z', 0) == 0",
    "{'a': {'b': 3}}.get(['a', 'b'], 0) == 3", "{'a': {'b': 3}}.get(['a', 'c'], 0) == 0",
    "resource.data.get('missing', 7) == 7", "resource.data.get(['m', 'b', 'c'], '') == 'x'",
    "{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3, 'c': 4}).addedKeys() == ['c'].toSet()",
    "{'a': 1, 'b': 2}.diff({'a': 1}).removedKeys() == ['b'].toSet()",
    "{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3}).changedKeys() == ['b'].toSet()",
    "{'a': 1, 'b': 2}.diff({'a': 1, 'b': 3}).unchangedKeys() == ['a'].toSet()",
    "{'a': 1, 'b': 2, 'd': 0}.diff({'a': 1, 'b': 3, 'c': 4}).affectedKeys() == ['b', 'c', 'd'].toSet()",
    "{'a': 1}.diff({'a': 1}).affectedKeys().size() == 0", "resource.data.m.keys() == ['a', 'b']",
    # numbers and conversions
    "int('42') == 42", "int(3.9) == 3", "int(-3.9) == -3", "float(2) == 2.0", "string(12) == '12'",
    "string(true) == 'true'", "string(null) == 'null'", "string(1.5) == '1.5'", "int('x') == 1",
    "math.abs(-2) == 2", "math.abs(-1.5) == 1.5", "math.ceil(1.2) == 2", "math.floor(-1.2) == -2",
    "math.round(2.5) == 3", "math.round(-2.5) == -3", "math.sqrt(16) == 4", "math.pow(2, 10) == 1024",
    "math.isNaN(math.sqrt(-1))", "math.isInfinite(1.0 / 0)", "math.ceil(1.2) is int", "math.floor(1.5) is int",
    # hashing
    "hashing.md5('abc') == hashing.md5(b'abc')", "hashing.sha256('abc').size() == 32", "hashing.md5('abc').size() == 16",
    "hashing.crc32('hello') == hashing.crc32(b'hello')", "hashing.crc32('hello') is int",
    "hashing.crc32c('hello') is int", "hashing.sha256('abc') == hashing.sha256('abd')",
    "hashing.crc32('hello') == 907060870", "hashing.crc32c('hello') == 2591144780",
    "hashing.md5('abc').toHexString() == '900150983CD24FB0D6963F7D28E17F72'",
    "b'ab'.toBase64() == 'YWI='",
    # timestamps and durations
    "timestamp.date(2024, 2, 29).year() == 2024", "timestamp.date(2024, 2, 29).month() == 2",
    "timestamp.date(2024, 2, 29).day() == 29", "timestamp.date(2024, 12, 31).dayOfYear() == 366",
    "timestamp.date(2024, 1, 1).dayOfWeek() == 1", "timestamp.date(2024, 1, 7).dayOfWeek() == 7",
    "timestamp.value(1700000000123).toMillis() == 1700000000123",
    "timestamp.value(1700000000123).nanos() == 123000000", "timestamp.value(1700000000123).hours() == 22",
    "timestamp.value(1700000000123).minutes() == 13", "timestamp.value(1700000000123).seconds() == 20",
    "timestamp.value(1700000000123).date() == timestamp.date(2023, 11, 14)",
    "timestamp.value(1700000000123).time() == duration.time(22, 13, 20, 123000000)",
    "timestamp.date(2024, 1, 1) + duration.value(1, 'd') == timestamp.date(2024, 1, 2)",
    "timestamp.date(2024, 1, 2) - timestamp.date(2024, 1, 1) == duration.value(24, 'h')",
    "timestamp.date(2024, 1, 1) - duration.value(1, 's') < timestamp.date(2024, 1, 1)",
    "duration.value(90, 's').seconds() == 90", "duration.value(1500, 'ms').nanos() == 500000000",
    "duration.value(2, 'w') == duration.value(14, 'd')", "duration.abs(duration.value(-3, 'm')).seconds() == 180",
    "duration.time(1, 2, 3, 4).seconds() == 3723", "duration.value(1, 'x') == duration.value(1, 's')",
    "resource.data.t == timestamp.date(2024, 1, 15) + duration.time(10, 30, 0, 0)",
    "resource.data.t.year() == 2024", "resource.data.t < request.time", "request.time > timestamp.date(2020, 1, 1)",
    "request.time < timestamp.date(2020, 1, 1)", "timestamp.date(2023, 2, 29) is timestamp",
    # latlng
    "latlng.value(10, 20).latitude() == 10", "latlng.value(10, 20).longitude() == 20",
    "resource.data.ll.latitude() == 10", "latlng.value(0, 0).distance(latlng.value(0, 1)) > 110000",
    "latlng.value(0, 0).distance(latlng.value(0, 1)) < 112000", "latlng.value(100, 0) is latlng",
    # paths
    "path('/databases/d/documents/a/b')[4] == 'b'", "/databases/d/documents/a/b == path('databases/d/documents/a/b')",
    "request.path == /databases/$(database)/documents/c/d1", "request.path[4] == 'd1'",
    "string(/a/b) == '/a/b'", "request.path is path",
    # auth
    "request.auth != null", "request.auth == null", "request.auth.uid == 'u1'", "request.auth.uid != null",
    "request.auth.token.email == 'ann@example.com'", "request.auth.token.email_verified",
    "request.auth.token.admin == true", "request.auth.token.get('admin', false)",
    "request.auth.token.phone_number == '+919876543210'", "request.auth.token.roles.hasAny(['editor'])",
    "request.auth.token.level >= 3", "request.auth.token.firebase.sign_in_provider == 'custom'",
    "'roles' in request.auth.token", "request.auth.token.sub == request.auth.uid",
    # debug
    "debug(1) == 1", "debug(resource.data.m).a == 1", "debug(request.auth) != null",
    # functions, let bindings, calls
    "f1(2)", "f1(0)", "f2()", "f3(resource.data.n)", "nope(1)", "f1(resource.data.missing)",
]

FUNCTIONS = """    function f1(x) { return x > 1; }
    function f2() { let a = 2; let b = a * 3; return b == 6; }
    function f3(n) { return f1(n) && n < 10; }
"""


def expression_cases():
    cases = []
    for i, expr in enumerate(EXPRESSIONS):
        for user in (["anon", "u1"] if "auth" in expr or i % 2 == 0 else ["u1"]):
            cases.append({
                "name": f"expr:{expr} [{user}]",
                "rules": rules(FUNCTIONS + "    match /c/{id} {\n      allow get: if " + expr + ";\n    }\n"),
                "docs": {"c/d1": D1, "c/d2": {"x": I(1)}},
                "user": user,
                "requests": [{"op": "get", "path": "c/d1"}],
            })
    return cases


def rule_case(name, body, requests, docs=None, users=("anon", "u1", "u2")):
    return [{"name": f"{name} [{u}]", "rules": rules(body), "docs": docs or {}, "user": u,
             "requests": requests} for u in users]


def request_model_cases():
    owned = {"c/d1": {"owner": S("u1"), "n": I(5)}, "c/d2": {"owner": S("u2"), "n": I(7)},
             "c/d3": {"owner": S("u1"), "n": I(1)}}
    out = []
    by_method = "    match /c/{id} {\n      allow read, write: if request.method == '%s';\n    }\n"
    reqs = [{"op": "get", "path": "c/d1"}, {"op": "query", "collection": "c"},
            {"op": "create", "path": "c/new", "data": {"n": I(1)}},
            {"op": "set", "path": "c/d1", "data": {"n": I(9)}},
            {"op": "delete", "path": "c/d3"}]
    for m in ["get", "list", "create", "update", "delete"]:
        out += rule_case(f"request.method == {m}", by_method % m, reqs, owned, users=("u1",))
    # read/write groups and individual methods
    for grant in ["read", "write", "get", "list", "create", "update", "delete", "read, write", "get, create", "list, delete"]:
        out += rule_case(f"allow {grant}", "    match /c/{id} {\n      allow %s: if true;\n    }\n" % grant,
                         reqs, owned, users=("u1",))
    # ownership
    own = "    match /c/{id} {\n      allow get, update, delete: if request.auth != null && resource.data.owner == request.auth.uid;\n      allow create: if request.resource.data.owner == request.auth.uid;\n    }\n"
    out += rule_case("ownership", own, [
        {"op": "get", "path": "c/d1"}, {"op": "get", "path": "c/d2"}, {"op": "get", "path": "c/missing"},
        {"op": "create", "path": "c/mine", "data": {"owner": S("u1")}},
        {"op": "create", "path": "c/theirs", "data": {"owner": S("u2")}},
        {"op": "patch", "path": "c/d1", "data": {"n": I(6)}, "mask": ["n"]},
        {"op": "delete", "path": "c/d2"}], owned)
    # request.resource and diffs
    diff = ("    match /c/{id} {\n      allow get: if true;\n"
            "      allow update: if request.resource.data.diff(resource.data).affectedKeys().hasOnly(['n'])"
            " && request.resource.data.n > resource.data.n;\n"
            "      allow create: if request.resource.data.keys().hasOnly(['n', 'owner']) && request.resource.data.n is int;\n    }\n")
    out += rule_case("diff and request.resource", diff, [
        {"op": "patch", "path": "c/d1", "data": {"n": I(6)}, "mask": ["n"]},
        {"op": "patch", "path": "c/d1", "data": {"n": I(2)}, "mask": ["n"]},
        {"op": "patch", "path": "c/d1", "data": {"owner": S("u9")}, "mask": ["owner"]},
        {"op": "set", "path": "c/d2", "data": {"n": I(8), "owner": S("u2")}},
        {"op": "set", "path": "c/d3", "data": {"n": I(8)}},
        {"op": "create", "path": "c/x1", "data": {"n": I(1)}},
        {"op": "create", "path": "c/x2", "data": {"n": S("1")}},
        {"op": "create", "path": "c/x3", "data": {"n": I(1), "extra": B(True)}}], owned, users=("u1",))
    # server timestamps and transforms
    ts = ("    match /c/{id} {\n      allow create, update: if request.resource.data.ts == request.time"
          " && request.resource.data.get('count', 0) <= 10;\n    }\n")
    out += rule_case("server timestamp and transforms", ts, [
        {"op": "commit", "writes": [{"path": "c/t1", "data": {"a": I(1)}, "transforms": [["ts", "server"]]}]},
        {"op": "commit", "writes": [{"path": "c/t2", "data": {"ts": T("2020-01-01T00:00:00Z")}}]},
        {"op": "commit", "writes": [{"path": "c/d1", "data": {"count": I(9)}, "mask": ["count"],
                                      "transforms": [["ts", "server"], ["count", "inc", 1]]}]},
        {"op": "commit", "writes": [{"path": "c/d1", "data": {"count": I(10)}, "mask": ["count"],
                                      "transforms": [["ts", "server"], ["count", "inc", 1]]}]},
        {"op": "commit", "writes": [{"path": "c/t3", "data": {}, "transforms": [["ts", "server"], ["count", "inc", 3]]}]},
    ], owned, users=("u1",))
    # request.path and wildcards
    wc = ("    match /users/{uid}/items/{item} {\n      allow read, write: if request.auth.uid == uid && item.size() < 5"
          " && request.path == /databases/$(database)/documents/users/$(uid)/items/$(item);\n    }\n")
    out += rule_case("wildcards and request.path", wc, [
        {"op": "get", "path": "users/u1/items/i1"}, {"op": "get", "path": "users/u1/items/longid"},
        {"op": "get", "path": "users/u2/items/i1"}, {"op": "create", "path": "users/u1/items/i2", "data": {}},
        {"op": "query", "collection": "users/u1/items"}, {"op": "query", "collection": "users/u2/items"}],
        {"users/u1/items/i1": {"a": I(1)}, "users/u2/items/i1": {"a": I(2)}, "users/u1/items/longid": {"a": I(3)}})
    rest = ("    match /r/{doc=**} {\n      allow read: if doc.size() >= 2 && doc[0] == 'a';\n    }\n")
    out += rule_case("recursive wildcard binds a path", rest, [
        {"op": "get", "path": "r/a"}, {"op": "get", "path": "r/a/sub/b"}, {"op": "get", "path": "r/b/sub/c"},
        {"op": "get", "path": "r/a/sub/b/deeper/c"}],
        {"r/a": {"x": I(1)}, "r/a/sub/b": {"x": I(1)}, "r/b/sub/c": {"x": I(1)}}, users=("u1",))
    # nested matches and overlapping allows
    nested = ("    match /p/{pid} {\n      allow read: if pid == 'open';\n"
              "      match /q/{qid} {\n        allow read: if pid == qid;\n      }\n    }\n"
              "    match /{all=**} {\n      allow get: if request.auth.uid == 'u2';\n    }\n")
    out += rule_case("nested matches and overlap", nested, [
        {"op": "get", "path": "p/open"}, {"op": "get", "path": "p/closed"}, {"op": "get", "path": "p/x/q/x"},
        {"op": "get", "path": "p/x/q/y"}, {"op": "query", "collection": "p"}, {"op": "get", "path": "other/z"}],
        {"p/open": {"a": I(1)}, "p/closed": {"a": I(1)}, "p/x/q/x": {"a": I(1)}, "p/x/q/y": {"a": I(1)}})
    # get / exists / getAfter / existsAfter
    lookups = ("    match /c/{id} {\n"
               "      allow get: if get(/databases/$(database)/documents/members/$(request.auth.uid)).data.role == 'reader';\n"
               "      allow list: if exists(/databases/$(database)/documents/members/$(request.auth.uid));\n"
               "      allow create: if getAfter(/databases/$(database)/documents/counters/$(id)).data.n == 1;\n"
               "      allow delete: if !existsAfter(/databases/$(database)/documents/counters/$(id));\n    }\n"
               "    match /counters/{id} {\n      allow write: if true;\n    }\n")
    out += rule_case("get exists getAfter existsAfter", lookups, [
        {"op": "get", "path": "c/d1"}, {"op": "query", "collection": "c"},
        {"op": "commit", "writes": [{"path": "c/k1", "data": {"a": I(1)}}, {"path": "counters/k1", "data": {"n": I(1)}}]},
        {"op": "commit", "writes": [{"path": "c/k2", "data": {"a": I(1)}}]},
        {"op": "commit", "writes": [{"path": "c/k3", "data": {"a": I(1)}}, {"path": "counters/k3", "data": {"n": I(2)}}]},
        {"op": "commit", "writes": [{"delete": "c/d1"}, {"delete": "counters/d1"}]},
        {"op": "commit", "writes": [{"delete": "c/d2"}]}],
        {"c/d1": {"a": I(1)}, "c/d2": {"a": I(2)}, "members/u1": {"role": S("reader")},
         "members/u2": {"role": S("writer")}, "counters/d1": {"n": I(1)}, "counters/d2": {"n": I(1)}})
    many = "".join(f" && exists(/databases/$(database)/documents/x/e{i})" for i in range(11))
    out += rule_case("access limit per request", "    match /c/{id} {\n      allow get: if true%s;\n"
                     "      allow list: if true%s;\n    }\n" % (many[:-len(" && exists(/databases/$(database)/documents/x/e10)")], many),
                     [{"op": "get", "path": "c/d1"}, {"op": "query", "collection": "c"}],
                     dict({"c/d1": {"a": I(1)}}, **{f"x/e{i}": {"a": I(i)} for i in range(11)}), users=("u1",))
    return out


def query_cases():
    docs = {f"q/d{i}": {"owner": S("u1" if i % 2 else "u2"), "n": I(i), "tags": A(S("t%d" % (i % 3))),
                        "status": S("open" if i < 5 else "closed")} for i in range(1, 9)}
    docs.update({"g/a/sub/s1": {"owner": S("u1"), "n": I(1)}, "g/b/sub/s2": {"owner": S("u2"), "n": I(2)},
                 "h/h1/sub/x": {"owner": S("u1"), "n": I(3)}})
    out = []

    def q(where=None, limit=None, order=None, collection="q", group=False, agg=False, offset=None):
        r = {"op": "aggregate" if agg else "query", "collection": collection}
        if where: r["where"] = where
        if limit is not None: r["limit"] = limit
        if order: r["orderBy"] = order
        if group: r["group"] = True
        if offset is not None: r["offset"] = offset
        return r

    owner_rule = "    match /q/{id} {\n      allow list: if resource.data.owner == request.auth.uid;\n    }\n"
    out += rule_case("rules are not filters: owner", owner_rule, [
        q(), q([["owner", "==", S("u1")]]), q([["owner", "==", S("u2")]]),
        q([["owner", "in", A(S("u1"))]]), q([["owner", "in", A(S("u1"), S("u2"))]]),
        q([["owner", "==", S("u1")], ["n", ">", I(2)]]), q([["n", ">", I(2)]]),
        q([["owner", "==", S("u1")]], agg=True), q(agg=True), q([["owner", "!=", S("u2")]]),
        q([["owner", "==", S("u1")]], limit=2, order=[["n", "DESCENDING"]])], docs)
    range_rule = "    match /q/{id} {\n      allow list: if resource.data.n > 3;\n    }\n"
    out += rule_case("range constraints", range_rule, [
        q([["n", ">", I(5)]]), q([["n", ">", I(3)]]), q([["n", ">=", I(3)]]), q([["n", ">=", I(4)]]),
        q([["n", ">", I(2)]]), q([["n", "==", I(7)]]), q([["n", "==", I(3)]]), q([["n", "in", A(I(4), I(6))]]),
        q([["n", "in", A(I(1), I(6))]]), q([["n", "<", I(10)]]), q([["n", ">", I(4)], ["n", "<", I(8)]]),
        q([["n", ">", F(3.5)]]), q([["n", "not-in", A(I(1), I(2))]])], docs, users=("u1",))
    range2 = "    match /q/{id} {\n      allow list: if resource.data.n <= 5 && resource.data.n != 2;\n    }\n"
    out += rule_case("upper bounds and exclusions", range2, [
        q([["n", "<", I(5)]]), q([["n", "<=", I(5)]]), q([["n", "<=", I(6)]]), q([["n", "==", I(2)]]),
        q([["n", "==", I(4)]]), q([["n", "<", I(2)]]), q([["n", ">", I(2)], ["n", "<", I(5)]])], docs, users=("u1",))
    limit_rule = "    match /q/{id} {\n      allow list: if request.query.limit <= 3;\n    }\n"
    out += rule_case("request.query.limit", limit_rule, [q(limit=2), q(limit=3), q(limit=4), q()], docs, users=("u1",))
    offset_rule = "    match /q/{id} {\n      allow list: if request.query.offset == 0;\n    }\n"
    out += rule_case("request.query.offset", offset_rule, [q(offset=1, limit=2), q(limit=2)], docs, users=("u1",))
    order_rule = "    match /q/{id} {\n      allow list: if request.query.orderBy.n == 'DESC';\n    }\n"
    out += rule_case("request.query.orderBy", order_rule, [q(order=[["n", "DESCENDING"]]), q(order=[["n", "ASCENDING"]]), q()],
                     docs, users=("u1",))
    contains_rule = "    match /q/{id} {\n      allow list: if 't1' in resource.data.tags;\n    }\n"
    out += rule_case("array-contains", contains_rule, [
        q([["tags", "array-contains", S("t1")]]), q([["tags", "array-contains", S("t2")]]), q()], docs, users=("u1",))
    status_rule = ("    match /q/{id} {\n      allow list: if resource.data.status == 'open' || request.auth.uid == 'u2';\n    }\n")
    out += rule_case("equality or auth", status_rule, [
        q([["status", "==", S("open")]]), q([["status", "==", S("closed")]]), q(),
        q([["status", "in", A(S("open"), S("closed"))]])], docs)
    group_rule = ("    match /{path=**}/sub/{id} {\n      allow list: if resource.data.owner == request.auth.uid;\n    }\n"
                  "    match /g/{g}/sub/{id} {\n      allow read: if request.auth.uid == 'u2';\n    }\n")
    out += rule_case("collection group", group_rule, [
        q([["owner", "==", S("u1")]], collection="sub", group=True), q(collection="sub", group=True),
        q(collection="g/a/sub"), q([["owner", "==", S("u1")]], collection="g/a/sub")], docs)
    get_rule = "    match /q/{id} {\n      allow get: if resource.data.n > 3;\n      allow list: if false;\n    }\n"
    out += rule_case("get versus list", get_rule, [
        {"op": "get", "path": "q/d5"}, {"op": "get", "path": "q/d1"}, {"op": "get", "path": "q/none"},
        {"op": "batchGet", "paths": ["q/d5", "q/d6"]}, {"op": "batchGet", "paths": ["q/d5", "q/d1"]},
        q([["n", ">", I(5)]])], docs, users=("u1",))
    return out


def write_cases():
    docs = {"w/a": {"v": I(1), "owner": S("u1")}, "w/b": {"v": I(2), "owner": S("u2")}}
    out = []
    rule = ("    match /w/{id} {\n      allow read: if true;\n      allow create: if request.resource.data.v < 10;\n"
            "      allow update: if request.resource.data.v > resource.data.v && resource.data.owner == request.auth.uid;\n"
            "      allow delete: if resource.data.owner == request.auth.uid;\n    }\n")
    out += rule_case("batches are all or nothing", rule, [
        {"op": "commit", "writes": [{"path": "w/c", "data": {"v": I(3)}}, {"path": "w/d", "data": {"v": I(4)}}]},
        {"op": "commit", "writes": [{"path": "w/e", "data": {"v": I(3)}}, {"path": "w/f", "data": {"v": I(40)}}]},
        {"op": "commit", "writes": [{"path": "w/a", "data": {"v": I(5)}, "mask": ["v"]}, {"delete": "w/b"}]},
        {"op": "commit", "writes": [{"path": "w/a", "data": {"v": I(6)}, "mask": ["v"]}, {"path": "w/a", "data": {"v": I(7)}, "mask": ["v"]}]},
        {"op": "delete", "path": "w/a"}, {"op": "delete", "path": "w/zzz"},
        {"op": "create", "path": "w/a", "data": {"v": I(1)}},
        {"op": "transaction", "reads": ["w/a"], "writes": [{"path": "w/a", "data": {"v": I(8)}, "mask": ["v"]}]},
        {"op": "transaction", "reads": ["w/b"], "writes": [{"path": "w/b", "data": {"v": I(9)}, "mask": ["v"]}]},
    ], docs)
    exists_rule = ("    match /w/{id} {\n      allow read: if true;\n      allow write: if request.resource == null || "
                   "request.resource.data.size() < 3;\n    }\n")
    out += rule_case("request.resource on delete", exists_rule, [
        {"op": "delete", "path": "w/a"}, {"op": "create", "path": "w/n1", "data": {"a": I(1), "b": I(2)}},
        {"op": "create", "path": "w/n2", "data": {"a": I(1), "b": I(2), "c": I(3)}}], docs, users=("u1",))
    return out


def all_cases():
    cases = expression_cases() + request_model_cases() + query_cases() + write_cases()
    for i, c in enumerate(cases):
        c["id"] = i
    return cases


# --------------------------------------------------------------------------- running a case

def value_json(v):
    return v


def run_case(session, base, case, project):
    """Plays `case` against the server at `base` in `project`; returns the outcome per request."""
    owner = {"Authorization": "Bearer owner"}
    session.delete(f"{base}/emulator/v1/projects/{project}/databases/(default)/documents", timeout=30)
    r = session.put(f"{base}/emulator/v1/projects/{project}:securityRules",
                    json={"rules": {"files": [{"name": "firestore.rules", "content": case["rules"]}]}}, timeout=30)
    if r.status_code != 200:
        # The position of the first compile error (production also lists unused functions then).
        lines = [l for l in r.json().get("error", {}).get("message", "").split("\n")[1:] if "Unused function" not in l]
        return {"rulesStatus": r.status_code, "rulesError": lines[0].split(" ")[0] if lines else None}
    root = f"{base}/v1/projects/{project}/databases/(default)/documents"
    name_root = f"projects/{project}/databases/(default)/documents"
    for path, fields in case["docs"].items():
        w = session.patch(f"{root}/{path}", json={"fields": fields}, headers=owner, timeout=30)
        assert w.status_code == 200, w.text
    user = USERS[case["user"]]
    headers = {"Authorization": "Bearer " + token(user)} if user else {}
    results = []
    for req in case["requests"]:
        results.append(play(session, root, name_root, req, headers, owner))
    return {"results": results}


def write_json(w, name_root):
    if "delete" in w:
        return {"delete": f"{name_root}/{w['delete']}"}
    out = {"update": {"name": f"{name_root}/{w['path']}", "fields": w.get("data", {})}}
    if "mask" in w:
        out["updateMask"] = {"fieldPaths": w["mask"]}
    transforms = []
    for t in w.get("transforms", []):
        if t[1] == "server":
            transforms.append({"fieldPath": t[0], "setToServerValue": "REQUEST_TIME"})
        elif t[1] == "inc":
            transforms.append({"fieldPath": t[0], "increment": I(t[2])})
    if transforms:
        out["updateTransforms"] = transforms
    return out


def names(docs, name_root):
    return sorted(d["name"][len(name_root) + 1:] for d in docs)


def owner_state(session, root, name_root, paths, owner):
    state = {}
    for p in sorted(set(paths)):
        r = session.get(f"{root}/{p}", headers=owner, timeout=30)
        state[p] = r.json().get("fields") if r.status_code == 200 else None
    return state


def query_json(req):
    parts = req["collection"].split("/")
    q = {"from": [{"collectionId": parts[-1], "allDescendants": bool(req.get("group"))}]}
    ops = {"==": "EQUAL", "!=": "NOT_EQUAL", "<": "LESS_THAN", "<=": "LESS_THAN_OR_EQUAL", ">": "GREATER_THAN",
           ">=": "GREATER_THAN_OR_EQUAL", "in": "IN", "not-in": "NOT_IN", "array-contains": "ARRAY_CONTAINS"}
    filters = [{"fieldFilter": {"field": {"fieldPath": f}, "op": ops[op], "value": v}} for f, op, v in req.get("where", [])]
    if len(filters) == 1:
        q["where"] = filters[0]
    elif filters:
        q["where"] = {"compositeFilter": {"op": "AND", "filters": filters}}
    if "limit" in req:
        q["limit"] = req["limit"]
    if "offset" in req:
        q["offset"] = req["offset"]
    if "orderBy" in req:
        q["orderBy"] = [{"field": {"fieldPath": f}, "direction": d} for f, d in req["orderBy"]]
    return "/".join(parts[:-1]), q


def play(session, root, name_root, req, headers, owner):
    op = req["op"]
    if op == "get":
        r = session.get(f"{root}/{req['path']}", headers=headers, timeout=30)
        return {"status": r.status_code, "docs": names([r.json()], name_root) if r.status_code == 200 else None}
    if op == "batchGet":
        r = session.post(f"{root}:batchGet", headers=headers, timeout=30,
                         json={"documents": [f"{name_root}/{p}" for p in req["paths"]]})
        docs = [x["found"] for x in r.json() if "found" in x] if r.status_code == 200 else None
        return {"status": r.status_code, "docs": names(docs, name_root) if docs is not None else None}
    if op in ("query", "aggregate"):
        parent, q = query_json(req)
        url = f"{root}/{parent}" if parent else root
        if op == "query":
            r = session.post(f"{url}:runQuery", json={"structuredQuery": q}, headers=headers, timeout=30)
            docs = [x["document"] for x in r.json() if "document" in x] if r.status_code == 200 else None
            return {"status": r.status_code, "docs": names(docs, name_root) if docs is not None else None}
        r = session.post(f"{url}:runAggregationQuery", headers=headers, timeout=30, json={
            "structuredAggregationQuery": {"structuredQuery": q, "aggregations": [{"alias": "n", "count": {}}]}})
        count = None
        if r.status_code == 200:
            count = [x["result"]["aggregateFields"]["n"]["integerValue"] for x in r.json() if "result" in x]
        return {"status": r.status_code, "count": count}
    if op in ("create", "set", "patch", "delete", "commit", "transaction"):
        if op == "create":
            coll, _, doc_id = req["path"].rpartition("/")
            r = session.post(f"{root}/{coll}?documentId={doc_id}", json={"fields": req["data"]}, headers=headers, timeout=30)
            touched = [req["path"]]
        elif op in ("set", "patch"):
            params = [("updateMask.fieldPaths", m) for m in req.get("mask", [])]
            r = session.patch(f"{root}/{req['path']}", params=params, json={"fields": req["data"]}, headers=headers, timeout=30)
            touched = [req["path"]]
        elif op == "delete":
            r = session.delete(f"{root}/{req['path']}", headers=headers, timeout=30)
            touched = [req["path"]]
        elif op == "commit":
            r = session.post(f"{root}:commit", headers=headers, timeout=30,
                             json={"writes": [write_json(w, name_root) for w in req["writes"]]})
            touched = [w.get("path") or w.get("delete") for w in req["writes"]]
        else:
            b = session.post(f"{root}:beginTransaction", json={}, headers=headers, timeout=30)
            if b.status_code != 200:
                return {"status": b.status_code, "stage": "begin"}
            tx = b.json()["transaction"]
            for p in req["reads"]:
                # (a GET with ?transaction= hangs on the official emulator; batchGet carries it)
                g = session.post(f"{root}:batchGet", headers=headers, timeout=30,
                                 json={"documents": [f"{name_root}/{p}"], "transaction": tx})
                if g.status_code != 200:
                    session.post(f"{root}:rollback", json={"transaction": tx}, headers=headers, timeout=30)
                    return {"status": g.status_code, "stage": "read",
                            "state": owner_state(session, root, name_root, req["reads"], owner)}
            r = session.post(f"{root}:commit", headers=headers, timeout=30, json={
                "transaction": tx, "writes": [write_json(w, name_root) for w in req["writes"]]})
            touched = [w.get("path") or w.get("delete") for w in req["writes"]]
        state = owner_state(session, root, name_root, touched, owner)
        # Server-set values differ between runs: keep only which fields exist and stable values.
        for p, fields in state.items():
            if fields:
                for k, v in list(fields.items()):
                    if "timestampValue" in v:
                        fields[k] = {"timestampValue": "<set>"}
        return {"status": r.status_code, "state": state}
    raise ValueError(op)


def record(base, out_path):
    import requests
    session = requests.Session()
    cases = all_cases()
    for c in cases:
        c["expected"] = run_case(session, base, c, f"rules-corpus-{c['id']}")
        sys.stderr.write(".")
        sys.stderr.flush()
    with open(out_path, "w") as f:
        json.dump({"source": "cloud-firestore-emulator (official)", "cases": cases}, f, indent=1, sort_keys=True)
        f.write("\n")
    sys.stderr.write(f"\nrecorded {len(cases)} cases\n")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--record":
        record(sys.argv[2], os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules_corpus.json"))
    else:
        print(len(all_cases()), "cases")
