"""Queries through the real high-level ``google.cloud.firestore.Client`` over REST (a REST GAPIC
client injected, as in the ``db`` fixture): where / order_by / limit / limit_to_last / cursors /
offset / select / collection_group / Or / And / count / sum / avg, with exact expected results on a
small data set the module writes itself (one project per module, written once; tests only read).

Target: ``CONFORMANCE_TARGET`` (Flint by default).  The official emulator ends every streamed
answer with ``]\\n``, which makes the GAPIC REST stream parser raise after the last message; on the
official target this module's client therefore strips that newline (a test-only shim on its own
HTTP session) so the query semantics can still be checked against the reference.  The tests that
need exact framing run without the shim and are ``flint_only``, as are the tests of official
behaviours that look like emulator bugs (six aggregations -> 500; ``skippedResults`` repeated on
every element).
"""

import datetime
import json
import math

import pytest
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import And, FieldFilter, Or
from google.cloud.firestore_v1.field_path import FieldPath

import conftest
from conftest import assert_error, new_project

UTC = datetime.timezone.utc

CITIES = {
    "SF": {"name": "San Francisco", "state": "CA", "country": "USA", "pop": 860_000, "capital": False,
           "regions": ["west_coast", "norcal"], "density": 7.1, "rank": 3,
           "founded": datetime.datetime(1776, 6, 29, tzinfo=UTC), "geo": {"lat": 37.77, "zone": 1}},
    "LA": {"name": "Los Angeles", "state": "CA", "country": "USA", "pop": 3_900_000, "capital": False,
           "regions": ["west_coast", "socal"], "density": 3.2, "rank": 1,
           "founded": datetime.datetime(1781, 9, 4, tzinfo=UTC), "geo": {"lat": 34.05, "zone": 1}},
    "DC": {"name": "Washington", "state": None, "country": "USA", "pop": 680_000, "capital": True,
           "regions": ["east_coast"], "density": 4.4, "rank": 5,
           "founded": datetime.datetime(1790, 7, 16, tzinfo=UTC), "geo": {"lat": 38.9, "zone": 2}},
    "NYC": {"name": "New York", "state": "NY", "country": "USA", "pop": 8_300_000, "capital": False,
            "regions": ["east_coast"], "density": 10.7, "rank": 0,
            "founded": datetime.datetime(1624, 1, 1, tzinfo=UTC), "geo": {"lat": 40.7, "zone": 2}},
    "TOK": {"name": "Tokyo", "country": "Japan", "pop": 14_000_000, "capital": True,
            "regions": ["kanto", "honshu"], "density": 6.2, "rank": 2,
            "founded": datetime.datetime(1457, 1, 1, tzinfo=UTC), "geo": {"lat": 35.68, "zone": 9}},
    "BJ": {"name": "Beijing", "country": "China", "pop": 21_500_000, "capital": True,
           "regions": ["jingjinji", "hebei"], "density": 1.3, "rank": 4, "geo": {"lat": 39.9, "zone": 8}},
    "OSA": {"name": "Osaka", "country": "Japan", "pop": 2_700_000, "capital": False,
            "regions": ["kansai", "honshu"], "density": float("nan"), "rank": 6, "geo": {"lat": 34.69, "zone": 9}},
    "ATL": {"name": "Atlantis", "country": None, "capital": False, "regions": [], "rank": 7.5},
    "MIX": {"name": 42, "country": "USA", "pop": 5, "capital": "no", "regions": ["west_coast", 5], "rank": "8"},
}

LANDMARKS = {
    "cities/SF/landmarks/ggb": {"name": "Golden Gate Bridge", "type": "bridge", "height": 227},
    "cities/SF/landmarks/legion": {"name": "Legion of Honor", "type": "museum", "height": 20},
    "cities/LA/landmarks/griffith": {"name": "Griffith Park", "type": "park"},
    "cities/LA/landmarks/ima": {"name": "Getty", "type": "museum", "height": 30},
    "cities/TOK/landmarks/tower": {"name": "Tokyo Tower", "type": "tower", "height": 333},
    "cities/TOK/landmarks/skytree": {"name": "Skytree", "type": "tower", "height": 634},
    "landmarks/root1": {"name": "Root landmark", "type": "museum", "height": 1},
    "countries/JP/cities/TOK/landmarks/deep": {"name": "Deep", "type": "park", "height": 2},
}

