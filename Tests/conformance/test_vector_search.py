"""Vector search (``findNearest``) through the REST ``:runQuery`` / ``:runAggregationQuery`` bodies
and through the Python SDK's ``find_nearest`` over gRPC.

Differential (Flint vs the official emulator, skipped when the emulator is not installed; with
``DIFF_SELF_TEST=1`` official vs official): the same data set is loaded into the same project on
both, then every case is sent to both.  Compared: the HTTP status; for errors the code, status and
message (Flint's message starts with the official text and may go on to name the field); for
results the documents' names and stored fields, in order, with the distances equal to 1e-9
relative (documents whose distances are that close may come in either order).

Conformance (the ``server`` fixture: Flint, or the official emulator with
``CONFORMANCE_TARGET=official``): expected answers written out, the SDK over gRPC, transactions.
``flint_only`` tests pin where Flint deliberately differs from the official emulator: a nested
vector field is searched (the emulator finds no candidate), and ``distanceResultField`` is a field
path (the emulator writes one top-level field named by the whole string).
"""

import json
import math
import os
import random

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.base_vector_query import DistanceMeasure
from google.cloud.firestore_v1.vector import Vector

import conftest
from conftest import OWNER, new_project

MEASURES = ["EUCLIDEAN", "COSINE", "DOT_PRODUCT"]
SDK_MEASURES = {"EUCLIDEAN": DistanceMeasure.EUCLIDEAN, "COSINE": DistanceMeasure.COSINE,
                "DOT_PRODUCT": DistanceMeasure.DOT_PRODUCT}
TOLERANCE = 1e-9

# --------------------------------------------------------------------------- values and data


def s(x):
    return {"stringValue": x}


def i(x):
    return {"integerValue": str(x)}


def d(x):
    return {"doubleValue": x}


def vec(*xs):
    return {"mapValue": {"fields": {"__type__": s("__vector__"),
                                    "value": {"arrayValue": {"values": [d(float(x)) for x in xs]}}}}}


def vector_map(values, **extra):
    fields = {"__type__": s("__vector__"), **extra}
    if values is not None:
        fields["value"] = {"arrayValue": {"values": values}}
    return {"mapValue": {"fields": fields}}


Q1 = [0.5, -0.25, 0.75, 0.1]
Q2 = [-1.0, 0.0, 0.5, 0.5]
CATEGORIES = ["red", "green", "blue"]


def dataset():
    """(path, fields): 60 four-dimensional vectors with a category and mostly an `n`, exact
    duplicates (ties), a zero vector, values that are not candidates, and nested collections."""
    rnd = random.Random(20261201)
    docs = []
    for k in range(60):
        fields = {"v": vec(*[round(rnd.uniform(-1, 1), 2) for _ in range(4)]), "cat": s(CATEGORIES[k % 3])}
        if k % 11:
            fields["n"] = i(k % 7)
        docs.append((f"vs/d{k:02}", fields))
    twin = dict(docs[5][1])
    docs += [("vs/twinA", twin), ("vs/twinB", dict(twin))]
    docs += [
        ("vs/zero", {"v": vec(0, 0, 0, 0), "cat": s("red"), "n": i(1)}),
        ("vs/dim3", {"v": vec(0.5, -0.25, 0.75), "cat": s("red"), "n": i(2)}),
        ("vs/array", {"v": {"arrayValue": {"values": [d(0.5), d(-0.25), d(0.75), d(0.1)]}}, "cat": s("red")}),
        ("vs/text", {"v": s("not a vector"), "cat": s("red")}),
        ("vs/none", {"cat": s("red"), "n": i(3)}),
        ("vs/d00/vs/sub1", {"v": vec(0.5, -0.25, 0.7, 0.1), "cat": s("red")}),
        ("other/x/vs/sub2", {"v": vec(-1, 0, 0.5, 0.4), "cat": s("blue")}),
    ]
    return docs


