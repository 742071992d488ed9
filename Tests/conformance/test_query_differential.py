"""Query differential suite: ``:runQuery`` and ``:runAggregationQuery`` sent identically to Flint
and to the official emulator, against the same data set (:mod:`query_dataset`, loaded once per
server per module into a fresh project with the same id on both sides).

Compared after normalisation:
* the HTTP status;
* errors: ``code``, ``status`` and the message text (the official texts are the reference;
  "Payload isn't valid for request." is compared without Flint's appended detail);
* runQuery: the ordered documents (name, fields, create/update time mapped to the load commit
  that wrote them: ``<C1>``…), that the last element carries ``done: true`` and that every
  element carries a ``readTime`` (``skippedResults`` is not compared: the official emulator
  repeats the offset on every element but the last — Flint reports it once, checked in
  test_query_client.py);
* runAggregationQuery: the ``aggregateFields`` of each result (doubles compared to 1e-12
  relative, so summation order does not matter; the value kind must match) and ``readTime``.
Doubles in documents are compared by their repr, so ``-0.0`` and ``0.0`` differ.

Streamed 200 bodies must start with ``[``; Flint's must end exactly with ``]`` (the official
emulator appends a newline, which the GAPIC REST client chokes on).

Queries are generated from tables (filter templates x operands x orderings …); each is its own
test id.  Behaviours of the official emulator that look like bugs are NOT here; they are asserted
on Flint in test_query_client.py (``flint_only``).

DIFF_SELF_TEST=1 runs official vs official (validates the normaliser and the determinism of the
data set and the queries).
"""

import base64
import json
import math
import os

import pytest
import requests

import conftest
import query_dataset as qd
from conftest import new_project
from query_dataset import (INF, LONG_A, LONG_C, NAN, NINF, NULL, P53, I64_MAX, I64_MIN, arr, b, by, d, geo,
                           i, mp, ref, s, ts, vec)

pytestmark = pytest.mark.differential

# --------------------------------------------------------------------------- query builders

OPS = {"<": "LESS_THAN", "<=": "LESS_THAN_OR_EQUAL", ">": "GREATER_THAN", ">=": "GREATER_THAN_OR_EQUAL",
       "==": "EQUAL", "!=": "NOT_EQUAL", "array-contains": "ARRAY_CONTAINS", "in": "IN",
       "array-contains-any": "ARRAY_CONTAINS_ANY", "not-in": "NOT_IN"}


def F(path, op, value):
    return {"fieldFilter": {"field": {"fieldPath": path}, "op": OPS.get(op, op), "value": value}}


def U(path, op):
    return {"unaryFilter": {"field": {"fieldPath": path}, "op": op}}


def AND(*filters):
    return {"compositeFilter": {"op": "AND", "filters": list(filters)}}


def OR(*filters):
    return {"compositeFilter": {"op": "OR", "filters": list(filters)}}


def ORDER(*specs):
    """"v" ascending, "-v" descending."""
    return [{"field": {"fieldPath": sp.lstrip("-")}, "direction": "DESCENDING" if sp.startswith("-") else "ASCENDING"}
            for sp in specs]


def AT(*values):            # startAt (inclusive) / endBefore use before=True
    return {"values": list(values), "before": True}


def AFTER(*values):         # startAfter / endAt (inclusive) use before=False
    return {"values": list(values)}


def SQ(coll="q", where=None, order=None, start=None, end=None, offset=None, limit=None, select=None,
       all_descendants=False, from_=None):
    sq = {"from": from_ if from_ is not None else
          [dict({"collectionId": coll}, **({"allDescendants": True} if all_descendants else {}))]}
    if select is not None:
        sq["select"] = {"fields": [{"fieldPath": f} for f in select]}
    if where is not None:
        sq["where"] = where
    if order is not None:
        sq["orderBy"] = ORDER(*order) if order and isinstance(order[0], str) else order
    if start is not None:
        sq["startAt"] = start
    if end is not None:
        sq["endAt"] = end
    if offset is not None:
        sq["offset"] = offset
    if limit is not None:
        sq["limit"] = limit
    return sq


def COUNT(alias=None, up_to=None):
    a = {"count": {"upTo": str(up_to)} if up_to is not None else {}}
    return dict(a, alias=alias) if alias is not None else a


def SUM(path, alias=None):
    a = {"sum": {"field": {"fieldPath": path}}}
    return dict(a, alias=alias) if alias is not None else a


def AVG(path, alias=None):
    a = {"avg": {"field": {"fieldPath": path}}}
    return dict(a, alias=alias) if alias is not None else a


# --------------------------------------------------------------------------- the cases

CASES = []
_IDS = set()


def add(case_id, sq=None, parent="", aggs=None, body=None):
    """One request.  ``sq`` a structuredQuery; ``aggs`` makes it a runAggregationQuery; ``body``
    replaces the whole request body; ``parent`` a document path under the root ("" = root)."""
    assert case_id not in _IDS, f"duplicate case id {case_id}"
    _IDS.add(case_id)
    CASES.append({"id": case_id, "sq": sq, "parent": parent, "aggs": aggs, "body": body})


# --- 1. comparison filters on the mixed field `v`: every op x an operand of every type ------------

V_OPERANDS = [
    ("null", NULL), ("false", b(False)), ("true", b(True)), ("nan", NAN), ("ninf", NINF), ("pinf", INF),
    ("dneg0", d(-0.0)), ("i0", i(0)), ("i1", i(1)), ("i5", i(5)), ("d5", d(5.0)), ("d4_5", d(4.5)),
    ("i2p53", i(P53)), ("i2p53p1", i(P53 + 1)), ("d2p53", d(float(P53))), ("imax", i(I64_MAX)), ("imin", i(I64_MIN)),
    ("t1970", ts("1970-01-01T00:00:00Z")), ("t2020us", ts("2020-01-01T00:00:00.000001Z")),
    ("sempty", s("")), ("sa", s("a")), ("seacute", s("\u00e9")), ("sff61", s("\uff61")), ("semoji", s("\U0001F600")),
    ("slonga", s(LONG_A)), ("b00", by("AA==")), ("bff", by("/w==")), ("rqa", ref("q/a")), ("rax", ref("a/x")),
    ("g15m", geo(1.5, -2.25)), ("aempty", arr()), ("a1", arr(i(1))), ("a1s", arr(i(1), s("a"))),
    ("mempty", mp()), ("ma1", mp(a=i(1))), ("vec12", vec(1, 2)), ("vec3", vec(3)),
]
for _name, _val in V_OPERANDS:
    for _op in ("<", "<=", ">", ">=", "==", "!="):
        add(f"v_{OPS[_op].lower()}_{_name}", SQ(where=F("v", _op, _val)))