ALL_CITY_IDS = sorted(CITIES)      # document ids sort as strings


# --------------------------------------------------------------------------- fixtures

def _strip_trailing_newline(resp, *args, **kwargs):
    """Test-only shim for the official emulator: drop the newline after a streamed JSON array."""
    if resp.status_code == 200 and resp.headers.get("Content-Type", "").startswith("application/json"):
        body = resp.content
        if body[:1] == b"[" and body[-1:] in (b"\n", b"\r"):
            resp._content = body.rstrip(b"\r\n")
    return resp


def _client(server, project, shim):
    from google.cloud.firestore_v1.services.firestore import FirestoreClient
    gapic = FirestoreClient(transport="rest", client_options={"api_endpoint": server.base},
                            credentials=AnonymousCredentials())
    if shim:
        gapic._transport._session.hooks["response"].append(_strip_trailing_newline)
    client = firestore.Client(project=project, credentials=AnonymousCredentials())
    client._firestore_api_internal = gapic
    client._emulator_host = server.hostport
    return client


@pytest.fixture(scope="module")
def qproject():
    return new_project("qclient")


@pytest.fixture(scope="module")
def qdb(server, qproject):
    """Client on the module's project, with the data set written (one batch)."""
    client = _client(server, qproject, shim=server.kind == "official")
    batch = client.batch()
    for cid, data in CITIES.items():
        batch.set(client.document(f"cities/{cid}"), data)
    for path, data in LANDMARKS.items():
        batch.set(client.document(path), data)
    batch.commit()
    return client


@pytest.fixture(scope="module")
def raw_db(server, qproject, qdb):
    """Client on the same project WITHOUT the newline shim (exact framing required)."""
    return _client(server, qproject, shim=False)


def ids(query):
    return [snap.id for snap in query.stream()]


def paths(query):
    return [snap.reference.path for snap in query.stream()]


def agg(aggregation_query):
    [results] = aggregation_query.get()
    return {r.alias: r.value for r in results}


def cities(db):
    return db.collection("cities")


# --------------------------------------------------------------------------- where

WHERE_CASES = [
    ("eq_string", ("state", "==", "CA"), ["LA", "SF"]),
    ("eq_bool", ("capital", "==", True), ["BJ", "DC", "TOK"]),
    ("eq_double", ("rank", "==", 7.5), ["ATL"]),
    ("eq_double_matches_int", ("pop", "==", 5.0), ["MIX"]),
    ("eq_nested", ("geo.zone", "==", 9), ["OSA", "TOK"]),
    ("eq_none_is_null", ("state", "==", None), ["DC"]),
    ("eq_nan_is_nan", ("density", "==", float("nan")), ["OSA"]),
    ("ne_string", ("country", "!=", "USA"), ["BJ", "OSA", "TOK"]),
    ("ne_none_is_not_null", ("state", "!=", None), ["LA", "SF", "NYC"]),
    ("ne_nan_is_not_nan", ("density", "!=", float("nan")), ["BJ", "LA", "DC", "TOK", "SF", "NYC"]),
    ("lt_int", ("pop", "<", 1_000_000), ["MIX", "DC", "SF"]),
    ("le_int", ("pop", "<=", 860_000), ["MIX", "DC", "SF"]),
    ("gt_int", ("pop", ">", 8_300_000), ["TOK", "BJ"]),
    ("ge_int", ("pop", ">=", 8_300_000), ["NYC", "TOK", "BJ"]),
    ("gt_double", ("density", ">", 5.0), ["TOK", "SF", "NYC"]),
    ("lt_string_same_type_only", ("name", "<", "O"), ["ATL", "BJ", "LA", "NYC"]),
    ("gt_timestamp", ("founded", ">", datetime.datetime(1700, 1, 1, tzinfo=UTC)), ["SF", "LA", "DC"]),
    ("in_strings", ("country", "in", ["Japan", "China"]), ["BJ", "OSA", "TOK"]),
    ("in_mixed_types", ("rank", "in", [0, "8", 7.5]), ["ATL", "MIX", "NYC"]),
    ("not_in", ("country", "not-in", ["USA", "Japan"]), ["BJ"]),
    ("array_contains", ("regions", "array_contains", "west_coast"), ["LA", "MIX", "SF"]),
    ("array_contains_number", ("regions", "array_contains", 5), ["MIX"]),
    ("array_contains_any", ("regions", "array_contains_any", ["honshu", "east_coast"]), ["DC", "NYC", "OSA", "TOK"]),
    ("no_match", ("country", "==", "Atlantis"), []),
]