def load(base, project, docs):
    root = f"projects/{project}/databases/(default)/documents"
    writes = [{"update": {"name": f"{root}/{p}", "fields": f}} for p, f in docs]
    with requests.Session() as sess:
        for start in range(0, len(writes), 200):
            r = sess.post(f"{base}/v1/projects/{project}/databases/(default)/documents:commit",
                          json={"writes": writes[start:start + 200]}, headers=OWNER, timeout=conftest.HTTP_TIMEOUT)
            assert r.status_code == 200, r.text


# --------------------------------------------------------------------------- query bodies


def F(path, op, value):
    return {"fieldFilter": {"field": {"fieldPath": path}, "op": op, "value": value}}


def OR(*filters):
    return {"compositeFilter": {"op": "OR", "filters": list(filters)}}


def nearest(query=Q1, measure="EUCLIDEAN", limit=10, field="v", result="dist", threshold=None, **find):
    f = {"vectorField": {"fieldPath": field}, "queryVector": vec(*query) if isinstance(query, list) else query,
         "distanceMeasure": measure}
    if limit is not None:
        f["limit"] = limit
    if result:
        f["distanceResultField"] = result
    if threshold is not None:
        f["distanceThreshold"] = threshold
    f.update(find)
    return f


def SQ(find, coll="vs", all_descendants=False, **clauses):
    q = {"from": [{"collectionId": coll, **({"allDescendants": True} if all_descendants else {})}], "findNearest": find}
    q.update(clauses)
    return q


THRESHOLDS = {"EUCLIDEAN": 1.2, "COSINE": 0.5, "DOT_PRODUCT": 0.2}
RED = F("cat", "EQUAL", s("red"))


def result_cases():
    cases = []
    for m in MEASURES:
        for qn, qv in (("q1", Q1), ("q2", Q2)):
            base = f"{m.lower()}_{qn}"
            cases += [
                (f"{base}_top10", SQ(nearest(qv, m))),
                (f"{base}_top1", SQ(nearest(qv, m, limit=1))),
                (f"{base}_all", SQ(nearest(qv, m, limit=1000))),
                (f"{base}_red", SQ(nearest(qv, m), where=RED)),
                (f"{base}_in", SQ(nearest(qv, m), where=F("cat", "IN", {"arrayValue": {"values": [s("green"), s("blue")]}}))),
                (f"{base}_or", SQ(nearest(qv, m), where=OR(RED, F("n", "EQUAL", i(3))))),
                (f"{base}_range", SQ(nearest(qv, m), where=F("n", "GREATER_THAN", i(2)))),
                (f"{base}_order_n_desc", SQ(nearest(qv, m, limit=20), orderBy=[{"field": {"fieldPath": "n"}, "direction": "DESCENDING"}])),
                (f"{base}_threshold", SQ(nearest(qv, m, limit=1000, threshold=THRESHOLDS[m]))),
                (f"{base}_threshold_red", SQ(nearest(qv, m, threshold=THRESHOLDS[m]), where=RED)),
                (f"{base}_group", SQ(nearest(qv, m, limit=5), all_descendants=True)),
            ]
    cases += [
        ("no_result_field", SQ(nearest(limit=3, result=None))),
        ("result_field_replaces_n", SQ(nearest(limit=3, result="n"))),
        ("select_without_distance", SQ(nearest(limit=3), select={"fields": [{"fieldPath": "cat"}]})),
        ("select_with_distance", SQ(nearest(limit=3), select={"fields": [{"fieldPath": "dist"}]})),
        ("three_dimensions", SQ(nearest([0.5, -0.25, 0.75]))),
        ("no_such_dimension", SQ(nearest([1, 2, 3, 4, 5]))),
        ("nan_query_vector", SQ(nearest(vector_map([d("NaN"), d(0), d(0), d(0)]), limit=5))),
        ("zero_threshold", SQ(nearest(limit=1000, threshold=0))),
        ("order_by_missing_field", SQ(nearest(), orderBy=[{"field": {"fieldPath": "nope"}}])),
        ("name_field_is_no_vector", SQ(nearest(field="__name__"))),
    ]
    return cases