# --- 2. other fields: nested map field, int/double equality, second mixed field ------------------
for _cid, _f in [
    ("ma_eq_1", F("m.a", "==", i(1))), ("ma_eq_1d", F("m.a", "==", d(1.0))), ("ma_gt_0", F("m.a", ">", i(0))),
    ("ma_le_1", F("m.a", "<=", d(1.0))), ("ma_ne_2", F("m.a", "!=", i(2))), ("mb_eq_b0", F("m.b", "==", s("b0"))),
    ("m_eq_map", F("m", "==", mp(a=i(1), b=s("b1")))), ("m_gt_empty_map", F("m", ">", mp())),
    ("m_lt_string", F("m", "<", s("zzz"))), ("ma_backquoted", F("`m`.`a`", "==", i(2))),
    ("dotted_name_is_not_nested", F("`m.a`", "==", i(1))),
    ("n_eq_1", F("n", "==", i(1))), ("n_eq_1d", F("n", "==", d(1.0))), ("n_gt_2_5", F("n", ">", d(2.5))),
    ("n_ge_int_5", F("n", ">=", i(5))), ("n_lt_0", F("n", "<", i(0))), ("n_ne_0", F("n", "!=", i(0))),
    ("w_lt_10", F("w", "<", i(10))), ("w_gt_w2", F("w", ">", s("w2"))),
    ("w_in", F("w", "in", arr(s("w3"), i(12), NULL))), ("w_ge_ts", F("w", ">=", ts("2021-05-01T00:00:00Z"))),
    ("w_eq_true", F("w", "==", b(True))), ("w_ne_true", F("w", "!=", b(True))), ("w_eq_null", F("w", "==", NULL)),
    ("k_ge_2", F("k", ">=", i(2))), ("i_range", AND(F("i", ">=", i(10)), F("i", "<", i(20)))),
    ("p_eq_odd", F("p", "==", s("odd"))), ("t_eq_false", F("t", "==", b(False))), ("missing_eq_1", F("nope", "==", i(1))),
    ("missing_ne_1", F("nope", "!=", i(1))), ("big_gt_0", F("big", ">", i(0))),
    ("string_5_is_not_number_5", F("v", "==", s("5"))),
    ("ts_nanos_truncated", F("v", "==", ts("2020-01-01T00:00:00.000001999Z"))),
    ("ts_with_offset", F("v", "==", ts("2020-01-01T01:00:00+01:00"))),
    ("ts_range_nanos", F("v", ">", ts("2020-01-01T00:00:00.000000999Z"))),
    ("ref_other_database", F("v", "==", {"referenceValue": "projects/other/databases/(default)/documents/q/a"})),
    ("ref_other_database_range", F("v", ">", {"referenceValue": "projects/other/databases/(default)/documents/q/a"})),
    ("bytes_1500_accepted", F("v", "==", by(base64.b64encode(b"x" * 1500).decode()))),
    ("string_1499_accepted", F("v", "==", s("x" * 1499))),
    ("map_value_1496_accepted", F("v", "==", mp(ab=s("x" * 1496)))),
    ("op_as_integer_enum", {"fieldFilter": {"field": {"fieldPath": "v"}, "op": 5, "value": i(5)}}),
    ("r_y_eq_banana", F("y", "==", s("banana"))),
]:
    add(f"field_{_cid}", SQ("r" if _cid.startswith("r_") else "q", where=_f))

# --- 3. in / not-in / array-contains / array-contains-any ----------------------------------------
for _cid, _vals in [
    ("i5", [i(5)]), ("d5", [d(5.0)]), ("null", [NULL]), ("nan", [NAN]), ("null_and_5", [NULL, i(5)]),
    ("nan_and_1", [NAN, i(1)]), ("mixed_types", [s("a"), i(1), b(True), ts("1970-01-01T00:00:00Z")]),
    ("array_operand", [arr(i(1))]), ("map_operand", [mp(a=i(1))]), ("vector", [vec(1, 2)]), ("ref", [ref("q/b")]),
    ("geo", [geo(0, 0)]), ("dups", [i(5), i(5), d(5.0)]), ("int_and_string_1", [i(1), s("1")]),
    ("p53", [i(P53)]), ("p53p1", [i(P53 + 1)]), ("dneg0", [d(-0.0)]), ("bytes", [by("AA=="), by("")]),
    ("30_values", [i(x) for x in range(30)]), ("empty_array_and_map", [arr(), mp()]),
]:
    add(f"in_{_cid}", SQ(where=F("v", "in", arr(*_vals))))
for _cid, _vals in [
    ("i5", [i(5)]), ("null", [NULL]), ("nan", [NAN]), ("5_and_a", [i(5), s("a")]), ("bools", [b(True), b(False)]),
    ("array_operand", [arr(i(1))]), ("empty_map", [mp()]), ("10_values", [i(x) for x in range(10)]),
    ("dups", [i(5), i(5)]), ("inf", [INF, NINF]),
]:
    add(f"not_in_{_cid}", SQ(where=F("v", "not-in", arr(*_vals))))
add("not_in_k", SQ(where=F("k", "not-in", arr(i(0), i(3)))))
add("in_k_with_order_desc", SQ(where=F("k", "in", arr(i(1), i(3))), order=["-i"]))
for _cid, _val in [
    ("i0", i(0)), ("i1", i(1)), ("s1", s("s1")), ("i5", i(5)), ("d5", d(5.0)), ("null", NULL), ("nan", NAN),
    ("map", mp(a=i(1))), ("map_with_array", mp(k=arr(i(1), i(2)))), ("ref", ref("q/a")), ("geo", geo(1.5, -2.25)),
    ("bytes", by("AQ==")), ("ts", ts("2020-01-01T00:00:00Z")), ("true", b(True)), ("emoji", s("\U0001F600")),
    ("d2p53", d(float(P53))), ("i2p53p1", i(P53 + 1)), ("dneg0", d(-0.0)), ("array_operand", arr(i(1))),
    ("string_a", s("a")),
]:
    add(f"array_contains_{_cid}", SQ(where=F("a", "array-contains", _val)))
add("array_contains_on_v", SQ(where=F("v", "array-contains", i(1))))
add("array_contains_on_v_map", SQ(where=F("v", "array-contains", mp(k=arr(i(1), i(2))))))
add("array_contains_missing_field", SQ(where=F("nope", "array-contains", i(1))))
add("array_contains_r_tags", SQ("r", where=F("tags", "array-contains", s("t1")), order=["-j"]))
for _cid, _vals in [
    ("i0", [i(0)]), ("i1_s3", [i(1), s("s3")]), ("d5", [d(5.0)]), ("null", [NULL]), ("nan", [NAN]),
    ("null_nan_5", [NULL, NAN, i(5)]), ("map", [mp(a=i(2))]), ("p53", [i(P53)]), ("dups", [i(2), i(2)]),
    ("30_values", [i(x) for x in range(30)]),
]:
    add(f"array_contains_any_{_cid}", SQ(where=F("a", "array-contains-any", arr(*_vals))))
add("array_contains_any_on_v", SQ(where=F("v", "array-contains-any", arr(i(1), s("a")))))

# --- 4. unary filters ----------------------------------------------------------------------------
for _path in ("v", "n", "nn", "m.a", "a", "w", "nope", "m"):
    for _op in ("IS_NULL", "IS_NOT_NULL", "IS_NAN", "IS_NOT_NAN"):
        add(f"unary_{_op.lower()}_{_path.replace('.', '_')}", SQ(where=U(_path, _op)))
add("unary_is_nan_integer_enum", SQ(where={"unaryFilter": {"field": {"fieldPath": "v"}, "op": 2}}))