@pytest.mark.parametrize("field,op,value,expected", [c[1] + (c[2],) for c in WHERE_CASES],
                         ids=[c[0] for c in WHERE_CASES])
def test_where(qdb, field, op, value, expected):
    assert ids(cities(qdb).where(filter=FieldFilter(field, op, value))) == expected


def test_where_positional_form(qdb):
    assert ids(cities(qdb).where("state", "==", "CA")) == ["LA", "SF"]


def test_where_two_equalities(qdb):
    q = cities(qdb).where(filter=FieldFilter("country", "==", "USA")).where(filter=FieldFilter("capital", "==", False))
    assert ids(q) == ["LA", "NYC", "SF"]


def test_where_range_on_two_fields(qdb):
    q = cities(qdb).where(filter=FieldFilter("pop", ">", 1_000_000)).where(filter=FieldFilter("density", "<", 5))
    assert ids(q) == ["BJ", "LA"]          # implicit order: inequality fields by name (density, pop)


def test_where_document_id_in(qdb):
    q = cities(qdb).where(filter=FieldFilter(FieldPath.document_id(), "in",
                                             [qdb.document("cities/TOK"), qdb.document("cities/ATL")]))
    assert ids(q) == ["ATL", "TOK"]


def test_where_document_id_range(qdb):
    q = cities(qdb).where(filter=FieldFilter(FieldPath.document_id(), ">=", qdb.document("cities/NYC")))
    assert ids(q) == ["NYC", "OSA", "SF", "TOK"]


# --------------------------------------------------------------------------- Or / And

def test_or_filter(qdb):
    q = cities(qdb).where(filter=Or([FieldFilter("state", "==", "NY"), FieldFilter("country", "==", "China")]))
    assert ids(q) == ["BJ", "NYC"]


def test_or_of_and(qdb):
    q = cities(qdb).where(filter=Or([
        And([FieldFilter("country", "==", "USA"), FieldFilter("capital", "==", True)]),
        And([FieldFilter("country", "==", "Japan"), FieldFilter("pop", "<", 5_000_000)]),
    ]))
    assert ids(q) == ["DC", "OSA"]


def test_and_of_or(qdb):
    q = cities(qdb).where(filter=And([
        Or([FieldFilter("country", "==", "USA"), FieldFilter("country", "==", "Japan")]),
        Or([FieldFilter("capital", "==", True), FieldFilter("density", ">", 10)]),
    ]))
    assert ids(q) == ["DC", "TOK", "NYC"]       # implicit order by the inequality field (density)


def test_or_with_ranges_orders_by_field(qdb):
    q = cities(qdb).where(filter=Or([FieldFilter("pop", "<", 700_000), FieldFilter("pop", ">", 10_000_000)]))
    assert ids(q) == ["MIX", "DC", "TOK", "BJ"]


def test_or_with_in_and_array_contains(qdb):
    q = cities(qdb).where(filter=Or([FieldFilter("rank", "in", [1, 2]),
                                     FieldFilter("regions", "array_contains", "kansai")]))
    assert ids(q) == ["LA", "OSA", "TOK"]


def test_or_with_limit_and_order(qdb):
    q = cities(qdb).where(filter=Or([FieldFilter("country", "==", "Japan"), FieldFilter("state", "==", "CA")])) \
        .order_by("pop", direction=firestore.Query.DESCENDING).limit(3)
    assert ids(q) == ["TOK", "LA", "OSA"]


# --------------------------------------------------------------------------- order / limit / offset