def error_cases():
    U = "DISTANCE_MEASURE_UNSPECIFIED"
    return [
        ("limit_missing", SQ(nearest(limit=None))),
        ("limit_zero", SQ(nearest(limit=0))),
        ("limit_1001", SQ(nearest(limit=1001))),
        ("measure_unspecified", SQ(nearest(measure=U))),
        ("measure_missing", SQ({k: v for k, v in nearest().items() if k != "distanceMeasure"})),
        ("field_missing", SQ({k: v for k, v in nearest().items() if k != "vectorField"})),
        ("field_invalid", SQ(nearest(field="a..b"))),
        ("vector_missing", SQ({k: v for k, v in nearest().items() if k != "queryVector"})),
        ("vector_is_array", SQ(nearest({"arrayValue": {"values": [d(1.0)]}}))),
        ("vector_is_string", SQ(nearest(s("x")))),
        ("vector_is_map", SQ(nearest({"mapValue": {"fields": {"a": d(1.0)}}}))),
        ("vector_empty", SQ(nearest(vector_map([])))),
        ("vector_integers", SQ(nearest(vector_map([i(1), i(0)])))),
        ("vector_2049", SQ(nearest(vector_map([d(1.0)] * 2049)))),
        ("vector_without_value", SQ(nearest(vector_map(None)))),
        ("vector_extra_entry", SQ(nearest(vector_map([d(1.0)], x=i(1))))),
        ("threshold_nan", SQ(nearest(threshold="NaN"))),
        ("threshold_infinite", SQ(nearest(threshold="-Infinity", measure="DOT_PRODUCT"))),
        ("result_reserved", SQ(nearest(result="__name__"))),
        ("offset", SQ(nearest(), offset=1)),
        ("query_limit", SQ(nearest(), limit=3)),
        ("cursor", SQ(nearest(), orderBy=[{"field": {"fieldPath": "n"}}], startAt={"values": [i(1)]})),
        ("descending_key_scan", SQ(nearest(), orderBy=[{"field": {"fieldPath": "__name__"}, "direction": "DESCENDING"}])),
        ("vector_checked_before_limit", SQ(nearest(s("x"), limit=0))),
        ("limit_checked_before_measure", SQ(nearest(limit=0, measure=U))),
        ("offset_checked_before_threshold", SQ(nearest(threshold="NaN"), offset=1)),
    ]


def aggregation_cases():
    return [
        ("count_top5", SQ(nearest(limit=5)), [{"alias": "c", "count": {}}]),
        ("count_threshold", SQ(nearest(limit=1000, threshold=1.0)), [{"alias": "c", "count": {}}]),
        ("sum_avg_n_top5", SQ(nearest(limit=5, measure="COSINE")),
         [{"alias": "s", "sum": {"field": {"fieldPath": "n"}}}, {"alias": "a", "avg": {"field": {"fieldPath": "n"}}}]),
        ("count_red", SQ(nearest(limit=8, measure="DOT_PRODUCT"), where=RED), [{"alias": "c", "count": {"upTo": 5}}]),
    ]


# --------------------------------------------------------------------------- comparing


def post(server, project, verb, body):
    return requests.post(f"{server.base}/v1/projects/{project}/databases/(default)/documents{verb}",
                         data=json.dumps(body), headers={**OWNER, "Content-Type": "application/json"},
                         timeout=conftest.HTTP_TIMEOUT)


def ranked(resp, project, dist="dist"):
    """[(name below the root, fields without the distance, distance or None)] of a runQuery answer."""
    root = f"projects/{project}/databases/(default)/documents/"
    out = []
    for el in resp.json():
        if "document" not in el:
            continue
        doc = el["document"]
        fields = dict(doc.get("fields", {}))
        value = fields.pop(dist, {}).get("doubleValue") if dist else None
        out.append((doc["name"][len(root):], fields, None if value is None else float(value)))
    return out