# --- 5. composite filters ------------------------------------------------------------------------
for _cid, _f in [
    ("and_eq_eq", AND(F("k", "==", i(1)), F("p", "==", s("odd")))),
    ("and_range_two_fields", AND(F("v", ">", i(1)), F("n", "<", i(1)))),
    ("and_range_same_field", AND(F("v", ">", i(0)), F("v", "<", i(6)))),
    ("and_eq_and_range", AND(F("k", "==", i(2)), F("v", ">=", s("a")))),
    ("and_single", AND(F("v", "==", i(5)))),
    ("and_empty", {"compositeFilter": {"op": "AND", "filters": []}}),
    ("and_nested_and", AND(AND(F("k", "==", i(1))), AND(F("i", "<", i(50)), F("i", ">", i(10))))),
    ("and_ne_and_range", AND(F("v", "!=", i(1)), F("n", ">", i(1)))),
    ("and_in_and_in", AND(F("v", "in", arr(*[i(x) for x in range(6)])), F("k", "in", arr(*[i(x) for x in range(5)])))),
    ("and_in_and_array_contains", AND(F("k", "in", arr(i(0), i(1))), F("a", "array-contains", i(1)))),
    ("and_not_in_and_range", AND(F("v", "not-in", arr(i(5), s("a"))), F("n", ">=", i(3)))),
    ("and_is_not_null_and_eq", AND(U("v", "IS_NOT_NULL"), F("k", "==", i(3)))),
    ("or_eq_eq", OR(F("v", "==", i(5)), F("v", "==", s("a")))),
    ("or_single", OR(F("v", "==", i(5)))),
    ("or_two_fields", OR(F("k", "==", i(1)), F("p", "==", s("even")))),
    ("or_range_two_fields", OR(F("v", ">", i(1)), F("n", "<", i(1)))),
    ("or_range_same_field", OR(F("v", ">", i(1)), F("v", "<", i(1)))),
    ("or_ne", OR(F("v", "!=", i(1)), F("n", "==", i(1)))),
    ("or_is_not_null", OR(U("v", "IS_NOT_NULL"), F("n", "==", i(1)))),
    ("or_is_null_is_nan", OR(U("v", "IS_NULL"), U("v", "IS_NAN"))),
    ("or_array_contains_twice", OR(F("a", "array-contains", i(1)), F("a", "array-contains", i(2)))),
    ("or_in_and_eq", OR(F("v", "in", arr(i(1), i(6))), F("v", "==", b(True)))),
    ("or_of_ands", OR(AND(F("k", "==", i(1)), F("p", "==", s("odd"))), AND(F("k", "==", i(2)), F("n", ">", i(2))))),
    ("and_of_ors", AND(OR(F("k", "==", i(1)), F("k", "==", i(2))), OR(F("n", "==", i(0)), F("n", "==", i(3))))),
    ("or_nested_three_levels", OR(F("v", "==", i(6)), AND(F("k", "==", i(0)), OR(F("n", "==", i(1)), F("n", "==", i(2)))))),
    ("or_30_disjunctions", OR(*[F("v", "==", i(x)) for x in range(30)])),
    ("or_overlapping_branches", OR(F("k", "==", i(1)), F("k", "in", arr(i(1), i(2))))),
    ("or_with_null_operand", OR(F("v", "==", NULL), F("v", "==", i(5)))),
    ("or_array_contains_any_and_eq", OR(F("a", "array-contains-any", arr(i(0), s("s3"))), F("v", "==", i(5)))),
]:
    add(f"composite_{_cid}", SQ(where=_f))
add("composite_or_with_limit_and_order", SQ(where=OR(F("v", ">", i(1)), F("n", "<", i(1))), order=["k"], limit=5))
add("composite_or_integer_enum", SQ(where={"compositeFilter": {"op": 2, "filters": [F("v", "==", i(5)), F("v", "==", i(6))]}}))

# --- 6. orderBy ----------------------------------------------------------------------------------
for _cid, _coll, _order, _kw in [
    ("v", "q", ["v"], {}), ("v_desc", "q", ["-v"], {}), ("n", "q", ["n"], {}), ("n_desc", "q", ["-n"], {}),
    ("ma", "q", ["m.a"], {}), ("m_desc", "q", ["-m"], {}), ("a", "q", ["a"], {}), ("w_desc", "q", ["-w"], {}),
    ("k_then_i_desc", "q", ["k", "-i"], {}), ("k_desc_then_v", "q", ["-k", "v"], {}),
    ("p_k_desc_n", "q", ["p", "-k", "n"], {}), ("name", "q", ["__name__"], {}), ("missing_field", "q", ["nope"], {}),
    ("k_then_name_desc", "q", ["k", "-__name__"], {}), ("v_limit_7", "q", ["v"], {"limit": 7}),
    ("v_desc_limit_7", "q", ["-v"], {"limit": 7}), ("backquoted", "q", ["`v`"], {"limit": 5}),
    ("r_x", "r", ["x"], {}), ("r_x_y_desc", "r", ["x", "-y"], {}), ("r_y_x_desc", "r", ["y", "-x"], {}),
    ("r_z_desc_j", "r", ["-z", "j"], {}), ("r_grp_desc_x_desc", "r", ["-grp", "-x"], {}),
    ("r_tags", "r", ["tags"], {}), ("r_x_name", "r", ["x", "__name__"], {}),
]:
    add(f"order_{_cid}", SQ(_coll, order=_order, **_kw))
add("order_with_inequality_on_other_field", SQ(where=F("v", ">", i(6)), order=["k"]))
add("order_with_inequality_same_field_desc", SQ(where=F("v", "<", s("b")), order=["-v"]))
add("order_with_equality_filter", SQ(where=F("k", "==", i(1)), order=["-v"]))
add("order_with_not_equal", SQ(where=F("v", "!=", i(5)), order=["k"], limit=10))
add("order_with_not_in", SQ(where=F("k", "not-in", arr(i(1))), order=["-n"], limit=10))
add("order_with_is_not_null", SQ(where=U("m.a", "IS_NOT_NULL"), order=["-k"], limit=10))
add("order_direction_integer_enum", SQ(order=[{"field": {"fieldPath": "v"}, "direction": 2}], limit=6))
add("order_direction_unspecified", SQ(order=[{"field": {"fieldPath": "v"}}], limit=6))
add("order_string_limit", SQ(order=["i"], limit="3"))

# --- 7. cursors ----------------------------------------------------------------------------------
for _cid, _coll, _order, _start, _end, _kw in [
    ("x_start_at_2", "r", ["x"], AT(i(2)), None, {}),
    ("x_start_after_2", "r", ["x"], AFTER(i(2)), None, {}),
    ("x_end_at_3", "r", ["x"], None, AFTER(i(3)), {}),
    ("x_end_before_3", "r", ["x"], None, AT(i(3)), {}),
    ("x_between", "r", ["x"], AT(i(2)), AT(i(4)), {}),
    ("x_desc_start_at_2", "r", ["-x"], AT(i(2)), None, {}),
    ("x_desc_end_before_1", "r", ["-x"], None, AT(i(1)), {}),
    ("x_double_cursor_value", "r", ["x"], AT(d(2.0)), AFTER(d(2.5)), {}),
    ("x_y_start_at", "r", ["x", "y"], AT(i(2), s("banana")), None, {}),
    ("x_y_start_after", "r", ["x", "y"], AFTER(i(2), s("banana")), None, {}),
    ("x_y_end_at", "r", ["x", "y"], None, AFTER(i(1), s("cherry")), {}),
    ("x_y_partial_cursor", "r", ["x", "y"], AFTER(i(2)), None, {}),
    ("x_y_desc_start_after", "r", ["x", "-y"], AFTER(i(3), s("banana")), None, {}),
    ("x_name_start_after", "r", ["x", "__name__"], AFTER(i(2), ref("r/r07")), None, {}),
    ("x_name_desc_start_at", "r", ["-x", "-__name__"], AT(i(2), ref("r/r17")), None, {}),
    ("name_start_at", "r", ["__name__"], AT(ref("r/r10")), None, {}),
    ("name_start_after", "r", ["__name__"], AFTER(ref("r/r10")), None, {}),
    ("name_end_at", "r", ["__name__"], None, AFTER(ref("r/r05")), {}),
    ("name_end_before", "r", ["__name__"], None, AT(ref("r/r05")), {}),
    ("name_other_collection", "r", ["__name__"], AT(ref("g/r1")), None, {}),
    ("name_deeper_path", "r", ["__name__"], AFTER(ref("r/r10/sub/x")), AT(ref("r/r15")), {}),
    ("name_missing_document", "r", ["__name__"], AT(ref("r/r10a")), None, {"limit": 3}),
    ("z_start_after_with_limit_offset", "r", ["z"], AFTER(d(2.0)), None, {"limit": 4, "offset": 2}),
    ("v_start_at_5", "q", ["v"], AT(i(5)), None, {"limit": 8}),
    ("v_start_after_5", "q", ["v"], AFTER(i(5)), None, {"limit": 8}),
    ("v_start_at_d5", "q", ["v"], AT(d(5.0)), AT(s("")), {}),
    ("v_start_at_null", "q", ["v"], AT(NULL), None, {"limit": 4}),
    ("v_start_after_null", "q", ["v"], AFTER(NULL), None, {"limit": 4}),
    ("v_start_at_nan", "q", ["v"], AT(NAN), AFTER(NINF), {}),
    ("v_start_after_nan", "q", ["v"], AFTER(NAN), None, {"limit": 4}),
    ("v_end_before_true", "q", ["v"], None, AT(b(True)), {}),
    ("v_start_at_string", "q", ["v"], AT(s("a")), AT(s("b")), {}),
    ("v_type_boundary", "q", ["v"], AFTER(s("\U0001F600a")), AT(by("AQ==")), {}),
    ("v_start_at_long_string", "q", ["v"], AT(s(LONG_C)), None, {"limit": 4}),
    ("v_desc_start_at_5", "q", ["-v"], AT(i(5)), None, {"limit": 8}),
    ("v_desc_end_at_a", "q", ["-v"], AT(vec(1)), AFTER(s("a")), {}),
    ("v_desc_name_desc_start_after", "q", ["-v", "-__name__"], AFTER(i(5), ref("q/v016_d5")), None, {"limit": 4}),
    ("v_name_start_after_tie", "q", ["v", "__name__"], AFTER(i(0), ref("q/v006_dneg0")), None, {"limit": 4}),
    ("ma_start_at_1", "q", ["m.a"], AT(i(1)), AT(i(2)), {}),
    ("empty_cursor_start_at_before", "r", ["x"], {"values": [], "before": True}, None, {"limit": 3}),
    ("empty_cursor_start_after", "r", ["x"], {"values": []}, None, {"limit": 3}),
    ("empty_cursor_end_at", "r", ["x"], None, {"values": []}, {"limit": 3}),
    ("cursor_passes_end", "r", ["x"], AT(i(4)), AT(i(2)), {}),
]:
    add(f"cursor_{_cid}", SQ(_coll, order=_order, start=_start, end=_end, **_kw))
