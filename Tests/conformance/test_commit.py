""":commit over plain HTTP: update / delete / transform writes, updateMask presence, preconditions,
atomicity, one commitTime, and every field transform (with integer/double mixing and int64
saturation)."""

import pytest

from conftest import assert_error, dbl_value, int_value, parse_ts, str_value

I64_MAX = 2**63 - 1
I64_MIN = -2**63


def _update(api, path, fields=None, **extra):
    w = {"update": {"name": api.name(path), "fields": fields or {}}}
    w.update(extra)
    return w


def _transform(api, path, *fts):
    return {"transform": {"document": api.name(path), "fieldTransforms": list(fts)}}


def _tr_results(resp_json, i=0):
    return resp_json["writeResults"][i].get("transformResults", [])


def _fields(api, path):
    return api.get_doc(path).get("fields", {})


# --------------------------------------------------------------------------- basic writes

def test_commit_update_creates_document_and_returns_write_result(api):
    out = api.commit_ok([_update(api, "c/a", {"x": int_value(1)})])
    assert set(out) == {"writeResults", "commitTime"}
    assert len(out["writeResults"]) == 1
    assert out["writeResults"][0]["updateTime"] == out["commitTime"]
    doc = api.get_doc("c/a")
    assert doc["fields"] == {"x": int_value(1)}
    assert doc["createTime"] == doc["updateTime"] == out["commitTime"]


def test_commit_writes_share_one_commit_time(api):
    out = api.commit_ok([_update(api, "c/a"), _update(api, "c/b"), _update(api, "d/e/f/g")])
    times = {wr["updateTime"] for wr in out["writeResults"]}
    assert times == {out["commitTime"]}
    assert api.get_doc("d/e/f/g")["updateTime"] == out["commitTime"]


def test_commit_empty_writes_answers_empty_object(api):
    r = api.commit([])
    assert r.status_code == 200
    assert r.json() == {}


def test_commit_delete_removes_document(api):
    api.put_doc("c/a", {"x": int_value(1)})
    out = api.commit_ok([{"delete": api.name("c/a")}])
    assert len(out["writeResults"]) == 1
    assert api.get_doc("c/a") is None


def test_commit_delete_of_missing_document_has_no_update_time(api):
    out = api.commit_ok([{"delete": api.name("c/none")}])
    assert out["writeResults"] == [{}]
    assert "commitTime" in out


def test_commit_without_update_mask_replaces_document(api):
    api.put_doc("c/a", {"x": int_value(1), "y": int_value(2)})
    api.commit_ok([_update(api, "c/a", {"z": int_value(3)})])
    assert _fields(api, "c/a") == {"z": int_value(3)}


def test_commit_update_mask_merges_listed_fields_only(api):
    api.put_doc("c/a", {"x": int_value(1), "m": {"mapValue": {"fields": {"p": int_value(1), "q": int_value(2)}}}})
    api.commit_ok([_update(api, "c/a", {"m": {"mapValue": {"fields": {"p": int_value(9)}}}, "x": int_value(7)},
                           updateMask={"fieldPaths": ["m.p"]})])
    assert _fields(api, "c/a") == {"x": int_value(1),
                                   "m": {"mapValue": {"fields": {"p": int_value(9), "q": int_value(2)}}}}


def test_commit_update_mask_path_missing_from_fields_deletes_it(api):
    api.put_doc("c/a", {"x": int_value(1), "y": int_value(2)})
    api.commit_ok([_update(api, "c/a", {}, updateMask={"fieldPaths": ["x"]})])
    assert _fields(api, "c/a") == {"y": int_value(2)}


def test_commit_present_but_empty_update_mask_changes_no_fields(api):
    first = api.put_doc("c/a", {"x": int_value(1)})
    api.commit_ok([_update(api, "c/a", {"z": int_value(3)}, updateMask={})])
    doc = api.get_doc("c/a")
    assert doc["fields"] == {"x": int_value(1)}
    assert doc["updateTime"] == first["updateTime"]


def test_commit_empty_update_mask_with_transform_keeps_other_fields(api):
    api.put_doc("c/a", {"x": int_value(1)})
    api.commit_ok([{"update": {"name": api.name("c/a")}, "updateMask": {},
                    "updateTransforms": [{"fieldPath": "n", "increment": int_value(1)}]}])
    assert _fields(api, "c/a") == {"x": int_value(1), "n": int_value(1)}