def same_distance(a, b):
    if a is None or b is None:
        return a is b
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def assert_same_ranking(left, right, label=""):
    """Same documents, fields and distances in the same order. Documents whose distances agree
    only to the tolerance may swap (the two servers round differently); exact ties on both sides
    (e.g. equal vectors) must come in the same order (the query's order breaks them)."""
    assert len(left) == len(right), f"{label}: {len(left)} vs {len(right)} documents\n{left}\n{right}"
    for n, ((_, lf, ld), (_, rf, rd)) in enumerate(zip(left, right)):
        assert same_distance(ld, rd), f"{label}: distance #{n} {ld} vs {rd}\n{left}\n{right}"
    run = 0
    while run < len(left):
        end = run + 1
        while end < len(left) and same_distance(left[end][2], left[run][2]):
            end += 1
        exact = all(len({repr(x[2]) for x in side[run:end]}) == 1 for side in (left, right))
        group = lambda side: [(name, json.dumps(f, sort_keys=True)) for name, f, _ in side[run:end]]
        a, b = (group(left), group(right)) if exact else (sorted(group(left)), sorted(group(right)))
        assert a == b, f"{label}: documents #{run}..{end - 1} differ\n{left}\n{right}"
        run = end


def assert_same_error(flint, official, label=""):
    assert flint.status_code == official.status_code, f"{label}: {flint.status_code} {flint.text} vs {official.text}"
    a, b = flint.json()["error"], official.json()["error"]
    assert (a["code"], a["status"]) == (b["code"], b["status"]), f"{label}: {a} vs {b}"
    assert a["message"].startswith(b["message"].rstrip(".")), f"{label}: {a['message']!r} vs {b['message']!r}"


# --------------------------------------------------------------------------- differential


def _flint_available():
    p = os.environ.get("FLINT_BIN") or os.path.join(conftest.REPO_ROOT, ".build", "debug", "flint")
    return os.access(p if os.path.isabs(p) else os.path.join(conftest.REPO_ROOT, p), os.X_OK)


@pytest.fixture(scope="module")
def sides():
    """(left, right, project): Flint (or a second official emulator under DIFF_SELF_TEST) and the
    official emulator, each holding the data set in the same fresh project."""
    right = conftest._server("official")
    if conftest.diff_self_test():
        left = conftest._server("official", slot=1)
    else:
        if not _flint_available():
            pytest.skip("Flint executable not built (set FLINT_BIN)")
        left = conftest._server("flint")
    project = new_project("vdiff")
    for srv in (left, right):
        load(srv.base, project, dataset())
    return left, right, project


@pytest.mark.differential
@pytest.mark.parametrize("case", result_cases(), ids=lambda c: c[0])
def test_results_match_official(sides, case):
    left, right, project = sides
    label, sq = case
    a, b = post(left, project, ":runQuery", {"structuredQuery": sq}), post(right, project, ":runQuery", {"structuredQuery": sq})
    assert a.status_code == b.status_code == 200, f"{a.text[:300]} / {b.text[:300]}"
    dist = sq["findNearest"].get("distanceResultField")
    assert_same_ranking(ranked(a, project, dist), ranked(b, project, dist), label)


@pytest.mark.differential
@pytest.mark.parametrize("case", error_cases(), ids=lambda c: c[0])
def test_errors_match_official(sides, case):
    left, right, project = sides
    label, sq = case
    a, b = post(left, project, ":runQuery", {"structuredQuery": sq}), post(right, project, ":runQuery", {"structuredQuery": sq})
    assert b.status_code >= 400, f"the official emulator accepted {label}: {b.text[:300]}"
    assert_same_error(a, b, label)


@pytest.mark.differential
@pytest.mark.parametrize("case", aggregation_cases(), ids=lambda c: c[0])
def test_aggregations_match_official(sides, case):
    left, right, project = sides
    label, sq, aggs = case
    body = {"structuredAggregationQuery": {"structuredQuery": sq, "aggregations": aggs}}
    a, b = post(left, project, ":runAggregationQuery", body), post(right, project, ":runAggregationQuery", body)
    assert a.status_code == b.status_code == 200, f"{a.text[:300]} / {b.text[:300]}"
    fa, fb = a.json()[0]["result"]["aggregateFields"], b.json()[0]["result"]["aggregateFields"]
    assert fa.keys() == fb.keys(), label
    for k in fa:
        (ka, va), (kb, vb) = next(iter(fa[k].items())), next(iter(fb[k].items()))
        assert ka == kb and same_distance(float(va), float(vb)), f"{label}.{k}: {fa[k]} vs {fb[k]}"