add("cursor_with_inequality", SQ(where=F("v", ">", i(0)), order=["v"], start=AFTER(i(5)), limit=6))
add("cursor_with_inequality_implicit_order", SQ(where=F("v", ">", i(6)), order=["k"], start=AT(i(1)), limit=6))
add("cursor_with_equality_filter", SQ("r", where=F("grp", "==", s("B")), order=["x"], start=AFTER(i(1)), end=AFTER(i(3))))

# --- 8. offset and limit -------------------------------------------------------------------------
for _cid, _kw in [
    ("limit_0", {"limit": 0}), ("limit_1", {"limit": 1}), ("limit_5", {"limit": 5}), ("limit_1000", {"limit": 1000}),
    ("offset_0", {"offset": 0}), ("offset_3", {"offset": 3}), ("offset_3_limit_2", {"offset": 3, "limit": 2}),
    ("offset_95", {"offset": 95}), ("offset_past_end", {"offset": 200}), ("offset_with_limit_0", {"offset": 3, "limit": 0}),
    ("offset_desc_order", {"offset": 4, "limit": 3, "order": ["-i"]}),
    ("offset_with_filter", {"offset": 1, "where": F("v", "in", arr(i(5), i(1), i(6)))}),
    ("offset_all_filtered", {"offset": 3, "where": F("v", "==", i(5))}),
    ("offset_and_cursor", {"offset": 2, "limit": 3, "order": ["i"], "start": AT(i(40))}),
    ("offset_int32_max", {"offset": 2 ** 31 - 1}),
]:
    add(f"page_{_cid}", SQ(**_kw))

# --- 9. select (projection) ----------------------------------------------------------------------
for _cid, _fields, _kw in [
    ("v", ["v"], {}), ("name_only", ["__name__"], {}), ("empty", [], {}), ("nested", ["m.a"], {}),
    ("parent_and_child", ["m", "m.a"], {}), ("missing_field", ["nope"], {}), ("several", ["k", "i", "p"], {"limit": 5}),
    ("name_and_field", ["__name__", "k"], {"limit": 5}), ("with_filter_on_other_field", ["i"], {"where": F("k", "==", i(3))}),
    ("with_order_on_other_field", ["i"], {"order": ["-n"], "limit": 6}), ("array_field", ["a"], {"limit": 10}),
    ("duplicate_paths", ["k", "k"], {"limit": 3}), ("backquoted", ["`m`.b"], {"limit": 6}),
]:
    add(f"select_{_cid}", SQ(select=_fields, **_kw))
add("select_no_fields_key", dict(SQ(where=F("v", "==", i(5))), select={}))

# --- 10. collection groups, parents, kindless queries --------------------------------------------
add("group_g_root", SQ("g", all_descendants=True))
add("group_g_root_filter", SQ("g", all_descendants=True, where=F("k", "==", i(1))))
add("group_g_root_range_desc", SQ("g", all_descendants=True, where=F("v", ">", i(10)), order=["-v"]))
add("group_g_root_order_name_limit", SQ("g", all_descendants=True, order=["__name__"], limit=5))
add("group_g_root_name_desc_with_filter", SQ("g", all_descendants=True, where=F("k", "==", i(1)), order=["-__name__"]))
add("group_g_root_cursor_name", SQ("g", all_descendants=True, order=["__name__"], start=AFTER(ref("a/x/g/d1"))))
add("group_g_root_in", SQ("g", all_descendants=True, where=F("tag", "in", arr(s("axg"), s("axbyg")))))
add("group_g_root_select", SQ("g", all_descendants=True, select=["s"], where=F("v", "<", i(10))))
add("group_g_root_offset", SQ("g", all_descendants=True, offset=5, limit=4))
add("group_g_root_name_filter", SQ("g", all_descendants=True, where=F("__name__", ">=", ref("a/x/g/d3"))))
add("group_g_under_ax", SQ("g", all_descendants=True), parent="a/x")
add("group_g_under_axby_missing_parent", SQ("g", all_descendants=True), parent="a/x/b/y")
add("group_g_under_missing_document", SQ("g", all_descendants=True), parent="a/nonexistent")
add("group_g_under_q_doc", SQ("g", all_descendants=True), parent="q/v001_false")
add("group_g_under_ax_limit_offset", SQ("g", all_descendants=True, offset=1, limit=3), parent="a/x")
add("group_g_under_ax_name_order", SQ("g", all_descendants=True, order=["__name__"]), parent="a/x")
add("group_g_under_ax_name_cursor", SQ("g", all_descendants=True, order=["__name__"], start=AT(ref("a/x/g/d2"))),
    parent="a/x")
add("group_g_under_ax_select", SQ("g", all_descendants=True, select=["v"]), parent="a/x")
add("group_sub_root", SQ("sub", all_descendants=True))
add("group_gg_root", SQ("gg", all_descendants=True))
add("group_unknown_root", SQ("nothing", all_descendants=True))
add("group_r_root_order", SQ("r", all_descendants=True, order=["-x"], limit=6))
add("subcollection_g_under_ax", SQ("g"), parent="a/x")
add("subcollection_g_under_axby", SQ("g"), parent="a/x/b/y")
add("subcollection_g_under_ax_filter_desc", SQ("g", where=F("v", ">", i(5)), order=["-v"]), parent="a/x")
add("subcollection_h_under_ax", SQ("h"), parent="a/x")
add("subcollection_sub_under_q_doc", SQ("sub"), parent="q/v001_false")
add("subcollection_under_missing_doc", SQ("g"), parent="q/v002_true")
add("subcollection_g_under_g_doc", SQ("g", order=["-v"]), parent="a/x/g/d1")
add("kindless_all_descendants_root", SQ(from_=[{"allDescendants": True}]))
add("kindless_all_descendants_under_ax", SQ(from_=[{"allDescendants": True}]), parent="a/x")
add("kindless_all_descendants_limit_offset", SQ(from_=[{"allDescendants": True}], limit=3, offset=2))
add("kindless_all_descendants_name_cursor", SQ(from_=[{"allDescendants": True}], order=["__name__"],
                                               start=AFTER(ref("q/v090_vec21")), limit=6))