def test_commit_absent_update_mask_with_transform_replaces_other_fields(api):
    api.put_doc("c/a", {"x": int_value(1)})
    api.commit_ok([{"update": {"name": api.name("c/a")},
                    "updateTransforms": [{"fieldPath": "n", "increment": int_value(1)}]}])
    assert _fields(api, "c/a") == {"n": int_value(1)}


def test_commit_write_that_changes_nothing_keeps_update_time_but_new_commit_time(api):
    first = api.put_doc("c/a", {"x": int_value(1)})
    out = api.commit_ok([_update(api, "c/a", {"x": int_value(1)})])
    assert out["writeResults"][0]["updateTime"] == first["updateTime"]
    assert parse_ts(out["commitTime"]) > parse_ts(first["updateTime"])


def test_commit_exists_false_on_existing_is_409_already_exists(api):
    api.put_doc("c/a", {"x": int_value(1)})
    assert_error(api.commit([_update(api, "c/a", {"x": int_value(2)}, currentDocument={"exists": False})]),
                 409, "ALREADY_EXISTS")
    assert _fields(api, "c/a") == {"x": int_value(1)}


@pytest.mark.flint_only(reason="production's ALREADY_EXISTS text 'Document already exists: <name>'")
def test_commit_exists_false_uses_production_message(api):
    api.put_doc("c/a")
    assert_error(api.commit([_update(api, "c/a", currentDocument={"exists": False})]), 409, "ALREADY_EXISTS",
                 message=f"Document already exists: {api.name('c/a')}")


def test_commit_exists_true_on_missing_is_404_not_found(api):
    assert_error(api.commit([_update(api, "c/none", currentDocument={"exists": True})]), 404, "NOT_FOUND")
    assert api.get_doc("c/none") is None


def test_commit_matching_update_time_precondition_succeeds(api):
    ut = api.put_doc("c/a", {"x": int_value(1)})["updateTime"]
    api.commit_ok([_update(api, "c/a", {"x": int_value(2)}, currentDocument={"updateTime": ut})])
    assert _fields(api, "c/a") == {"x": int_value(2)}


def test_commit_stale_update_time_precondition_is_400_failed_precondition(api):
    api.put_doc("c/a", {"x": int_value(1)})
    r = api.commit([_update(api, "c/a", {"x": int_value(2)},
                            currentDocument={"updateTime": "2001-01-01T00:00:00.000001Z"})])
    assert_error(r, 400, "FAILED_PRECONDITION")
    assert _fields(api, "c/a") == {"x": int_value(1)}


def test_commit_update_time_precondition_on_missing_document_fails(api):
    r = api.commit([_update(api, "c/none", currentDocument={"updateTime": "2020-01-01T00:00:00Z"})])
    assert_error(r, 400, "FAILED_PRECONDITION")
    assert api.get_doc("c/none") is None


def test_commit_is_atomic_when_a_later_precondition_fails(api):
    r = api.commit([_update(api, "c/first", {"x": int_value(1)}),
                    {"delete": api.name("c/none"), "currentDocument": {"exists": True}}])
    assert_error(r, 404, "NOT_FOUND")
    assert api.get_doc("c/first") is None


def test_commit_delete_with_exists_true_on_existing_succeeds(api):
    api.put_doc("c/a")
    api.commit_ok([{"delete": api.name("c/a"), "currentDocument": {"exists": True}}])
    assert api.get_doc("c/a") is None


# --------------------------------------------------------------------------- transforms

def test_transform_write_on_missing_document_creates_it(api):
    out = api.commit_ok([_transform(api, "c/t", {"fieldPath": "k", "increment": int_value(3)})])
    assert _tr_results(out) == [int_value(3)]
    assert _fields(api, "c/t") == {"k": int_value(3)}


def test_update_transforms_return_results_in_order(api):
    api.put_doc("c/a", {"n": int_value(5)})
    out = api.commit_ok([_update(api, "c/a", {"n": int_value(5)}, updateTransforms=[
        {"fieldPath": "n", "increment": int_value(2)},
        {"fieldPath": "m", "maximum": int_value(4)},
    ])])
    assert _tr_results(out) == [int_value(7), int_value(4)]
    assert _fields(api, "c/a") == {"n": int_value(7), "m": int_value(4)}