ORDER_CASES = [
    ("pop_asc", [("pop", "ASCENDING")], ["MIX", "DC", "SF", "OSA", "LA", "NYC", "TOK", "BJ"]),
    ("pop_desc", [("pop", "DESCENDING")], ["BJ", "TOK", "NYC", "LA", "OSA", "SF", "DC", "MIX"]),
    ("mixed_type_field", [("rank", "ASCENDING")], ["NYC", "LA", "TOK", "SF", "BJ", "DC", "OSA", "ATL", "MIX"]),
    ("country_then_pop_desc", [("country", "ASCENDING"), ("pop", "DESCENDING")],
     ["BJ", "TOK", "OSA", "NYC", "LA", "SF", "DC", "MIX"]),      # ATL has no pop
    ("nested_field", [("geo.lat", "DESCENDING")], ["NYC", "BJ", "DC", "SF", "TOK", "OSA", "LA"]),
    ("nan_first", [("density", "ASCENDING")], ["OSA", "BJ", "LA", "DC", "TOK", "SF", "NYC"]),
    ("document_id", [(FieldPath.document_id(), "ASCENDING")], ALL_CITY_IDS),
    ("field_then_document_id_desc", [("capital", "ASCENDING"), (FieldPath.document_id(), "DESCENDING")],
     ["SF", "OSA", "NYC", "LA", "ATL", "TOK", "DC", "BJ", "MIX"]),
]


@pytest.mark.parametrize("orders,expected", [c[1:] for c in ORDER_CASES], ids=[c[0] for c in ORDER_CASES])
def test_order_by(qdb, orders, expected):
    q = cities(qdb)
    for field, direction in orders:
        q = q.order_by(field, direction=direction)
    assert ids(q) == expected


def test_limit(qdb):
    assert ids(cities(qdb).order_by("pop").limit(3)) == ["MIX", "DC", "SF"]


def test_limit_zero_returns_nothing(qdb):
    assert ids(cities(qdb).limit(0)) == []


def ids_get(query):
    return [snap.id for snap in query.get()]          # limit_to_last queries cannot be streamed


def test_limit_to_last(qdb):
    assert ids_get(cities(qdb).order_by("pop").limit_to_last(2)) == ["TOK", "BJ"]


def test_limit_to_last_with_cursor(qdb):
    # This client flips the order to DESCENDING but keeps the cursor as is, so the server sees
    # orderBy pop DESC, endAt {8300000, before: true}, limit 2 (BJ, TOK), which it reverses.
    q = cities(qdb).order_by("pop").end_before({"pop": 8_300_000}).limit_to_last(2)
    assert ids_get(q) == ["TOK", "BJ"]


def test_offset(qdb):
    assert ids(cities(qdb).order_by("pop").offset(2).limit(3)) == ["SF", "OSA", "LA"]


def test_offset_past_the_end(qdb):
    assert ids(cities(qdb).offset(50)) == []


def test_stream_without_order_is_by_document_id(qdb):
    assert ids(cities(qdb)) == ALL_CITY_IDS


def test_get_returns_snapshots_with_data_and_times(qdb):
    snaps = cities(qdb).where(filter=FieldFilter("state", "==", "NY")).get()
    assert len(snaps) == 1
    snap = snaps[0]
    assert snap.exists and snap.id == "NYC"
    assert snap.to_dict() == CITIES["NYC"]
    assert snap.create_time is not None and snap.update_time is not None and snap.read_time is not None


# --------------------------------------------------------------------------- cursors

CURSOR_CASES = [
    ("start_at", lambda q: q.start_at({"pop": 860_000}), ["SF", "OSA", "LA", "NYC", "TOK", "BJ"]),
    ("start_after", lambda q: q.start_after({"pop": 860_000}), ["OSA", "LA", "NYC", "TOK", "BJ"]),
    ("end_at", lambda q: q.end_at({"pop": 2_700_000}), ["MIX", "DC", "SF", "OSA"]),
    ("end_before", lambda q: q.end_before({"pop": 2_700_000}), ["MIX", "DC", "SF"]),
    ("between", lambda q: q.start_after({"pop": 860_000}).end_at({"pop": 8_300_000}), ["OSA", "LA", "NYC"]),
    ("start_at_with_limit", lambda q: q.start_at({"pop": 1_000_000}).limit(2), ["OSA", "LA"]),
]


@pytest.mark.parametrize("build,expected", [c[1:] for c in CURSOR_CASES], ids=[c[0] for c in CURSOR_CASES])
def test_cursor_on_population(qdb, build, expected):
    assert ids(build(cities(qdb).order_by("pop"))) == expected


def test_cursor_from_document_snapshot(qdb):
    la = qdb.document("cities/LA").get()
    assert ids(cities(qdb).order_by("pop").start_after(la)) == ["NYC", "TOK", "BJ"]


