import http.client
import urllib.parse
import json
"""Rejected requests: status code, google.rpc.Status shape, exact text where the semantics
reference fixes it, and that nothing of a rejected request was applied."""

import pytest

from conftest import assert_error, int_value, str_value

PAYLOAD_INVALID = "Payload isn't valid for request."


def _upd(api, path, fields=None, **extra):
    w = {"update": {"name": api.name(path), "fields": fields or {}}}
    w.update(extra)
    return w


def _nothing_listed(api, coll="c"):
    r = api.get(coll)
    return r.status_code == 200 and r.json().get("documents", []) == []


# --------------------------------------------------------------------------- path shape

def test_patch_on_collection_path_is_400(api):
    err = assert_error(api.patch("c", {"fields": {}}), 400, "INVALID_ARGUMENT")
    assert err["message"] == f'Document name "{api.name("c")}" lacks "/" at index {len(api.name("c"))}.'


def test_patch_on_three_segment_path_is_400(api):
    assert_error(api.patch("c/d/sub", {"fields": {}}), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


def test_delete_on_collection_path_is_400(api):
    assert_error(api.delete("c"), 400, "INVALID_ARGUMENT")


def test_commit_update_name_of_collection_is_400(api):
    assert_error(api.commit([_upd(api, "c")]), 400, "INVALID_ARGUMENT")


def test_commit_name_with_trailing_slash_is_400(api):
    assert_error(api.commit([{"update": {"name": api.name("c/") , "fields": {}}}]), 400, "INVALID_ARGUMENT")


def test_commit_name_with_empty_segment_is_400(api):
    assert_error(api.commit([{"update": {"name": api.root + "//x", "fields": {}}}]), 400, "INVALID_ARGUMENT")


def test_commit_name_without_projects_prefix_is_400(api):
    assert_error(api.commit([{"update": {"name": "garbage", "fields": {}}}]), 400, "INVALID_ARGUMENT")


def test_commit_delete_of_collection_name_is_400(api):
    assert_error(api.commit([{"delete": api.name("c")}]), 400, "INVALID_ARGUMENT")


def test_create_document_under_collection_path_parent_is_400(api):
    assert_error(api.post("a/b?documentId=x", {"fields": {}}), 400, "INVALID_ARGUMENT")


def test_create_document_via_post_on_document_path_is_400(api):
    api.put_doc("c/a")
    assert_error(api.post("c/a", {"fields": {}}), 400, "INVALID_ARGUMENT")


# --------------------------------------------------------------------------- id rules

@pytest.mark.parametrize("path", ["c/__bad__", "__c__/x", "c/.", "c/..", "c/x/__sub__/y"],
                         ids=["reserved-doc-id", "reserved-collection-id", "dot", "dot-dot", "reserved-subcollection"])
def test_invalid_ids_are_400(api, path):
    assert_error(api.commit([_upd(api, path)]), 400, "INVALID_ARGUMENT")
    assert _nothing_listed(api)


def test_id_of_1500_bytes_is_accepted(api):
    api.commit_ok([_upd(api, "c/" + "a" * 1500)])
    assert api.get_doc("c/" + "a" * 1500) is not None


def test_id_over_1500_bytes_is_400(api):
    assert_error(api.commit([_upd(api, "c/" + "a" * 1501)]), 400, "INVALID_ARGUMENT")
    assert _nothing_listed(api)


def test_multibyte_id_over_1500_bytes_is_400(api):
    assert_error(api.commit([_upd(api, "c/" + "\u00e9" * 751)]), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("name", ["__x__", "__name__"])
def test_reserved_field_name_is_400(api, name):
    assert_error(api.patch("c/d", {"fields": {name: int_value(1)}}), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


def test_reserved_nested_field_name_is_400(api):
    r = api.patch("c/d", {"fields": {"m": {"mapValue": {"fields": {"__x__": int_value(1)}}}}})
    assert_error(r, 400, "INVALID_ARGUMENT")


def test_empty_field_name_is_400(api):
    assert_error(api.patch("c/d", {"fields": {"": int_value(1)}}), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


# --------------------------------------------------------------------------- size and nesting

def test_document_over_1_mib_is_400(api):
    r = api.commit([_upd(api, "c/big", {"s": str_value("x" * 600_000), "t": str_value("x" * 600_000)})])
    assert_error(r, 400, "INVALID_ARGUMENT", message="maximum entity size is 1048576 bytes")
    assert api.get_doc("c/big") is None


def test_single_value_over_limit_is_400(api):
    r = api.commit([_upd(api, "c/big", {"s": str_value("x" * 1_048_488)})])
    assert_error(r, 400, "INVALID_ARGUMENT", message='The value of property "s" is longer than 1048487 bytes.')
    assert api.get_doc("c/big") is None


def test_document_just_under_1_mib_is_accepted(api):
    api.commit_ok([_upd(api, "c/big", {"s": str_value("x" * 1_040_000)})])
    assert len(api.get_doc("c/big")["fields"]["s"]["stringValue"]) == 1_040_000


def _nest_maps(n):
    v = int_value(1)
    for _ in range(n):
        v = {"mapValue": {"fields": {"m": v}}}
    return v


def _nest_mixed(n):
    v = int_value(1)
    for i in range(n):
        v = {"mapValue": {"fields": {"m": v}}} if i % 2 == 0 else {"arrayValue": {"values": [v]}}
    return v


def test_maps_nested_20_deep_are_accepted(api):
    api.commit_ok([_upd(api, "c/n", {"m": _nest_maps(20)})])
    assert api.get_doc("c/n")["fields"]["m"] == _nest_maps(20)


def test_maps_nested_21_deep_are_400(api):
    assert_error(api.commit([_upd(api, "c/n", {"m": _nest_maps(21)})]), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/n") is None


def test_mixed_arrays_and_maps_nested_20_deep_are_accepted(api):
    api.commit_ok([_upd(api, "c/n", {"m": _nest_mixed(20)})])


def test_mixed_arrays_and_maps_nested_21_deep_are_400(api):
    assert_error(api.commit([_upd(api, "c/n", {"m": _nest_mixed(21)})]), 400, "INVALID_ARGUMENT")


def _increments(n):
    return [{"fieldPath": f"f{i}", "increment": int_value(1)} for i in range(n)]


def test_500_transforms_in_one_write_are_accepted(api):
    out = api.commit_ok([{"transform": {"document": api.name("c/t"), "fieldTransforms": _increments(500)}}])
    assert len(out["writeResults"][0]["transformResults"]) == 500


@pytest.mark.flint_only(reason="production's limit of 500 field transforms per document per commit "
                               "(the official emulator does not enforce it)")
def test_501_transforms_in_one_write_are_400(api):
    r = api.commit([{"transform": {"document": api.name("c/t"), "fieldTransforms": _increments(501)}}])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/t") is None


@pytest.mark.flint_only(reason="production's limit of 500 field transforms (update_transforms count too)")
def test_501_update_transforms_are_400(api):
    r = api.commit([_upd(api, "c/t", updateTransforms=_increments(501))])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/t") is None


# --------------------------------------------------------------------------- field paths

@pytest.mark.parametrize("path", ["a.c d", "1abc", "a..b", "a.", "`unterminated", "a\\.b", "a-b"],
                         ids=["space", "leading-digit", "empty-segment", "trailing-dot", "unterminated-quote",
                              "backslash", "dash"])
def test_invalid_update_mask_path_is_400(api, path):
    api.put_doc("c/a", {"k": int_value(1)})
    r = api.commit([_upd(api, "c/a", {"zz": int_value(9)}, updateMask={"fieldPaths": [path]})])
    err = assert_error(r, 400, "INVALID_ARGUMENT")
    assert path in err["message"]
    assert api.get_doc("c/a")["fields"] == {"k": int_value(1)}


def test_empty_update_mask_path_is_400(api):
    assert_error(api.commit([_upd(api, "c/a", updateMask={"fieldPaths": [""]})]), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("path", ["`1abc`", "a.`c d`", "`x.y`", "_ok", "`a\\`b`"])
def test_quoted_and_valid_update_mask_paths_are_accepted(api, path):
    api.commit_ok([_upd(api, "c/a", {}, updateMask={"fieldPaths": [path]})])


def test_invalid_patch_query_mask_path_is_400(api):
    r = api.patch("c/d", {"fields": {}}, params={"updateMask.fieldPaths": "1bad"})
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


def test_invalid_transform_field_path_is_400(api):
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [
        {"fieldPath": "1bad", "increment": int_value(1)}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/a") is None


def test_transform_of_field_and_its_child_is_400(api):
    api.put_doc("c/a", {"a": {"mapValue": {"fields": {"b": int_value(1)}}}})
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [
        {"fieldPath": "a", "increment": int_value(1)}, {"fieldPath": "a.b", "increment": int_value(1)}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/a")["fields"] == {"a": {"mapValue": {"fields": {"b": int_value(1)}}}}


def test_transform_without_operation_is_400(api):
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [{"fieldPath": "k"}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT")


def test_increment_with_non_number_operand_is_400(api):
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [
        {"fieldPath": "k", "increment": str_value("x")}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("value", ["SERVER_VALUE_UNSPECIFIED", 0, 7])
def test_set_to_server_value_unspecified_is_400(api, value):
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [
        {"fieldPath": "k", "setToServerValue": value}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/a") is None


# --------------------------------------------------------------------------- malformed bodies

@pytest.mark.parametrize("raw", ["{not json", '{"writes": [', "[]", '"str"', '{"writes": 5}'],
                         ids=["not-json", "truncated", "array", "string", "wrong-type"])
def test_malformed_commit_body_is_400_payload_invalid(api, raw):
    assert_error(api.request("POST", ":commit", raw=raw), 400, "INVALID_ARGUMENT", message=PAYLOAD_INVALID)


def test_malformed_patch_body_is_400_payload_invalid(api):
    assert_error(api.request("PATCH", "c/d", raw="{not json"), 400, "INVALID_ARGUMENT", message=PAYLOAD_INVALID)
    assert api.get_doc("c/d") is None


@pytest.mark.parametrize("value", [
    {"integerValue": "1", "stringValue": "x"},
    {"integerValue": "abc"},
    {"integerValue": "9223372036854775808"},
    {"integerValue": 1.5},
    {"bytesValue": "!!!"},
    {"timestampValue": "notatime"},
    {"timestampValue": "10000-01-01T00:00:00Z"},
    {"booleanValue": "yes"},
    {"unknownValue": 1},
    {"nullValue": "NOPE"},
    {"doubleValue": "abc"},
], ids=["two-kinds", "bad-int", "int-overflow", "fractional-int", "bad-base64", "bad-timestamp",
        "year-10000", "bool-as-string", "unknown-kind", "unknown-enum-name", "bad-double"])
def test_invalid_value_encoding_is_400_payload_invalid(api, value):
    r = api.patch("c/d", {"fields": {"v": value}})
    assert_error(r, 400, "INVALID_ARGUMENT", message=PAYLOAD_INVALID)
    assert api.get_doc("c/d") is None


def test_unknown_body_field_is_400_payload_invalid(api):
    assert_error(api.patch("c/d", {"fields": {}, "bogus": 1}), 400, "INVALID_ARGUMENT", message=PAYLOAD_INVALID)


def test_unknown_enum_name_in_transform_is_400_payload_invalid(api):
    r = api.commit([{"transform": {"document": api.name("c/a"), "fieldTransforms": [
        {"fieldPath": "k", "setToServerValue": "NOT_A_VALUE"}]}}])
    assert_error(r, 400, "INVALID_ARGUMENT", message=PAYLOAD_INVALID)


def test_value_without_kind_is_400(api):
    assert_error(api.patch("c/d", {"fields": {"v": {}}}), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


def test_array_directly_inside_array_is_400(api):
    r = api.patch("c/d", {"fields": {"v": {"arrayValue": {"values": [{"arrayValue": {}}]}}}})
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


@pytest.mark.parametrize("geo", [{"latitude": 91, "longitude": 0}, {"latitude": 0, "longitude": -180.5}])
def test_geopoint_out_of_range_is_400(api, geo):
    assert_error(api.patch("c/d", {"fields": {"g": {"geoPointValue": geo}}}), 400, "INVALID_ARGUMENT")


@pytest.mark.parametrize("ref", ["bad", "projects/x/databases/(default)/documents/c"], ids=["not-a-name", "collection"])
def test_malformed_reference_value_is_400(api, ref):
    assert_error(api.patch("c/d", {"fields": {"r": {"referenceValue": ref}}}), 400, "INVALID_ARGUMENT")


def test_invalid_write_makes_whole_commit_fail(api):
    r = api.commit([_upd(api, "c/ok", {"a": int_value(1)}), _upd(api, "c/bad", {"v": {}})])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/ok") is None and api.get_doc("c/bad") is None


def test_commit_with_invalid_second_name_applies_nothing(api):
    r = api.commit([_upd(api, "c/ok", {"a": int_value(1)}), _upd(api, "c/__bad__")])
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/ok") is None


# --------------------------------------------------------------------------- deliberate Flint differences

@pytest.mark.flint_only(reason="invalid calendar dates are rejected (the official emulator rolls them over)")
@pytest.mark.parametrize("ts", ["2020-13-01T00:00:00Z", "2020-02-30T00:00:00Z", "2020-01-01T25:00:00Z",
                                "2021-02-29T00:00:00Z", "2020-01-01T00:60:00Z"])
def test_invalid_calendar_date_is_400(api, ts):
    assert_error(api.patch("c/d", {"fields": {"t": {"timestampValue": ts}}}), 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None


@pytest.mark.flint_only(reason="a bogus pageToken is a 400 (the official emulator answers 500 UNKNOWN)")
def test_bogus_page_token_in_list_documents_is_400(api):
    api.put_doc("c/a")
    assert_error(api.get("c", params={"pageToken": "bogus"}), 400, "INVALID_ARGUMENT")


@pytest.mark.flint_only(reason="a bogus pageToken is a 400 (the official emulator answers 500 UNKNOWN)")
def test_bogus_page_token_in_list_collection_ids_is_400(api):
    api.put_doc("c/a")
    r = api.post(":listCollectionIds", {"pageToken": "bogus"}, admin=True)
    assert_error(r, 400, "INVALID_ARGUMENT")


@pytest.mark.flint_only(reason="a bad %-escape in the path is a 400 (the official emulator takes it literally)")
@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_bad_percent_escape_in_path_is_400(api, method):
    # requests and urllib3 re-quote a bad escape as %25; send the raw bytes with http.client.
    body = json.dumps({"fields": {}}).encode() if method == "PATCH" else None
    url = urllib.parse.urlsplit(api.url("c/per%zz"))
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5)
    try:
        conn.request(method, url.path, body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        status, payload = resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()
    assert status == 400, payload
    assert payload["error"]["status"] == "INVALID_ARGUMENT"
    assert api.get("c").json().get("documents", []) == []


@pytest.mark.flint_only(reason="unknown routes answer a JSON 404 (the official emulator answers plain text)")
@pytest.mark.parametrize("method,path", [
    ("GET", "/nothing/here"),
    ("GET", "/v1/nothing"),
    ("GET", "/v1/projects/{p}/databases/(default)"),
    ("POST", "/v1/projects/{p}/databases/(default)/documents:bogusVerb"),
    ("PUT", "/v1/projects/{p}/databases/(default)/documents/c/d"),
], ids=["root-path", "v1-unknown", "database-resource", "unknown-verb", "put-method"])
def test_unknown_route_is_json_404(api, method, path):
    r = api.request(method, path.format(p=api.project), body={} if method in ("POST", "PUT") else None)
    assert_error(r, 404, "NOT_FOUND")