def test_set_to_server_value_request_time(api):
    out = api.commit_ok([_update(api, "c/a", {}, updateTransforms=[
        {"fieldPath": "t", "setToServerValue": "REQUEST_TIME"}])])
    res = _tr_results(out)
    assert len(res) == 1 and "timestampValue" in res[0]
    assert _fields(api, "c/a")["t"] == res[0]
    # millisecond precision, and not later than the commit
    rt = parse_ts(res[0]["timestampValue"])
    assert rt % 1_000_000 == 0
    assert rt <= parse_ts(out["commitTime"])


def test_set_to_server_value_accepts_integer_enum(api):
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "t", "setToServerValue": 1})])
    assert "timestampValue" in _tr_results(out)[0]


def test_request_time_is_equal_for_every_field_in_one_request(api):
    out = api.commit_ok([
        _transform(api, "c/a", {"fieldPath": "t1", "setToServerValue": "REQUEST_TIME"},
                   {"fieldPath": "t2", "setToServerValue": "REQUEST_TIME"}),
        _transform(api, "c/b", {"fieldPath": "t3", "setToServerValue": "REQUEST_TIME"})])
    vals = {v["timestampValue"] for v in _tr_results(out, 0) + _tr_results(out, 1)}
    assert len(vals) == 1


@pytest.mark.parametrize("stored,operand,expected", [
    (int_value(5), int_value(2), int_value(7)),
    (int_value(5), dbl_value(0.5), dbl_value(5.5)),
    (dbl_value(1.5), int_value(2), dbl_value(3.5)),
    (dbl_value(1.5), dbl_value(2.25), dbl_value(3.75)),
    (str_value("abc"), int_value(4), int_value(4)),        # non-number is replaced by the operand
    (None, int_value(7), int_value(7)),                    # missing field starts from the operand
    (int_value(I64_MAX - 10), int_value(100), int_value(I64_MAX)),   # saturates
    (int_value(I64_MIN + 3), int_value(-10), int_value(I64_MIN)),
    (dbl_value(1e308), dbl_value(1e308), dbl_value("Infinity")),
], ids=["int+int", "int+double", "double+int", "double+double", "string", "missing",
        "int64-max-saturates", "int64-min-saturates", "double-overflow"])
def test_increment(api, stored, operand, expected):
    fields = {"v": stored} if stored is not None else {}
    api.put_doc("c/a", fields)
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "v", "increment": operand})])
    assert _tr_results(out) == [expected]
    assert _fields(api, "c/a")["v"] == expected


@pytest.mark.parametrize("kind,stored,operand,expected", [
    ("maximum", int_value(5), int_value(9), int_value(9)),
    ("maximum", int_value(5), int_value(1), int_value(5)),
    ("maximum", int_value(5), dbl_value(5.0), int_value(5)),          # equal: stored type kept
    ("maximum", dbl_value(5.5), int_value(100), int_value(100)),
    ("maximum", dbl_value("NaN"), int_value(7), dbl_value("NaN")),    # NaN wins
    ("maximum", int_value(5), dbl_value("NaN"), dbl_value("NaN")),
    ("maximum", str_value("x"), int_value(7), int_value(7)),
    ("maximum", None, int_value(3), int_value(3)),
    ("minimum", dbl_value(5.0), int_value(5), dbl_value(5.0)),        # equal: stored type kept
    ("minimum", dbl_value(1.5), dbl_value(-1), dbl_value(-1.0)),
    ("minimum", int_value(3), int_value(8), int_value(3)),
    ("minimum", dbl_value("NaN"), int_value(1), dbl_value("NaN")),
    ("minimum", None, dbl_value("NaN"), dbl_value("NaN")),
], ids=["max-larger", "max-smaller", "max-equal-mixed", "max-double-vs-int", "max-stored-nan",
        "max-operand-nan", "max-string", "max-missing", "min-equal-mixed", "min-double",
        "min-int", "min-stored-nan", "min-missing-nan"])
def test_maximum_minimum(api, kind, stored, operand, expected):
    api.put_doc("c/a", {"v": stored} if stored is not None else {})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "v", kind: operand})])
    assert _tr_results(out) == [expected]
    assert _fields(api, "c/a")["v"] == expected


def _arr(*vals):
    return {"arrayValue": {"values": list(vals)}} if vals else {"arrayValue": {}}