add("kindless_root", SQ(from_=[{}]))
add("kindless_under_ax", SQ(from_=[{}]), parent="a/x")
add("kindless_empty_from", SQ(from_=[]))
add("kindless_empty_collection_id", SQ(from_=[{"collectionId": ""}], limit=4))
add("empty_structured_query", {})

# --- 11. filters on __name__ ---------------------------------------------------------------------
for _cid, _f in [
    ("eq", F("__name__", "==", ref("q/v005_pinf"))), ("gt", F("__name__", ">", ref("q/v085_mdeep"))),
    ("lt_other_collection", F("__name__", "<", ref("g/r1"))), ("lt_prefix", F("__name__", "<", ref("q/v0"))),
    ("lt_child_path", F("__name__", "<", ref("q/v001_false/sub/s1"))),
    ("in", F("__name__", "in", arr(ref("q/v005_pinf"), ref("g/r1"), ref("q/zz")))),
    ("not_in", F("__name__", "not-in", arr(ref("q/v005_pinf"), ref("q/10")))),
    ("ne", F("__name__", "!=", ref("q/10"))), ("range", AND(F("__name__", ">=", ref("q/a")), F("__name__", "<", ref("q/v003")))),
]:
    add(f"name_filter_{_cid}", SQ(where=_f, limit=12))

# --- 12. aggregations ----------------------------------------------------------------------------
_Q_ALL = SQ()
_UNDER_AX = ("count_group_under_ax", "sum_subcollection", "agg_sum_group_under_parent")
for _cid, _sq, _aggs in [
    ("count", _Q_ALL, [COUNT()]),
    ("count_alias", _Q_ALL, [COUNT("total")]),
    ("count_up_to_5", _Q_ALL, [COUNT(up_to=5)]),
    ("count_up_to_0", _Q_ALL, [COUNT(up_to=0)]),
    ("count_up_to_large", _Q_ALL, [COUNT(up_to=1000)]),
    ("count_up_to_json_number", _Q_ALL, [{"count": {"upTo": 5}}]),
    ("count_two_up_tos", _Q_ALL, [COUNT(up_to=5), COUNT(up_to=10)]),
    ("count_filtered", SQ(where=F("v", "==", i(5))), [COUNT()]),
    ("count_empty", SQ(where=F("v", "==", s("nothing"))), [COUNT()]),
    ("count_limit", SQ(limit=3), [COUNT()]),
    ("count_offset", SQ(offset=90), [COUNT()]),
    ("count_offset_past_end", SQ(offset=100), [COUNT()]),
    ("count_order_limit", SQ(order=["n"], limit=3), [COUNT()]),
    ("count_group_root", SQ("g", all_descendants=True), [COUNT()]),
    ("count_group_under_ax", SQ("g", all_descendants=True), [COUNT("n")]),          # parent a/x
    ("count_kindless", SQ(from_=[{"allDescendants": True}]), [COUNT()]),
    ("count_or_query", SQ(where=OR(F("k", "==", i(1)), F("v", "==", i(5)))), [COUNT()]),
    ("count_not_in_dups", SQ(where=F("v", "not-in", arr(i(5), i(5)))), [COUNT()]),
    ("sum_n", _Q_ALL, [SUM("n")]),
    ("avg_n", _Q_ALL, [AVG("n")]),
    ("sum_avg_count_unaliased", _Q_ALL, [SUM("n"), AVG("n"), COUNT()]),
    ("sum_avg_count_aliased", _Q_ALL, [SUM("n", "s"), AVG("n", "a"), COUNT("c")]),
    ("mixed_aliases", _Q_ALL, [COUNT(), COUNT("a"), SUM("i"), AVG("i", "avg_i")]),
    ("five_aggregations", _Q_ALL, [COUNT(), SUM("n"), AVG("n"), SUM("i"), AVG("i")]),
    ("odd_aliases", _Q_ALL, [COUNT("a b"), COUNT("1x"), COUNT("\u00e9"), COUNT("a.b"), COUNT("`a`")]),
    ("empty_alias_is_unaliased", _Q_ALL, [COUNT(""), COUNT("x")]),
    ("sum_avg_ints", SQ(where=F("i", "<", i(10))), [SUM("i"), AVG("i")]),
    ("sum_avg_int_and_double", SQ(where=F("i", "<", i(10))), [SUM("n"), AVG("n")]),
    ("sum_avg_nested_and_non_numeric", SQ(where=F("i", "<", i(10))), [SUM("m.a"), AVG("m.a"), SUM("m"), AVG("p")]),
    ("sum_avg_missing_field", _Q_ALL, [SUM("nope"), AVG("nope"), COUNT()]),
    ("sum_avg_empty", SQ(where=F("v", "==", s("nothing"))), [SUM("n"), AVG("n"), COUNT()]),
    ("sum_avg_mixed_field_w", _Q_ALL, [SUM("w"), AVG("w")]),
    ("sum_avg_nan_propagates", _Q_ALL, [SUM("nn"), AVG("nn")]),
    ("sum_avg_v_all_types", _Q_ALL, [SUM("v"), AVG("v")]),
    ("sum_overflow_into_double", SQ(where=F("big", ">", i(0))), [SUM("big"), AVG("big"), COUNT()]),
    ("sum_overflow_all_big", _Q_ALL, [SUM("big"), AVG("big")]),
    ("sum_max_and_one", SQ(where=F("v", "in", arr(i(I64_MAX), i(1)))), [SUM("v"), AVG("v"), COUNT()]),
    ("sum_max_and_minus_one_stays_int", SQ(where=F("v", "in", arr(i(I64_MAX), i(-1)))), [SUM("v"), AVG("v")]),
    ("sum_max_and_min", SQ(where=F("v", "in", arr(i(I64_MAX), i(I64_MIN)))), [SUM("v"), AVG("v")]),
    ("sum_infinities", SQ(where=F("v", "in", arr(INF, NINF))), [SUM("v"), AVG("v")]),
    ("sum_infinity_and_one", SQ(where=F("v", "in", arr(INF, i(1)))), [SUM("v"), AVG("v")]),
    ("sum_double_overflow", SQ(where=F("v", "in", arr(d(1.7976931348623157e308), d(1e308)))), [SUM("v"), AVG("v")]),
    ("sum_int_overflow_pure_ints", SQ(where=F("v", "in", arr(i(I64_MAX), i(6)))), [SUM("v"), AVG("v"), COUNT()]),
    ("sum_int_underflow_pure_ints", SQ(where=F("v", "in", arr(i(I64_MIN), i(-1)))), [SUM("v"), AVG("v")]),
    ("sum_int_and_equal_double", SQ(where=F("v", "in", arr(i(5), i(1)))), [SUM("v"), AVG("v")]),
    ("sum_ints_only", SQ(where=F("v", "in", arr(i(6), i(-1)))), [SUM("v"), AVG("v")]),
    ("sum_zeros", SQ(where=F("v", "==", d(-0.0))), [SUM("v"), AVG("v")]),
    ("sum_p53", SQ(where=F("v", "in", arr(i(P53), i(P53 + 1)))), [SUM("v"), AVG("v")]),
    ("sum_with_limit_orders_by_field", SQ(limit=3), [SUM("n"), COUNT()]),
    ("sum_with_order_and_limit", SQ(order=["v"], limit=3), [SUM("n"), COUNT()]),
    ("sum_with_filter_and_limit", SQ(where=F("k", "==", i(2)), limit=4), [SUM("n"), AVG("i"), COUNT()]),
    ("sum_group_root", SQ("g", all_descendants=True), [SUM("v"), AVG("v"), COUNT()]),
    ("sum_subcollection", SQ("g"), [SUM("v"), AVG("v"), COUNT()]),                  # parent a/x
    ("sum_r_by_group", SQ("r", where=F("grp", "==", s("A"))), [SUM("z"), AVG("x"), COUNT()]),
]:
    add(f"agg_{_cid}", _sq, aggs=_aggs, parent="a/x" if _cid in _UNDER_AX else "")