def test_cursor_snapshot_adds_document_id_tiebreak(qdb):
    # capital == False for ATL, LA, NYC, OSA, SF: after LA (by id) within the tie
    la = qdb.document("cities/LA").get()
    q = cities(qdb).where(filter=FieldFilter("capital", "==", False)).order_by("capital").start_after(la)
    assert ids(q) == ["NYC", "OSA", "SF"]


def test_cursor_on_two_fields(qdb):
    q = cities(qdb).order_by("country").order_by("pop", direction=firestore.Query.DESCENDING) \
        .start_at({"country": "USA", "pop": 3_900_000})
    assert ids(q) == ["LA", "SF", "DC", "MIX"]


def test_cursor_descending(qdb):
    q = cities(qdb).order_by("pop", direction=firestore.Query.DESCENDING).start_after({"pop": 8_300_000})
    assert ids(q) == ["LA", "OSA", "SF", "DC", "MIX"]


def test_cursor_on_document_id(qdb):
    q = cities(qdb).order_by(FieldPath.document_id()).start_after({FieldPath.document_id(): "LA"}) \
        .end_before({FieldPath.document_id(): "SF"})
    assert ids(q) == ["MIX", "NYC", "OSA"]


# --------------------------------------------------------------------------- select

def test_select_fields(qdb):
    snaps = list(cities(qdb).where(filter=FieldFilter("country", "==", "Japan")).select(["name", "geo.zone"]).stream())
    assert [(s.id, s.to_dict()) for s in snaps] == [("OSA", {"name": "Osaka", "geo": {"zone": 9}}),
                                                   ("TOK", {"name": "Tokyo", "geo": {"zone": 9}})]


def test_select_missing_field_gives_empty_documents(qdb):
    snaps = list(cities(qdb).where(filter=FieldFilter("state", "==", "CA")).select(["nope"]).stream())
    assert [(s.id, s.to_dict()) for s in snaps] == [("LA", {}), ("SF", {})]


def test_select_document_id_only(qdb):
    snaps = list(cities(qdb).order_by("pop").limit(2).select([FieldPath.document_id()]).stream())
    assert [(s.id, s.to_dict()) for s in snaps] == [("MIX", {}), ("DC", {})]


# --------------------------------------------------------------------------- subcollections, groups

def test_subcollection_query(qdb):
    q = qdb.collection("cities/TOK/landmarks").order_by("height", direction=firestore.Query.DESCENDING)
    assert ids(q) == ["skytree", "tower"]


def test_collection_group(qdb):
    assert paths(qdb.collection_group("landmarks")) == [
        "cities/LA/landmarks/griffith", "cities/LA/landmarks/ima", "cities/SF/landmarks/ggb",
        "cities/SF/landmarks/legion", "cities/TOK/landmarks/skytree", "cities/TOK/landmarks/tower",
        "countries/JP/cities/TOK/landmarks/deep", "landmarks/root1"]


def test_collection_group_with_filter_and_order(qdb):
    q = qdb.collection_group("landmarks").where(filter=FieldFilter("type", "==", "museum")) \
        .order_by("height", direction=firestore.Query.DESCENDING)
    assert paths(q) == ["cities/LA/landmarks/ima", "cities/SF/landmarks/legion", "landmarks/root1"]


def test_collection_group_range_and_limit(qdb):
    q = qdb.collection_group("landmarks").where(filter=FieldFilter("height", ">", 25)).order_by("height").limit(3)
    assert paths(q) == ["cities/LA/landmarks/ima", "cities/SF/landmarks/ggb", "cities/TOK/landmarks/tower"]


def test_collection_group_count(qdb):
    assert agg(qdb.collection_group("landmarks").count(alias="n")) == {"n": 8}


def test_collection_group_or(qdb):
    q = qdb.collection_group("landmarks").where(filter=Or([FieldFilter("type", "==", "tower"),
                                                           FieldFilter("height", "<", 3)]))
    assert paths(q) == ["landmarks/root1", "countries/JP/cities/TOK/landmarks/deep",      # ordered by height
                        "cities/TOK/landmarks/tower", "cities/TOK/landmarks/skytree"]


# --------------------------------------------------------------------------- aggregations

def test_count(qdb):
    assert agg(cities(qdb).count()) == {"field_1": 9}