def test_append_missing_elements_skips_present_and_duplicate_values(api):
    api.put_doc("c/a", {"a": _arr(int_value(1), str_value("x"))})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "a", "appendMissingElements": {"values": [
        dbl_value(1.0), str_value("y"), str_value("y"), int_value(2)]}})])
    assert _tr_results(out) == [{"nullValue": None}]
    assert _fields(api, "c/a")["a"] == _arr(int_value(1), str_value("x"), str_value("y"), int_value(2))


def test_append_missing_elements_on_missing_field_treats_nan_as_equal(api):
    api.put_doc("c/a", {})
    api.commit_ok([_transform(api, "c/a", {"fieldPath": "a", "appendMissingElements": {"values": [
        int_value(1), dbl_value(1.0), dbl_value("NaN"), dbl_value("NaN")]}})])
    assert _fields(api, "c/a")["a"] == _arr(int_value(1), dbl_value("NaN"))


def test_append_missing_elements_replaces_non_array(api):
    api.put_doc("c/a", {"a": int_value(5)})
    api.commit_ok([_transform(api, "c/a", {"fieldPath": "a", "appendMissingElements": {"values": [int_value(5)]}})])
    assert _fields(api, "c/a")["a"] == _arr(int_value(5))


def test_remove_all_from_array_matches_integers_and_doubles_by_value(api):
    api.put_doc("c/a", {"a": _arr(int_value(1), dbl_value(2.0), str_value("x"), int_value(1), dbl_value("NaN"))})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "a", "removeAllFromArray": {"values": [
        dbl_value(1.0), int_value(2), dbl_value("NaN")]}})])
    assert _tr_results(out) == [{"nullValue": None}]
    assert _fields(api, "c/a")["a"] == _arr(str_value("x"))


def test_remove_all_from_array_on_missing_field_gives_empty_array(api):
    api.put_doc("c/a", {})
    api.commit_ok([_transform(api, "c/a", {"fieldPath": "a", "removeAllFromArray": {"values": [int_value(1)]}})])
    assert _fields(api, "c/a")["a"] == {"arrayValue": {}}


def test_two_transforms_on_one_field_apply_in_order(api):
    api.put_doc("c/a", {"k": int_value(1)})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "k", "increment": int_value(1)},
                                    {"fieldPath": "k", "increment": int_value(10)})])
    assert _tr_results(out) == [int_value(2), int_value(12)]
    assert _fields(api, "c/a")["k"] == int_value(12)


def test_transform_of_nested_field_creates_maps(api):
    api.put_doc("c/a", {})
    api.commit_ok([_transform(api, "c/a", {"fieldPath": "m.n.`x y`", "increment": int_value(1)})])
    assert _fields(api, "c/a") == {"m": {"mapValue": {"fields": {"n": {"mapValue": {"fields": {
        "x y": int_value(1)}}}}}}}


def test_transforms_apply_after_update_fields(api):
    out = api.commit_ok([_update(api, "c/a", {"s": str_value("abc"), "n": int_value(10)}, updateTransforms=[
        {"fieldPath": "n", "increment": int_value(5)}])])
    assert _tr_results(out) == [int_value(15)]
    assert _fields(api, "c/a") == {"s": str_value("abc"), "n": int_value(15)}


def test_transform_results_of_each_write_are_separate(api):
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "n", "increment": int_value(1)}),
                         _update(api, "c/b", {"x": int_value(1)}),
                         _transform(api, "c/c", {"fieldPath": "n", "increment": int_value(2)})])
    assert _tr_results(out, 0) == [int_value(1)]
    assert _tr_results(out, 1) == []
    assert _tr_results(out, 2) == [int_value(2)]


def test_increment_result_is_nan_when_stored_is_nan(api):
    api.put_doc("c/a", {"v": dbl_value("NaN")})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "v", "increment": int_value(1)})])
    assert _tr_results(out) == [dbl_value("NaN")]


def test_int64_extremes_round_trip_through_increment_by_zero(api):
    api.put_doc("c/a", {"hi": int_value(I64_MAX), "lo": int_value(I64_MIN)})
    out = api.commit_ok([_transform(api, "c/a", {"fieldPath": "hi", "increment": int_value(0)},
                                    {"fieldPath": "lo", "increment": int_value(0)})])
    assert _tr_results(out) == [int_value(I64_MAX), int_value(I64_MIN)]