# --- 13. errors ----------------------------------------------------------------------------------
_31 = [i(x) for x in range(31)]
for _cid, _sq in [
    ("in_31_values", SQ(where=F("v", "in", arr(*_31)))),
    ("array_contains_any_31_values", SQ(where=F("a", "array-contains-any", arr(*_31)))),
    ("not_in_11_values", SQ(where=F("v", "not-in", arr(*_31[:11])))),
    ("in_empty", SQ(where=F("v", "in", arr()))),
    ("not_in_empty", SQ(where=F("v", "not-in", arr()))),
    ("array_contains_any_empty", SQ(where=F("a", "array-contains-any", arr()))),
    ("in_not_an_array", SQ(where=F("v", "in", i(1)))),
    ("not_in_not_an_array", SQ(where=F("v", "not-in", i(1)))),
    ("array_contains_any_not_an_array", SQ(where=F("a", "array-contains-any", i(1)))),
    ("disjunctions_36", SQ(where=AND(F("v", "in", arr(*_31[:6])), F("k", "in", arr(*_31[:6]))))),
    ("disjunctions_31_or", SQ(where=OR(*[F("v", "==", x) for x in _31]))),
    ("disjunctions_32_or_and_any", SQ(where=AND(OR(F("v", "==", i(1)), F("v", "==", i(2))),
                                                F("a", "array-contains-any", arr(*_31[:16]))))),
    ("two_not_equal", SQ(where=AND(F("v", "!=", i(1)), F("n", "!=", i(1))))),
    ("not_equal_and_is_not_null", SQ(where=AND(F("v", "!=", i(1)), U("n", "IS_NOT_NULL")))),
    ("not_equal_and_is_not_nan", SQ(where=AND(F("v", "!=", i(1)), U("v", "IS_NOT_NAN")))),
    ("not_in_and_not_equal", SQ(where=AND(F("v", "not-in", arr(i(1))), F("v", "!=", i(2))))),
    ("not_in_with_in", SQ(where=AND(F("v", "not-in", arr(i(1))), F("n", "in", arr(i(1)))))),
    ("not_in_with_array_contains_any", SQ(where=AND(F("v", "not-in", arr(i(1))), F("a", "array-contains-any", arr(i(1)))))),
    ("not_in_in_or", SQ(where=OR(F("v", "not-in", arr(i(1))), F("n", "==", i(1))))),
    ("not_in_and_or", SQ(where=AND(F("v", "not-in", arr(i(1))), OR(F("k", "==", i(2)), F("k", "==", i(1)))))),
    ("two_array_contains", SQ(where=AND(F("a", "array-contains", i(1)), F("a", "array-contains", i(2))))),
    ("array_contains_and_any", SQ(where=AND(F("a", "array-contains", i(1)), F("a", "array-contains-any", arr(i(2)))))),
    ("two_array_contains_any", SQ(where=AND(F("a", "array-contains-any", arr(i(1))), F("a", "array-contains-any", arr(i(2)))))),
    ("cursor_too_many_values", SQ(order=["__name__"], start=AT(ref("q/a"), i(1)))),
    ("cursor_too_many_values_implicit_order", SQ(where=F("v", ">", i(6)), order=["k"], start=AT(i(1), i(3)))),
    ("cursor_without_order", SQ(start=AT(i(1)))),
    ("cursor_name_not_a_reference", SQ(order=["__name__"], start=AT(s("v087_vec1")))),
    ("cursor_name_other_database", SQ(order=["__name__"],
                                      start=AT({"referenceValue": "projects/other/databases/(default)/documents/q/x"}))),
    ("cursor_name_collection_path", SQ(order=["__name__"], start=AT(ref("q")))),
    ("order_after_key", SQ(order=["__name__", "k"])),
    ("order_key_with_inequality", SQ(where=F("v", ">", i(1)), order=["__name__"])),
    ("order_key_then_inequality_field", SQ(where=F("v", ">", i(1)), order=["k", "__name__", "v"])),
    ("order_duplicate_field", SQ(order=["v", "-v"])),
    # orderBy __name__ DESC is rejected by the official emulator but served by production and by
    # Flint; it is checked in test_query_client.py::test_descending_key_order_is_served.
    ("order_empty_field_path", SQ(order=[{"direction": "ASCENDING"}])),
    ("limit_negative", SQ(limit=-1)),
    ("offset_negative", SQ(offset=-1)),
    ("limit_not_int32", SQ(limit=2 ** 31)),
    ("limit_as_wrapper_object", SQ(limit={"value": 2})),
    ("value_too_large_string", SQ(where=F("v", "==", s(LONG_C)))),
    ("value_too_large_string_1500", SQ(where=F("v", "==", s("x" * 1500)))),
    ("value_too_large_in", SQ(where=F("v", "in", arr(s(LONG_C))))),
    ("value_too_large_array_contains", SQ(where=F("a", "array-contains", s(LONG_C)))),
    ("value_too_large_nested_field", SQ(where=F("m.a", "==", s(LONG_C)))),
    ("value_too_large_range", SQ(where=F("v", ">", s(LONG_C)))),
    ("value_too_large_map", SQ(where=F("v", "==", mp(ab=s("x" * 1497))))),
    ("value_too_large_bytes_1501", SQ(where=F("v", "==", by(base64.b64encode(b"x" * 1501).decode())))),
    ("field_path_with_space", SQ(where=F("a b", "==", i(5)))),
    ("field_path_empty", SQ(where=F("", "==", i(5)))),
    ("select_bad_path", SQ(select=["a b"])),
    ("select_empty_path", SQ(select=[""])),
    ("unknown_operator_name", SQ(where=F("v", "BOGUS", i(5)))),
    ("operator_unspecified", SQ(where=F("v", "OPERATOR_UNSPECIFIED", i(5)))),
    ("operator_integer_out_of_range", SQ(where={"fieldFilter": {"field": {"fieldPath": "v"}, "op": 99, "value": i(5)}})),
    ("operator_missing", SQ(where={"fieldFilter": {"field": {"fieldPath": "v"}, "value": i(5)}})),
    ("value_missing", SQ(where={"fieldFilter": {"field": {"fieldPath": "v"}, "op": "EQUAL"}})),
    ("unary_operator_missing", SQ(where={"unaryFilter": {"field": {"fieldPath": "v"}}})),
    ("unary_field_missing", SQ(where={"unaryFilter": {"op": "IS_NULL"}})),
    ("composite_or_empty", SQ(where={"compositeFilter": {"op": "OR", "filters": []}})),
    ("composite_operator_missing", SQ(where={"compositeFilter": {"filters": [F("v", "==", i(5))]}})),
    ("empty_filter", SQ(where={})),
    ("name_filter_string_value", SQ(where=F("__name__", "==", s("v005_pinf")))),
    ("name_filter_is_null", SQ(where=U("__name__", "IS_NULL"))),
    ("name_filter_array_contains", SQ(where=F("__name__", "array-contains", ref("q/v0")))),
    ("name_filter_other_database", SQ(where=F("__name__", "==", {"referenceValue":
                                                                 "projects/other/databases/(default)/documents/q/x"}))),
    ("two_collection_selectors", SQ(from_=[{"collectionId": "q"}, {"collectionId": "g"}])),
    ("collection_id_with_slash", SQ("q/x")),
    ("collection_id_reserved", SQ("__x__")),
    ("kindless_with_filter", SQ(from_=[{"allDescendants": True}], where=F("v", "==", i(2)))),
    ("kindless_order_desc_key", SQ(from_=[{"allDescendants": True}], order=["-__name__"])),
    ("kindless_order_field", SQ(from_=[{"allDescendants": True}], order=["v"])),
]:
    add(f"err_{_cid}", _sq)