def test_count_with_alias_and_filter(qdb):
    assert agg(cities(qdb).where(filter=FieldFilter("country", "==", "USA")).count(alias="usa")) == {"usa": 5}


def test_count_empty(qdb):
    assert agg(cities(qdb).where(filter=FieldFilter("country", "==", "Mars")).count(alias="n")) == {"n": 0}


def test_count_with_limit(qdb):
    assert agg(cities(qdb).limit(4).count(alias="n")) == {"n": 4}


def test_sum_integers(qdb):
    # MIX's pop 5 counts; ATL has no pop
    assert agg(cities(qdb).sum("pop", alias="total")) == {"total": 51_940_005}


def test_sum_skips_non_numbers_and_mixes_to_double(qdb):
    out = agg(cities(qdb).sum("rank", alias="s"))         # ranks 3,1,5,0,2,4,6,7.5 ("8" skipped)
    assert out == {"s": 28.5} and isinstance(out["s"], float)


def test_avg(qdb):
    out = agg(cities(qdb).where(filter=FieldFilter("country", "==", "Japan")).avg("pop", alias="a"))
    assert out == {"a": 8_350_000.0}


def test_avg_empty(qdb):
    # the server answers nullValue (see the differential suite); this client surfaces
    # `integer_value or double_value` of the result, i.e. 0.0
    assert agg(cities(qdb).where(filter=FieldFilter("country", "==", "Mars")).avg("pop", alias="a")) == {"a": 0.0}


def test_sum_empty_is_zero(qdb):
    assert agg(cities(qdb).where(filter=FieldFilter("country", "==", "Mars")).sum("pop", alias="s")) == {"s": 0}


def test_sum_avg_nan_propagates(qdb):
    out = agg(cities(qdb).where(filter=FieldFilter("country", "==", "Japan")).sum("density", alias="s")
              .avg("density", alias="a"))
    assert math.isnan(out["s"]) and math.isnan(out["a"])


def test_several_aggregations_with_and_without_aliases(qdb):
    q = cities(qdb).where(filter=FieldFilter("country", "==", "USA"))
    out = agg(q.count().sum("pop", alias="p").avg("rank").count(alias="c"))
    assert out == {"field_1": 5, "p": 13_740_005, "field_2": 2.25, "c": 5}


def test_aggregations_on_or_query(qdb):
    q = cities(qdb).where(filter=Or([FieldFilter("capital", "==", True), FieldFilter("state", "==", "NY")]))
    assert agg(q.count(alias="n").sum("pop", alias="p")) == {"n": 4, "p": 44_480_000}


def test_aggregation_on_subcollection(qdb):
    assert agg(qdb.collection("cities/SF/landmarks").sum("height", alias="h").count(alias="n")) == {"h": 247, "n": 2}


# --------------------------------------------------------------------------- errors through the client

def test_invalid_query_raises_bad_request(qdb):
    q = cities(qdb).where(filter=FieldFilter("pop", "not-in", [1, 2])).where(filter=FieldFilter("pop", "!=", 3))
    with pytest.raises(gexc.BadRequest) as ei:
        list(q.stream())
    assert "Only a single 'NOT_EQUAL', 'NOT_IN', 'IS_NOT_NAN', or 'IS_NOT_NULL' filter allowed per query." \
        in str(ei.value)


def test_in_with_too_many_values_raises_bad_request(qdb):
    with pytest.raises(gexc.BadRequest) as ei:
        list(cities(qdb).where(filter=FieldFilter("rank", "in", list(range(31)))).stream())
    assert "'IN' supports up to 30 comparison values." in str(ei.value)


# --------------------------------------------------------------------------- Flint-only

_FRAMING = "streaming bodies end exactly at ']' (the official emulator's trailing newline breaks the GAPIC REST parser)"


@pytest.mark.flint_only(reason=_FRAMING)
def test_stream_without_shim(raw_db):
    assert ids(raw_db.collection("cities").where(filter=FieldFilter("state", "==", "CA"))) == ["LA", "SF"]


@pytest.mark.flint_only(reason=_FRAMING)
def test_empty_stream_without_shim(raw_db):
    assert ids(raw_db.collection("cities").where(filter=FieldFilter("state", "==", "XX"))) == []


@pytest.mark.flint_only(reason=_FRAMING)
def test_count_without_shim(raw_db):
    assert agg(raw_db.collection("cities").count(alias="n")) == {"n": 9}