def sdk_client(server, project, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", server.hostport)
    return firestore.Client(project=project, credentials=AnonymousCredentials())


def sdk_ranking(client, measure, query, **kw):
    vq = client.collection("vs").where(filter=FieldFilter("cat", "==", "red")) if kw.pop("red", False) \
        else client.collection("vs")
    snaps = vq.find_nearest(vector_field="v", query_vector=Vector(query), distance_measure=SDK_MEASURES[measure],
                            distance_result_field="dist", **kw).get()
    return [(snap.id, {k: v for k, v in snap.to_dict().items() if k not in ("dist", "v")}, snap.get("dist"))
            for snap in snaps]


@pytest.mark.differential
@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("options", [{"limit": 10}, {"limit": 5, "red": True}, {"limit": 1000, "threshold": True}],
                         ids=["top10", "red", "threshold"])
def test_sdk_over_grpc_matches_official(sides, measure, options, monkeypatch):
    left, right, project = sides
    options = dict(options)
    if options.pop("threshold", False):
        options["distance_threshold"] = THRESHOLDS[measure]
    results = []
    for srv in (left, right):
        client = sdk_client(srv, project, monkeypatch)
        try:
            results.append(sdk_ranking(client, measure, Q2, **dict(options)))
        finally:
            client._firestore_api.transport.close()
    assert results[0], "no results"
    assert_same_ranking(results[0], results[1], f"{measure} {options}")


# --------------------------------------------------------------------------- conformance (Flint by default)

PROBE = [
    ("c/a", {"v": vec(1, 0), "cat": s("x"), "n": i(1)}),
    ("c/b", {"v": vec(0, 1), "cat": s("y"), "n": i(2)}),
    ("c/c", {"v": vec(1, 1), "cat": s("x"), "n": i(3)}),
    ("c/d", {"v": vec(2, 2), "cat": s("x"), "n": i(4)}),
    ("c/e", {"v": vec(1, 2, 3), "cat": s("x")}),
    ("c/g", {"v": s("hello"), "cat": s("x")}),
    ("c/i", {"v": vec(-1, 0), "cat": s("y")}),
    ("c/j", {"v": vec(3, 4), "cat": s("z")}),
    ("c/k", {"v": vec(0, 0), "cat": s("x")}),
]


@pytest.fixture
def probe(server, project):
    load(server.base, project, PROBE)
    return project


def names(resp):
    assert resp.status_code == 200, resp.text
    return [el["document"]["name"].rsplit("/", 2)[-2] + "/" + el["document"]["name"].rsplit("/", 1)[-1]
            for el in resp.json() if "document" in el]


def test_rest_answers_nearest_first_with_distances(server, probe):
    resp = post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0]), coll="c")})
    assert [(n, dist) for n, _, dist in ranked(resp, probe)] == [
        ("c/a", 0.0), ("c/c", 1.0), ("c/k", 1.0), ("c/b", math.sqrt(2)), ("c/i", 2.0), ("c/d", math.sqrt(5)),
        ("c/j", math.sqrt(20))]


def test_rest_cosine_puts_a_zero_vector_last_and_dot_product_ranks_largest_first(server, probe):
    cos = ranked(post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0], "COSINE"), coll="c")}), probe)
    assert cos[-1][0] == "c/k" and math.isnan(cos[-1][2])
    dot = post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0], "DOT_PRODUCT"), coll="c")})
    assert names(dot) == ["c/j", "c/d", "c/a", "c/c", "c/b", "c/k", "c/i"]


def test_rest_threshold_and_prefilter(server, probe):
    body = {"structuredQuery": SQ(nearest([1, 0], threshold=1.5), coll="c", where=F("cat", "EQUAL", s("x")))}
    assert names(post(server, probe, ":runQuery", body)) == ["c/a", "c/c", "c/k"]