for _cid, _sq in [
    ("group_under_parent_with_filter", SQ("g", all_descendants=True, where=F("v", "==", i(2)))),
    ("group_under_parent_with_range", SQ("g", all_descendants=True, where=F("v", ">", i(5)))),
    ("group_under_parent_with_order", SQ("g", all_descendants=True, order=["v"])),
    ("group_under_parent_desc_key", SQ("g", all_descendants=True, order=["-__name__"])),
]:
    add(f"err_{_cid}", _sq, parent="a/x")
add("err_parent_is_a_collection", SQ(), parent="nonexistent")
add("err_parent_too_deep_collection", SQ(), parent="q/v001_false/sub/s1/deeper")
for _cid, _sq, _aggs in [
    ("agg_empty_list", _Q_ALL, []),
    ("agg_duplicate_alias", _Q_ALL, [COUNT("x"), COUNT("x")]),
    ("agg_alias_collides_with_generated", _Q_ALL, [COUNT("field_1"), COUNT()]),
    ("agg_alias_collides_with_generated_later", _Q_ALL, [COUNT(), COUNT("field_1")]),
    ("agg_reserved_alias", _Q_ALL, [COUNT("__x__")]),
    ("agg_count_up_to_negative", _Q_ALL, [COUNT(up_to=-1)]),
    ("agg_count_up_to_not_a_number", _Q_ALL, [{"count": {"upTo": "abc"}}]),
    ("agg_two_operators", _Q_ALL, [{"count": {}, "sum": {"field": {"fieldPath": "n"}}}]),
    ("agg_no_operator", _Q_ALL, [{"alias": "x"}]),
    ("agg_sum_without_field", _Q_ALL, [{"sum": {}}]),
    ("agg_sum_empty_path", _Q_ALL, [SUM("")]),
    ("agg_sum_bad_path", _Q_ALL, [SUM("a b")]),
    ("agg_sum_name", _Q_ALL, [SUM("__name__")]),
    ("agg_sum_after_name_order", SQ(order=["__name__"], limit=3), [SUM("n")]),
    ("agg_sum_group_under_parent", SQ("g", all_descendants=True), [SUM("v")]),
    ("agg_invalid_query", SQ(limit=-1), [COUNT()]),
]:
    add(f"err_{_cid}", _sq, aggs=_aggs, parent="a/x" if _cid in _UNDER_AX else "")
add("err_body_without_structured_query", body={})
add("err_agg_body_without_structured_aggregation_query", aggs=[], body={})
add("err_unknown_top_level_field", body={"structuredQuery": SQ(), "bogus": 1})


# --------------------------------------------------------------------------- running and normalising

def _fill(obj, root):
    if isinstance(obj, str):
        return obj.replace("{root}", root)
    if isinstance(obj, list):
        return [_fill(x, root) for x in obj]
    if isinstance(obj, dict):
        return {k: _fill(v, root) for k, v in obj.items()}
    return obj


def request_for(case, project):
    root = f"projects/{project}/databases/(default)/documents"
    is_agg = case["aggs"] is not None
    if case["body"] is not None:
        body = case["body"]
    elif is_agg:
        body = {"structuredAggregationQuery": {"structuredQuery": case["sq"], "aggregations": case["aggs"]}}
    else:
        body = {"structuredQuery": case["sq"]}
    parent = f"/{case['parent']}" if case["parent"] else ""
    verb = ":runAggregationQuery" if is_agg else ":runQuery"
    return f"/v1/{root}{parent}{verb}", _fill(body, root)


def _norm_value(v):
    """doubleValue numbers by repr(float(x)): -0.0 and 0.0 differ, JSON 5 and 5.0 are the same double."""
    if isinstance(v, dict):
        out = {}
        for k, x in v.items():
            if k == "doubleValue" and isinstance(x, (int, float)) and not isinstance(x, bool):
                out[k] = repr(float(x))
            else:
                out[k] = _norm_value(x)
        return out
    if isinstance(v, list):
        return [_norm_value(x) for x in v]
    return v


class Side:
    def __init__(self, server, project, commit_times):
        self.server = server
        self.project = project
        self.session = requests.Session()
        self.root = f"projects/{project}/databases/(default)/documents/"
        self.commit_rank = {t: f"<C{n + 1}>" for n, t in enumerate(commit_times)}

    def send(self, case):
        path, body = request_for(case, self.project)
        return self.session.post(self.server.base + path, data=json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"}, timeout=conftest.HTTP_TIMEOUT)

    def _time(self, t):
        return self.commit_rank.get(t, "<unknown time>")

    def _doc(self, doc):
        out = {}
        for k, v in doc.items():
            if k == "name" and isinstance(v, str):
                out[k] = v[len(self.root):] if v.startswith(self.root) else v
            elif k in ("createTime", "updateTime"):
                out[k] = self._time(v)
            elif k == "fields":
                out[k] = _norm_value(v)
            else:
                out[k] = v
        return out

    def normalise(self, case, resp):
        status = resp.status_code
        try:
            body = json.loads(resp.text)
        except ValueError:
            return {"status": status, "text": resp.text.strip()[:300]}
        if status != 200:
            err = body.get("error") if isinstance(body, dict) else None
            if not isinstance(err, dict):
                return {"status": status, "body": body}
            return {"status": status, "error": {"code": err.get("code"), "status": err.get("status"),
                                                "message": conftest.without_detail(err.get("message"))}}
        if not isinstance(body, list):
            return {"status": status, "not_an_array": body}
        if not all(isinstance(el, dict) for el in body):
            return {"status": status, "elements_not_objects": body}
        out = {"status": status, "every_element_has_readTime": all("readTime" in el for el in body)}
        if case["aggs"] is not None:
            # RunAggregationQueryResponse has no `done` field; the official emulator adds one anyway
            # and clients ignore it, so it is not compared.
            out["results"] = [el["result"] for el in body if "result" in el]
            return out
        out["last_element_done"] = bool(body) and body[-1].get("done") is True
        out["documents"] = [self._doc(el["document"]) for el in body if "document" in el]
        # skippedResults is not compared: the official emulator repeats the offset on every element
        # but the last (and omits it when nothing is returned); see test_query_client.py.
        extra = sorted({k for el in body for k in el} - {"document", "readTime", "skippedResults", "done"})
        if extra:
            out["unexpected_keys"] = extra
        return out


def _approx_equal(a, b):
    """Equality where JSON numbers (aggregate doubles) match to 1e-12 relative."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_approx_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_approx_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool) \
            and not isinstance(b, bool):
        return math.isclose(a, b, rel_tol=1e-12, abs_tol=0.0) or a == b
    return a == b


def _first_difference(a, b, path="$"):
    if path == "$" and isinstance(a, dict) and isinstance(b, dict) and a.get("status") != b.get("status"):
        what = lambda x: x.get("error", {}).get("message") if "error" in x else f"{len(x.get('documents', []))} documents"
        return f"status {a.get('status')} ({what(a)}) vs {b.get('status')} ({what(b)})"
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}.{k}: only on the {'left' if k in a else 'right'}"
            if not _approx_equal(a[k], b[k]):
                return _first_difference(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list) and isinstance(b, list):
        for n, (x, y) in enumerate(zip(a, b)):
            if not _approx_equal(x, y):
                return _first_difference(x, y, f"{path}[{n}]")
        if len(a) != len(b):
            return f"{path}: length {len(a)} vs {len(b)}"
    return f"{path}: {json.dumps(a, ensure_ascii=False)[:300]} vs {json.dumps(b, ensure_ascii=False)[:300]}"


def _check_framing(side, resp):
    """Streamed bodies are one JSON array; Flint's ends exactly at ']' (GAPIC REST needs that)."""
    if resp.status_code != 200:
        return None
    raw = resp.content
    if raw[:1] != b"[":
        return f"{side.server.kind}: streamed body does not start with '[': {raw[:40]!r}"
    tail = raw if side.server.kind == "flint" else raw.rstrip(b"\n")
    if tail[-1:] != b"]":
        return f"{side.server.kind}: streamed body does not end exactly with ']': {raw[-40:]!r}"
    return None