@pytest.mark.flint_only(reason=_FRAMING)
def test_collection_group_without_shim(raw_db):
    assert len(paths(raw_db.collection_group("landmarks"))) == 8


def _put_numbers(api, n):
    api.commit_ok([{"update": {"name": api.name(f"c/d{j}"), "fields": {"x": conftest.int_value(j)}}}
                   for j in range(n)])


@pytest.mark.flint_only(reason=_FRAMING)
def test_run_query_body_is_exact_json_array(api):
    _put_numbers(api, 3)
    for body in ({"structuredQuery": {"from": [{"collectionId": "c"}]}},
                 {"structuredQuery": {"from": [{"collectionId": "none"}]}}):
        r = api.post(":runQuery", body)
        assert r.status_code == 200, r.text
        assert r.content[:1] == b"[" and r.content[-1:] == b"]", r.content[-20:]
        assert json.loads(r.content)[-1].get("done") is True
    r = api.post(":runAggregationQuery", {"structuredAggregationQuery": {
        "structuredQuery": {"from": [{"collectionId": "c"}]}, "aggregations": [{"count": {}}]}})
    assert r.status_code == 200, r.text
    assert r.content[:1] == b"[" and r.content[-1:] == b"]", r.content[-20:]


@pytest.mark.flint_only(reason="more than five aggregations are an INVALID_ARGUMENT (the official emulator crashes "
                               "with 500 UNKNOWN)")
def test_six_aggregations_are_invalid_argument(api):
    _put_numbers(api, 2)
    r = api.post(":runAggregationQuery", {"structuredAggregationQuery": {
        "structuredQuery": {"from": [{"collectionId": "c"}]}, "aggregations": [{"count": {}}] * 6}})
    assert_error(r, 400, "INVALID_ARGUMENT")


@pytest.mark.flint_only(reason="more than five aggregations are an INVALID_ARGUMENT (the official emulator crashes "
                               "with 500 UNKNOWN)")
def test_six_aggregations_through_client_raise_bad_request(qdb):
    q = cities(qdb).count(alias="a").count(alias="b").count(alias="c").sum("pop", alias="d") \
        .avg("pop", alias="e").avg("rank", alias="f")
    with pytest.raises(gexc.BadRequest):
        q.get(retry=None, timeout=10)          # no retries: the official emulator's 500 would be retried


def test_five_aggregations_are_fine(qdb):
    # sum/avg fields act as existence filters for the whole aggregation: ATL (no pop) is left out
    q = cities(qdb).count(alias="a").count(alias="b").sum("pop", alias="c").avg("pop", alias="d").sum("rank", alias="e")
    assert agg(q) == {"a": 8, "b": 8, "c": 51_940_005, "d": 51_940_005 / 8, "e": 21}


@pytest.mark.flint_only(reason="skippedResults is reported once per stream (the official emulator repeats the offset "
                               "on every element but the last)")
def test_skipped_results_reported_once(api):
    _put_numbers(api, 8)
    r = api.post(":runQuery", {"structuredQuery": {"from": [{"collectionId": "c"}], "offset": 3}})
    assert r.status_code == 200, r.text
    elements = json.loads(r.text)
    names = [el["document"]["name"].rsplit("/", 1)[1] for el in elements if "document" in el]
    assert names == ["d3", "d4", "d5", "d6", "d7"]
    assert sum(int(el.get("skippedResults", 0)) for el in elements) == 3


@pytest.mark.flint_only("production serves orderBy __name__ DESC; the official emulator answers "
                        "FAILED_PRECONDITION 'Firestore does not support descending key scans'")
def test_descending_key_order_is_served(api):
    for d in ("a", "b", "c", "d"):
        api.put_doc(f"desc/{d}", {"n": conftest.int_value(1)})
    body = {"structuredQuery": {"from": [{"collectionId": "desc"}],
                                "orderBy": [{"field": {"fieldPath": "__name__"}, "direction": "DESCENDING"}],
                                "startAt": {"values": [{"referenceValue": api.name("desc/c")}], "before": True},
                                "limit": 2}}
    r = api.post(":runQuery", body)
    assert r.status_code == 200, r.text
    assert [el["document"]["name"].rsplit("/", 1)[1] for el in r.json() if "document" in el] == ["c", "b"]