def test_rest_errors_name_what_was_wrong(server, probe):
    resp = post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0], limit=1001), coll="c")})
    err = conftest.assert_error(resp, 400, "INVALID_ARGUMENT")
    assert "FindNearest.limit" in err["message"]
    resp = post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0]), coll="c", offset=2)})
    assert "offset" in conftest.assert_error(resp, 400, "INVALID_ARGUMENT")["message"]


def test_sdk_find_nearest_over_grpc(server, probe, monkeypatch):
    client = sdk_client(server, probe, monkeypatch)
    try:
        vq = client.collection("c").where(filter=FieldFilter("cat", "==", "x")).find_nearest(
            vector_field="v", query_vector=Vector([1.0, 0.0]), distance_measure=DistanceMeasure.EUCLIDEAN, limit=3,
            distance_result_field="distance")
        snaps = vq.get()
        assert [(s_.id, s_.get("distance")) for s_ in snaps] == [("a", 0.0), ("c", 1.0), ("k", 1.0)]
        assert snaps[0].get("v") == Vector([1.0, 0.0])
    finally:
        client._firestore_api.transport.close()


def test_sdk_find_nearest_in_a_transaction(server, probe, monkeypatch):
    client = sdk_client(server, probe, monkeypatch)
    try:
        vq = client.collection("c").find_nearest(
            vector_field="v", query_vector=Vector([0.0, 1.0]), distance_measure=DistanceMeasure.DOT_PRODUCT, limit=2)

        @firestore.transactional
        def nearest_then_write(tx):
            found = [snap.id for snap in vq.get(transaction=tx)]
            tx.set(client.document("log/1"), {"found": found})
            return found

        assert nearest_then_write(client.transaction()) == ["j", "d"]
        assert client.document("log/1").get().to_dict() == {"found": ["j", "d"]}
    finally:
        client._firestore_api.transport.close()


def test_sdk_reports_a_bad_search_as_invalid_argument(server, probe, monkeypatch):
    from google.api_core import exceptions as gexc
    client = sdk_client(server, probe, monkeypatch)
    try:
        vq = client.collection("c").find_nearest(
            vector_field="v", query_vector=Vector([1.0, 0.0]), distance_measure=DistanceMeasure.COSINE, limit=0)
        with pytest.raises(gexc.InvalidArgument, match="FindNearest.limit"):
            vq.get()
    finally:
        client._firestore_api.transport.close()


def test_stored_vectors_must_hold_doubles(api):
    r = api.patch("w/1", {"fields": {"v": vector_map([i(1), i(2)])}})
    assert conftest.assert_error(r, 400, "INVALID_ARGUMENT")["message"].startswith(
        "Vector must only contain values of type 'double'")
    r = api.patch("w/2", {"fields": {"v": vector_map([d("NaN")])}})
    assert conftest.assert_error(r, 400, "INVALID_ARGUMENT")["message"].startswith("Vector cannot contain NaN values.")


@pytest.mark.flint_only(reason="the official emulator finds no candidate for a nested vector field")
def test_a_nested_vector_field_is_searched(server, project):
    load(server.base, project, [("n/1", {"m": {"mapValue": {"fields": {"v": vec(0, 1)}}}}),
                                ("n/2", {"m": {"mapValue": {"fields": {"v": vec(1, 1)}}}})])
    resp = post(server, project, ":runQuery", {"structuredQuery": SQ(nearest([1, 0], field="m.v"), coll="n")})
    assert [(n, dist) for n, _, dist in ranked(resp, project)] == [("n/2", 1.0), ("n/1", math.sqrt(2))]


@pytest.mark.flint_only(reason="the official emulator writes a top-level field named 'm.d' instead of m.d")
def test_the_distance_result_field_is_a_field_path(server, probe):
    resp = post(server, probe, ":runQuery", {"structuredQuery": SQ(nearest([1, 0], limit=1, result="m.d"), coll="c")})
    assert resp.status_code == 200, resp.text
    assert resp.json()[0]["document"]["fields"]["m"] == {"mapValue": {"fields": {"d": {"doubleValue": 0.0}}}}