# --------------------------------------------------------------------------- fixtures and tests

def _flint_available():
    p = os.environ.get("FLINT_BIN") or os.path.join(conftest.REPO_ROOT, ".build", "debug", "flint")
    if not os.path.isabs(p):
        p = os.path.join(conftest.REPO_ROOT, p)
    return os.access(p, os.X_OK)


@pytest.fixture(scope="module")
def sides():
    """(left, right): Flint (or a 2nd official emulator under DIFF_SELF_TEST) and the official
    emulator, each with the data set loaded into the same fresh project."""
    right = conftest._server("official")
    if conftest.diff_self_test():
        left = conftest._server("official", slot=1)
    else:
        if not _flint_available():
            pytest.skip("Flint executable not built (set FLINT_BIN); DIFF_SELF_TEST=1 runs official vs official")
        left = conftest._server("flint")
    project = new_project("qdiff")
    out = []
    for srv in (left, right):
        with requests.Session() as sess:
            times = qd.load(sess, srv.base, project)
        out.append(Side(srv, project, times))
    yield out
    for side in out:
        side.session.close()


def test_case_table_is_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len(CASES) >= 300, len(CASES)
    assert sum(1 for c in CASES if c["aggs"] is not None) >= 50
    assert sum(1 for c in CASES if c["id"].startswith("err_")) >= 60
    assert 150 <= len(qd.documents()) <= 250


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_query(sides, case):
    left, right = sides
    r_left, r_right = left.send(case), right.send(case)
    problems = [p for p in (_check_framing(left, r_left), _check_framing(right, r_right)) if p]
    a, b_ = left.normalise(case, r_left), right.normalise(case, r_right)
    if not _approx_equal(a, b_):
        path, body = request_for(case, "{p}")
        problems.append(
            f"responses differ for POST {path}\n{json.dumps(body, ensure_ascii=False)[:1500]}\n"
            f"first difference ({left.server.kind} vs {right.server.kind}): {_first_difference(a, b_)}\n"
            f"--- {left.server.kind} ({left.server.base})\n{json.dumps(a, indent=1, sort_keys=True, ensure_ascii=False)[:6000]}\n"
            f"--- {right.server.kind} ({right.server.base})\n{json.dumps(b_, indent=1, sort_keys=True, ensure_ascii=False)[:6000]}")
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --------------------------------------------------------------------------- normaliser self-checks (no server)

class _FakeResponse:
    def __init__(self, status, body):
        self.status_code = status
        self.text = body if isinstance(body, str) else json.dumps(body)
        self.content = self.text.encode()


class _FakeServer:
    kind = "flint"
    base = "http://fake"


def _fake_side():
    return Side(_FakeServer(), "p", ["2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00.000002Z"])


_QCASE = {"id": "x", "sq": SQ(), "parent": "", "aggs": None, "body": None}
_ACASE = dict(_QCASE, aggs=[COUNT()])


def _doc_el(name, fields, t="2026-01-01T00:00:00.000001Z", **extra):
    return dict({"document": {"name": f"projects/p/databases/(default)/documents/{name}", "fields": fields,
                              "createTime": t, "updateTime": t}, "readTime": "2026-01-01T00:00:01Z"}, **extra)


def test_normaliser_maps_commit_times_and_strips_root():
    side = _fake_side()
    n = side.normalise(_QCASE, _FakeResponse(200, [_doc_el("q/a", {"x": i(1)}),
                                                    _doc_el("q/b", {}, "2026-01-01T00:00:00.000002Z", done=True)]))
    assert n["documents"] == [{"name": "q/a", "fields": {"x": i(1)}, "createTime": "<C1>", "updateTime": "<C1>"},
                              {"name": "q/b", "fields": {}, "createTime": "<C2>", "updateTime": "<C2>"}]
    assert n["last_element_done"] and n["every_element_has_readTime"]


def test_normaliser_sees_order_kind_and_negative_zero_differences():
    side = _fake_side()
    base = side.normalise(_QCASE, _FakeResponse(200, [_doc_el("q/a", {"x": d(0.0)}), _doc_el("q/b", {}, done=True)]))
    for other in ([_doc_el("q/b", {}), _doc_el("q/a", {"x": d(0.0)}, done=True)],      # order
                  [_doc_el("q/a", {"x": i(0)}), _doc_el("q/b", {}, done=True)],        # kind
                  [_doc_el("q/a", {"x": d(-0.0)}), _doc_el("q/b", {}, done=True)],     # -0.0
                  [_doc_el("q/a", {"x": d(0.0)}), _doc_el("q/b", {})]):                # no done
        assert not _approx_equal(base, side.normalise(_QCASE, _FakeResponse(200, other)))
    assert _approx_equal(base, side.normalise(_QCASE, _FakeResponse(200, [_doc_el("q/a", {"x": d(0)}),
                                                                            _doc_el("q/b", {}, done=True)])))


def test_normaliser_compares_error_texts_and_aggregate_values():
    side = _fake_side()
    err = lambda msg: _FakeResponse(400, {"error": {"code": 400, "message": msg, "status": "INVALID_ARGUMENT"}})
    assert side.normalise(_QCASE, err("limit is negative")) != side.normalise(_QCASE, err("limit is negative!"))
    assert side.normalise(_QCASE, err(conftest.PAYLOAD_INVALID)) == \
        side.normalise(_QCASE, err(conftest.PAYLOAD_INVALID + " (detail)"))
    agg = lambda v: _FakeResponse(200, [{"result": {"aggregateFields": {"field_1": v}}, "readTime": "x", "done": True}])
    assert _approx_equal(side.normalise(_ACASE, agg(d(0.1 + 0.2))), side.normalise(_ACASE, agg(d(0.3))))
    assert not _approx_equal(side.normalise(_ACASE, agg(d(3.0))), side.normalise(_ACASE, agg(i(3))))
    assert not _approx_equal(side.normalise(_ACASE, agg(d(3.0))), side.normalise(_ACASE, agg(d(3.001))))


def test_framing_check_is_strict_for_flint_only():
    flint, official = _fake_side(), _fake_side()
    official.server = type("O", (), {"kind": "official", "base": "x"})()
    assert _check_framing(flint, _FakeResponse(200, "[{}]")) is None
    assert _check_framing(flint, _FakeResponse(200, "[{}]\n")) is not None
    assert _check_framing(flint, _FakeResponse(200, " [{}]")) is not None
    assert _check_framing(official, _FakeResponse(200, "[{}]\n")) is None
