"""Differential suite: each scenario is a short sequence of raw HTTP requests sent identically to
Flint and to the official emulator (each side on a fresh project with the same id).  Responses
are compared after normalisation:

* server-generated timestamps (any RFC 3339 string within a few hours of now) become
  placeholders ranked in time order, per namespace: write times (updateTime/createTime/
  commitTime) `<T1>`, `<T2>`…; read times (readTime) `<R1>`…; server values (REQUEST_TIME
  results) `<S1>`….  So equal timestamps stay equal and order is kept.  Timestamps the scenario
  itself wrote (fixed dates) are compared literally.
* generated document ids (20 alphanumerics not present in the scenario text) become `<ID1>`….
* page tokens become `<TOKEN>`, transaction ids `<TXN>`.
* errors: code and status are compared; the message only when the step says `"message": True`
  (only for texts the semantics reference fixes).  Per-write statuses (batchWrite) likewise.

Scenario format (a list of dicts, one test each):
  {"id": ..., "steps": [step, ...]}
  step: {"method", "path", optional "body" (JSON) | "raw" (str), "params", "headers",
         "admin": bool, "message": bool}
  path: "c/d" (under /v1/projects/{p}/databases/(default)/documents/), ":commit" (verb on the
  root), or an absolute path starting with "/".
  Strings anywhere may use {p} (project id), {root} (projects/{p}/databases/(default)/documents)
  and {$N.key.0.key} (a value from this side's response to step N, e.g. {$0.updateTime}).

Cases where Flint deliberately differs from the official emulator (semantics reference) are NOT
here; they are asserted on Flint in the conformance suite.

DIFF_SELF_TEST=1 runs official vs official (validates the normaliser while Flint does not run).
"""

import copy
import json
import os
import re
import time

import pytest
import requests

import conftest
from conftest import OWNER, new_project

pytestmark = pytest.mark.differential

I64_MAX = str(2**63 - 1)
I64_MIN = str(-2**63)


def _i(v):
    return {"integerValue": str(v)}


def _s(v):
    return {"stringValue": v}


def _d(v):
    return {"doubleValue": v}


def _arr(*vals):
    return {"arrayValue": {"values": list(vals)}}


def _map(**fields):
    return {"mapValue": {"fields": fields}}


def _upd(path, fields=None, **extra):
    w = {"update": {"name": "{root}/" + path, "fields": fields or {}}}
    w.update(extra)
    return w


def _commit(*writes):
    return {"method": "POST", "path": ":commit", "body": {"writes": list(writes)}}


def _patch(path, fields=None, **kw):
    return dict({"method": "PATCH", "path": path, "body": {"fields": fields or {}}}, **kw)


def _get(path, **kw):
    return dict({"method": "GET", "path": path}, **kw)


def _tf(path, *fts):
    return {"transform": {"document": "{root}/" + path, "fieldTransforms": list(fts)}}


def _begin(options=None):
    return {"method": "POST", "path": ":beginTransaction", "body": {"options": options} if options else {}}


def _txc(tx, *writes):
    body = {"transaction": tx}
    if writes:
        body["writes"] = list(writes)
    return {"method": "POST", "path": ":commit", "body": body}


def _nest(n):
    v = _i(1)
    for _ in range(n):
        v = {"mapValue": {"fields": {"m": v}}}
    return v


EMU = "/emulator/v1/projects/{p}/databases/(default)/documents"

ALL_TYPES = {
    "nul": {"nullValue": None}, "b": {"booleanValue": True}, "imax": _i(I64_MAX), "imin": _i(I64_MIN),
    "dbl": _d(1.5), "nan": _d("NaN"), "inf": _d("Infinity"), "ninf": _d("-Infinity"), "dint": _d(3),
    "t0": {"timestampValue": "2020-01-01T00:00:00Z"}, "t3": {"timestampValue": "2020-01-01T00:00:00.123Z"},
    "t6": {"timestampValue": "2020-01-01T00:00:00.123456Z"},
    "t9": {"timestampValue": "2020-01-01T00:00:00.123456789Z"},
    "toff": {"timestampValue": "2020-01-01T01:00:00+01:00"},
    "s": _s("h\u00e9llo \U0001F30D \u0000"), "bytes": {"bytesValue": "AQID/+8="},
    "bytesurl": {"bytesValue": "AQID_-8"}, "ref": {"referenceValue": "{root}/x/y"},
    "geo": {"geoPointValue": {"latitude": 1.5, "longitude": -2.25}},
    "arr": _arr(_i(1), _map(k=_arr(_s("x"))), {"nullValue": None}), "earr": {"arrayValue": {}},
    "map": _map(a=_map(b=_s("c"))), "emap": {"mapValue": {}},
}

SCENARIOS = [
    # ------------------------------------------------------------------ documents: success
    {"id": "patch_all_value_types_then_get", "steps": [
        _patch("c/a", ALL_TYPES), _get("c/a")]},
    {"id": "patch_twice_keeps_create_time", "steps": [
        _patch("c/a", {"x": _i(1)}), _patch("c/a", {"x": _i(2)}), _get("c/a")]},
    {"id": "patch_unchanged_keeps_update_time", "steps": [
        _patch("c/a", {"x": _i(1)}), _patch("c/a", {"x": _i(1)}), _get("c/a")]},
    {"id": "patch_update_mask_dotted_and_backquoted", "steps": [
        _patch("c/a", {"m": _map(b=_i(1), c=_i(2)), "x.y": _i(5), "k": _i(1)}),
        _patch("c/a", {"m": _map(b=_i(10)), "x.y": _i(6), "k": _i(99)},
               params=[("updateMask.fieldPaths", "m.b"), ("updateMask.fieldPaths", "`x.y`"),
                       ("updateMask.fieldPaths", "gone")]),
        _get("c/a")]},
    {"id": "patch_update_mask_deletes_absent_field", "steps": [
        _patch("c/a", {"x": _i(1), "y": _i(2)}), _patch("c/a", {}, params={"updateMask.fieldPaths": "x"}),
        _get("c/a")]},
    {"id": "patch_response_mask", "steps": [
        _patch("c/a", {"x": _i(1), "y": _i(2), "z": _i(3)},
               params=[("mask.fieldPaths", "x"), ("mask.fieldPaths", "z")])]},
    {"id": "patch_exists_false_on_missing_creates", "steps": [
        _patch("c/a", {"x": _i(1)}, params={"currentDocument.exists": "false"}), _get("c/a")]},
    {"id": "get_with_mask", "steps": [
        _patch("c/a", {"x": _i(1), "m": _map(p=_i(1), q=_i(2))}),
        _get("c/a", params=[("mask.fieldPaths", "m.q"), ("mask.fieldPaths", "nope")])]},
    {"id": "create_document_with_id", "steps": [
        {"method": "POST", "path": "c?documentId=given", "body": {"fields": {"a": _i(1)}}}, _get("c/given")]},
    {"id": "create_document_generated_id", "steps": [
        {"method": "POST", "path": "c/p/sub", "body": {"fields": {"a": _i(1)}}},
        _get("/v1/{$0.name}"), _get("c/p/sub")]},
    {"id": "create_document_with_mask", "steps": [
        {"method": "POST", "path": "c?documentId=m&mask.fieldPaths=v", "body": {"fields": {"v": _i(1), "w": _i(2)}}}]},
    {"id": "delete_existing_then_get", "steps": [
        _patch("c/a"), {"method": "DELETE", "path": "c/a"}, _get("c/a")]},
    {"id": "delete_missing_and_exists_false", "steps": [
        {"method": "DELETE", "path": "c/none"},
        {"method": "DELETE", "path": "c/none", "params": {"currentDocument.exists": "false"}}]},
    {"id": "delete_exists_true_on_existing", "steps": [
        _patch("c/a"), {"method": "DELETE", "path": "c/a", "params": {"currentDocument.exists": "true"}},
        _get("c")]},
    {"id": "list_documents_paging", "steps": [
        _commit(*[_upd(f"col/d{i}", {"i": _i(i)}) for i in range(5)]),
        _get("col", params={"pageSize": 2}),
        _get("col", params={"pageSize": 2, "pageToken": "{$1.nextPageToken}"}),
        _get("col", params={"pageSize": 2, "pageToken": "{$2.nextPageToken}"})]},
    {"id": "list_documents_full_last_page_has_token", "steps": [
        _commit(*[_upd(f"col/d{i}") for i in range(4)]),
        _get("col", params={"pageSize": 2}),
        _get("col", params={"pageSize": 2, "pageToken": "{$1.nextPageToken}"}),
        _get("col", params={"pageSize": 2, "pageToken": "{$2.nextPageToken}"})]},
    {"id": "list_documents_order_by_desc_with_mask", "steps": [
        _commit(*[_upd(f"col/d{i}", {"i": _i(i % 3), "k": _s(str(i))}) for i in range(5)]),
        _get("col?orderBy=i%20desc,k&mask.fieldPaths=i")]},
    {"id": "list_documents_show_missing_admin", "steps": [
        _patch("col/a", {"x": _i(1)}), _patch("col/ghost/sub/s"),
        _get("col", params={"showMissing": "true", "mask.fieldPaths": "x"}, admin=True)]},
    {"id": "list_documents_in_subcollection_and_root_collection", "steps": [
        _patch("c/p/sub/b"), _patch("c/p/sub/a"), _patch("c/q/sub/z"), _patch("c/p"),
        _get("c/p/sub"), _get("c")]},
    # ------------------------------------------------------------------ commit
    {"id": "commit_multiple_writes_share_commit_time", "steps": [
        _patch("c/old", {"v": _i(1)}),
        _commit(_upd("c/a", {"x": _i(1)}), _upd("d/e/f/g"), {"delete": "{root}/c/old"}, {"delete": "{root}/c/none"}),
        _get("c/a"), _get("d/e/f/g"), _get("c/old")]},
    {"id": "commit_empty", "steps": [
        {"method": "POST", "path": ":commit", "body": {}},
        {"method": "POST", "path": ":commit", "body": {"writes": []}}]},
    {"id": "commit_update_mask_empty_vs_absent", "steps": [
        _patch("c/a", {"x": _i(1)}), _patch("c/b", {"x": _i(1)}),
        _commit({"update": {"name": "{root}/c/a"}, "updateMask": {},
                 "updateTransforms": [{"fieldPath": "n", "increment": _i(1)}]},
                {"update": {"name": "{root}/c/b"},
                 "updateTransforms": [{"fieldPath": "n", "increment": _i(1)}]}),
        _get("c/a"), _get("c/b")]},
    {"id": "commit_empty_update_mask_is_noop", "steps": [
        _patch("c/a", {"x": _i(1)}),
        _commit(_upd("c/a", {"z": _i(3)}, updateMask={})),
        _get("c/a")]},
    {"id": "commit_update_mask_merge", "steps": [
        _patch("c/a", {"x": _i(1), "m": _map(p=_i(1), q=_i(2))}),
        _commit(_upd("c/a", {"m": _map(p=_i(9)), "x": _i(7)}, updateMask={"fieldPaths": ["m.p", "y"]})),
        _get("c/a")]},
    {"id": "commit_increment_mixed_types", "steps": [
        _patch("c/a", {"i": _i(5), "d": _d(1.5), "s": _s("abc")}),
        _commit(_tf("c/a", {"fieldPath": "i", "increment": _d(0.5)}, {"fieldPath": "d", "increment": _i(2)},
                    {"fieldPath": "s", "increment": _i(4)}, {"fieldPath": "new", "increment": _i(7)},
                    {"fieldPath": "new2", "increment": _d(2.5)})),
        _get("c/a")]},
    {"id": "commit_increment_saturates", "steps": [
        _patch("c/a", {"hi": _i(2**63 - 10), "lo": _i(-2**63 + 3), "d": _d(1e308)}),
        _commit(_tf("c/a", {"fieldPath": "hi", "increment": _i(100)}, {"fieldPath": "lo", "increment": _i(-10)},
                    {"fieldPath": "d", "increment": _d(1e308)})),
        _get("c/a")]},
    {"id": "commit_maximum_minimum_mixed_and_nan", "steps": [
        _patch("c/a", {"i": _i(5), "d": _d(5.0), "nan": _d("NaN"), "s": _s("x"), "small": _d(5.5)}),
        _commit(_tf("c/a", {"fieldPath": "i", "maximum": _d(5.0)}, {"fieldPath": "d", "minimum": _i(5)},
                    {"fieldPath": "nan", "maximum": _i(7)}, {"fieldPath": "s", "minimum": _i(7)},
                    {"fieldPath": "small", "maximum": _i(100)}, {"fieldPath": "m", "minimum": _d("NaN")})),
        _get("c/a")]},
    {"id": "commit_array_union_and_remove", "steps": [
        _patch("c/a", {"arr": _arr(_i(1), _d(2.0), _s("x"), _i(1), _d("NaN"))}),
        _commit(_tf("c/a", {"fieldPath": "arr", "removeAllFromArray": {"values": [_d(1.0), _d("NaN")]}},
                    {"fieldPath": "arr", "appendMissingElements": {"values": [_i(2), _s("y"), _s("y")]}},
                    {"fieldPath": "fresh", "appendMissingElements": {"values": [_i(1), _d(1.0), _d("NaN"), _d("NaN")]}},
                    {"fieldPath": "none", "removeAllFromArray": {"values": [_i(1)]}})),
        _get("c/a")]},
    {"id": "commit_server_timestamp", "steps": [
        _commit(_upd("c/a", {"x": _i(1)}, updateTransforms=[{"fieldPath": "t", "setToServerValue": "REQUEST_TIME"},
                                                              {"fieldPath": "u", "setToServerValue": 1}]),
                _tf("c/b", {"fieldPath": "t", "setToServerValue": "REQUEST_TIME"})),
        _get("c/a"), _get("c/b")]},
    {"id": "commit_two_transforms_same_field_and_nested_path", "steps": [
        _patch("c/a", {"k": _i(1)}),
        _commit(_tf("c/a", {"fieldPath": "k", "increment": _i(1)}, {"fieldPath": "k", "increment": _i(10)},
                    {"fieldPath": "m.n.`x y`", "increment": _i(1)})),
        _get("c/a")]},
    {"id": "commit_update_time_precondition_matches", "steps": [
        _patch("c/a", {"x": _i(1)}),
        _commit(_upd("c/a", {"x": _i(2)}, currentDocument={"updateTime": "{$0.updateTime}"})),
        _get("c/a")]},
    {"id": "commit_exists_preconditions_success", "steps": [
        _patch("c/a"),
        _commit(_upd("c/a", {"x": _i(2)}, currentDocument={"exists": True}),
                _upd("c/b", {"y": _i(1)}, currentDocument={"exists": False})),
        _commit({"delete": "{root}/c/a", "currentDocument": {"exists": True}}),
        _get("c")]},
    {"id": "commit_snake_case_and_integer_enums", "steps": [
        {"method": "POST", "path": ":commit?%24alt=json%3Benum-encoding%3Dint", "body": {"writes": [
            {"update": {"name": "{root}/c/a", "fields": {"n": {"null_value": 0}, "i": {"integer_value": 5}}},
             "update_transforms": [{"field_path": "t", "set_to_server_value": 1}]}]}},
        _get("c/a?alt=json")]},
    {"id": "noop_write_keeps_update_time_commit_time_moves", "steps": [
        _patch("c/a", {"x": _i(1)}), _commit(_upd("c/a", {"x": _i(1)})), _get("c/a")]},
    {"id": "transform_on_missing_document_creates_it", "steps": [
        _commit(_tf("c/t", {"fieldPath": "k", "increment": _i(3)})), _get("c/t")]},
    # ------------------------------------------------------------------ batch endpoints
    {"id": "batch_get_found_missing_dedup_other_project", "steps": [
        _patch("c/a", {"x": _i(1)}),
        {"method": "POST", "path": ":batchGet", "body": {"documents": [
            "{root}/c/a", "{root}/c/none", "{root}/c/a", "projects/{p}-other/databases/(default)/documents/c/a"]}}]},
    {"id": "batch_get_with_mask_and_empty", "steps": [
        _patch("c/a", {"x": _i(1), "y": _i(2)}),
        {"method": "POST", "path": ":batchGet", "body": {"documents": ["{root}/c/a"], "mask": {"fieldPaths": ["y"]}}},
        {"method": "POST", "path": ":batchGet", "body": {"documents": []}}]},
    {"id": "batch_write_independent_statuses", "steps": [
        _patch("c/taken", {"x": _i(1)}),
        {"method": "POST", "path": ":batchWrite", "admin": True, "body": {"writes": [
            _upd("bw/a", {"v": _i(1)}),
            _upd("c/taken", {"x": _i(2)}, currentDocument={"exists": False}),
            {"delete": "{root}/bw/none", "currentDocument": {"exists": True}},
            _upd("bw/b", currentDocument={"updateTime": "2001-01-01T00:00:00Z"}),
            _upd("bw/c", updateTransforms=[{"fieldPath": "n", "increment": _i(2)}])]}},
        _get("bw"), _get("c/taken")]},
    {"id": "list_collection_ids_root_paging", "steps": [
        _patch("zeta/x"), _patch("alpha/x"), _patch("mid/x"), _patch("col/d/sub/s"),
        {"method": "POST", "path": ":listCollectionIds", "body": {}, "admin": True},
        {"method": "POST", "path": ":listCollectionIds", "body": {"pageSize": 3}, "admin": True},
        {"method": "POST", "path": ":listCollectionIds", "body": {"pageSize": 3, "pageToken": "{$5.nextPageToken}"},
         "admin": True}]},
    {"id": "list_collection_ids_under_document", "steps": [
        _patch("col/d/sub2/s"), _patch("col/d/sub/s"), _patch("col/d/sub/s/deep/x"), _patch("col/e"),
        {"method": "POST", "path": "col/d:listCollectionIds", "body": {}, "admin": True},
        {"method": "POST", "path": "col/e:listCollectionIds", "body": {}, "admin": True},
        {"method": "POST", "path": "col/none:listCollectionIds", "body": {}, "admin": True}]},
    # ------------------------------------------------------------------ emulator endpoints, encodings
    {"id": "emulator_clear_database", "steps": [
        _patch("c/a"), _patch("c/a/s/b"), _patch("d/e"),
        {"method": "DELETE", "path": EMU}, _get("c/a"), _get("c/a/s/b"), _get("d")]},
    {"id": "emulator_recursive_delete", "steps": [
        _patch("c/a"), _patch("c/a/s/b"), _patch("c/a/s/b/t/c"), _patch("c/ab"), _patch("d/e"),
        {"method": "DELETE", "path": EMU + "/c/a"}, _get("c"), _get("c/a/s"), _get("d"),
        {"method": "DELETE", "path": EMU + "/d"}, _get("d")]},
    {"id": "encoded_and_raw_url_spellings_with_odd_ids", "steps": [
        {"method": "PATCH", "path": "/v1/projects/{p}/databases/%28default%29/documents/c/a%3Ab%20c?"
                                    "%24alt=json%3Benum-encoding%3Dint", "body": {"fields": {"v": _i(1)}}},
        _get("c/a:b c"), _patch("c/pl+us;semi=1&x@"), _get("/v1/projects/{p}/databases/%28default%29/documents/c"),
        _patch("c/%C3%BC")]},
    {"id": "nesting_20_levels_accepted", "steps": [
        _patch("c/n", {"m": _nest(20)}), _get("c/n", params={"mask.fieldPaths": "m"})]},
    {"id": "field_names_needing_quotes", "steps": [
        # (no space in the masked names: the official emulator keeps a query string's "+" literal)
        _patch("c/a", {"with-dash": _i(1), "dot.ted": _i(2), "\u00fc": _i(3), "1digit": _i(4)}),
        _patch("c/a", {"with-dash": _i(10), "1digit": _i(40)},
               params=[("updateMask.fieldPaths", "`with-dash`"), ("updateMask.fieldPaths", "`1digit`")]),
        _get("c/a", params={"mask.fieldPaths": "`dot.ted`"})]},
    # ------------------------------------------------------------------ errors
    {"id": "err_get_missing_document", "steps": [
        dict(_get("c/missing"), message=True)]},
    {"id": "err_create_document_taken_id", "steps": [
        _patch("c/taken", {"a": _i(1)}),
        {"method": "POST", "path": "c?documentId=taken", "body": {"fields": {"a": _i(2)}}}, _get("c/taken")]},
    {"id": "err_commit_exists_false_on_existing", "steps": [
        _patch("c/a", {"x": _i(1)}), _commit(_upd("c/a", {"x": _i(2)}, currentDocument={"exists": False})),
        _get("c/a")]},
    {"id": "err_commit_exists_true_on_missing_is_atomic", "steps": [
        _commit(_upd("c/first", {"x": _i(1)}), _upd("c/none", currentDocument={"exists": True})),
        _get("c")]},
    {"id": "err_update_time_precondition_mismatch", "steps": [
        _patch("c/a", {"x": _i(1)}),
        _commit(_upd("c/a", {"x": _i(2)}, currentDocument={"updateTime": "2001-01-01T00:00:00.000001Z"})),
        {"method": "DELETE", "path": "c/none", "params": {"currentDocument.exists": "true"}},
        _commit(_upd("c/none", currentDocument={"updateTime": "2020-01-01T00:00:00Z"})), _get("c")]},
    {"id": "err_invalid_json_bodies", "steps": [
        {"method": "PATCH", "path": "c/x", "raw": "{not json", "message": True},
        {"method": "POST", "path": ":commit", "raw": "{\"writes\": [", "message": True},
        {"method": "PATCH", "path": "c/x", "body": {"fields": {}, "bogus": 1}, "message": True},
        _get("c")]},
    {"id": "err_invalid_value_encodings", "steps": [
        _patch("c/x", {"v": {"integerValue": "1", "stringValue": "x"}}, message=True),
        _patch("c/x", {"v": {"integerValue": "abc"}}, message=True),
        _patch("c/x", {"v": {"bytesValue": "!!!"}}, message=True),
        _patch("c/x", {"v": {"nullValue": "NOPE"}}, message=True),
        _commit(_tf("c/x", {"fieldPath": "k", "setToServerValue": "NOT_A_VALUE"})),
        _get("c")]},
    {"id": "err_value_without_kind_and_array_in_array", "steps": [
        _patch("c/x", {"v": {}}), _patch("c/x", {"v": _arr({"arrayValue": {}})}),
        _patch("c/x", {"g": {"geoPointValue": {"latitude": 91, "longitude": 0}}}), _get("c")]},
    {"id": "err_document_path_shapes", "steps": [
        dict(_patch("c"), message=True), _patch("c/d/sub"), {"method": "DELETE", "path": "c"},
        _commit(_upd("c")), _commit({"update": {"name": "{root}//x", "fields": {}}}),
        _commit({"update": {"name": "{root}/c/", "fields": {}}}),
        {"method": "POST", "path": "a/b?documentId=x", "body": {"fields": {}}}]},
    {"id": "err_reserved_and_long_ids", "steps": [
        _commit(_upd("c/__bad__")), _commit(_upd("__c__/x")), _commit(_upd("c/.")), _commit(_upd("c/..")),
        _commit(_upd("c/" + "a" * 1501)),
        {"method": "POST", "path": "c?documentId=__x__", "body": {"fields": {}}},
        _patch("c/x", {"__r__": _i(1)}), _get("c")]},
    {"id": "err_document_too_large", "steps": [
        dict(_commit(_upd("c/big", {"s": _s("x" * 600_000), "t": _s("x" * 600_000)})), message=True),
        dict(_commit(_upd("c/big", {"s": _s("x" * 1_048_488)})), message=True),
        _get("c")]},
    {"id": "err_nesting_21_levels", "steps": [
        _commit(_upd("c/n", {"m": _nest(21)})), _get("c")]},
    {"id": "err_field_paths", "steps": [
        _patch("c/a", {"k": _i(1), "a": _map(b=_i(1))}),
        _commit(_upd("c/a", {"zz": _i(9)}, updateMask={"fieldPaths": ["a.c d"]})),
        _commit(_upd("c/a", {}, updateMask={"fieldPaths": [""]})),
        _patch("c/a", {}, params={"updateMask.fieldPaths": "1bad"}),
        _commit(_tf("c/a", {"fieldPath": "a", "increment": _i(1)}, {"fieldPath": "a.b", "increment": _i(1)})),
        _commit(_tf("c/a", {"fieldPath": "k"})),
        _commit(_tf("c/a", {"fieldPath": "k", "increment": _s("x")})),
        _get("c/a")]},
    {"id": "err_admin_required", "steps": [
        _patch("c/a"),
        dict(_get("c", params={"showMissing": "true"}), message=True),
        {"method": "POST", "path": ":listCollectionIds", "body": {}, "message": True},
        {"method": "POST", "path": ":batchWrite", "body": {"writes": [_upd("bw/a")]}, "message": True},
        _get("bw")]},
    {"id": "err_list_malformed_order_by_and_order_with_show_missing", "steps": [
        _patch("c/a"),
        _get("c", params={"orderBy": "__name__,"}),
        _get("c", params={"orderBy": "a,,b"}),
        _get("c", params={"showMissing": "true", "orderBy": "a"}, admin=True),
        _get("c", params={"orderBy": "a"})]},
    {"id": "err_transform_without_operations", "steps": [
        _commit(_tf("c/a")),
        _commit(_upd("c/a", {}, updateTransforms=[{"fieldPath": "x"}])),
        _get("c/a")]},
    {"id": "err_batch_write_same_document_twice", "steps": [
        {"method": "POST", "path": ":batchWrite", "admin": True,
         "body": {"writes": [_upd("bw/a"), {"delete": "{root}/bw/a"}]}},
        _get("bw/a")]},
    {"id": "precondition_update_time_later_or_earlier_than_stored", "steps": [
        _patch("c/a"),
        _commit({"delete": "{root}/c/a", "currentDocument": {"updateTime": "2099-01-01T00:00:00Z"}}),
        _commit({"delete": "{root}/c/a", "currentDocument": {"updateTime": "2001-01-01T00:00:00Z"}}),
        _commit({"delete": "{root}/c/missing", "currentDocument": {"updateTime": "2099-01-01T00:00:00Z"}}),
        _commit({"delete": "{root}/c/a", "currentDocument": {"updateTime": "{$0.updateTime}"}}),
        _get("c/a")]},
    {"id": "numeric_ids_in_names_cursors_and_kindless_queries", "steps": [
        _patch("a/x"), _patch("a/Upper"), _patch("a/0d"), _patch("a/x/b/y"), _patch("c/z"),
        # The Python client's recursive query: everything at or below collection `a`.
        {"method": "POST", "path": ":runQuery", "body": {"structuredQuery": {
            "from": [{"allDescendants": True}], "orderBy": [{"field": {"fieldPath": "__name__"}}],
            "startAt": {"values": [{"referenceValue": "{root}/a/__id-9223372036854775808__"}], "before": True},
            "endAt": {"values": [{"referenceValue": "{root}/a\u0000/__id-9223372036854775808__"}], "before": True}}}},
        {"method": "POST", "path": "a/x:runQuery", "body": {"structuredQuery": {
            "from": [{"allDescendants": True}],
            "where": {"fieldFilter": {"field": {"fieldPath": "__name__"}, "op": "GREATER_THAN_OR_EQUAL",
                                      "value": {"referenceValue": "{root}/a/x/b/__id-9223372036854775808__"}}}}}},
        {"method": "POST", "path": ":runQuery", "body": {"structuredQuery": {
            "from": [{"collectionId": "a"}], "orderBy": [{"field": {"fieldPath": "__name__"}}],
            "startAt": {"values": [{"referenceValue": "{root}/a/__id-9223372036854775808__"}], "before": True}}}},
        {"method": "POST", "path": ":runQuery", "body": {"structuredQuery": {
            "from": [{"allDescendants": True}],
            "where": {"fieldFilter": {"field": {"fieldPath": "v"}, "op": "EQUAL", "value": _i(1)}}}}},
        {"method": "POST", "path": ":runQuery", "body": {"structuredQuery": {
            "from": [{"collectionId": "a"}],
            "where": {"fieldFilter": {"field": {"fieldPath": "__name__"}, "op": "LESS_THAN",
                                      "value": {"referenceValue": "{root}/a/__x__"}}}}}},
        _patch("n/__id5__"), _get("n/__id5__"), _patch("n/__idx__"), _patch("n/__id99999999999999999999__")]},
    {"id": "list_collection_ids_at_a_read_time", "steps": [
        _patch("p/d/c1/a"),
        _patch("p/d/c2/a"),
        {"method": "POST", "path": "p/d:listCollectionIds", "admin": True, "body": {"readTime": "{$0.updateTime}"}},
        {"method": "POST", "path": "p/d:listCollectionIds", "admin": True, "body": {}}]},
    # ------------------------------------------------------------------ transactions (deterministic; no contention)
    {"id": "err_txn_unknown_id", "steps": [
        _patch("c/d", {"v": _i(1)}),
        dict(_txc("bm90LWEtdHJhbnNhY3Rpb24="), message=True),
        dict(_txc("bm90LWEtdHJhbnNhY3Rpb24=", _upd("c/d", {"v": _i(2)})), message=True),
        {"method": "POST", "path": ":rollback", "body": {"transaction": "bm90LWEtdHJhbnNhY3Rpb24="}, "message": True},
        {"method": "POST", "path": ":rollback", "body": {}, "message": True},
        {"method": "POST", "path": ":batchGet", "message": True,
         "body": {"documents": ["{root}/c/d"], "transaction": "bm90LWEtdHJhbnNhY3Rpb24="}},
        {"method": "POST", "path": ":runQuery", "message": True,
         "body": {"structuredQuery": {"from": [{"collectionId": "c"}]}, "transaction": "bm90LWEtdHJhbnNhY3Rpb24="}},
        dict(_begin({"readWrite": {"retryTransaction": "bm90LWEtdHJhbnNhY3Rpb24="}}), message=True),
        _get("c/d")]},
    {"id": "err_txn_commit_twice_then_rollback_closed", "steps": [
        _begin(), _txc("{$0.transaction}"),
        dict(_txc("{$0.transaction}"), message=True),
        dict(_txc("{$0.transaction}", _upd("c/x", {"v": _i(1)})), message=True),
        {"method": "POST", "path": ":rollback", "body": {"transaction": "{$0.transaction}"}},
        {"method": "POST", "path": ":rollback", "body": {"transaction": "{$0.transaction}"}},
        _begin(), {"method": "POST", "path": ":rollback", "body": {"transaction": "{$6.transaction}"}},
        {"method": "POST", "path": ":rollback", "body": {"transaction": "{$6.transaction}"}},
        dict(_txc("{$6.transaction}"), message=True),
        _get("c")]},
    {"id": "err_txn_reads_after_close", "steps": [
        _patch("c/d", {"v": _i(1)}), _begin({"readOnly": {}}), _txc("{$1.transaction}"),
        {"method": "POST", "path": ":batchGet", "message": True,
         "body": {"documents": ["{root}/c/d"], "transaction": "{$1.transaction}"}},
        {"method": "POST", "path": ":runQuery", "message": True,
         "body": {"structuredQuery": {"from": [{"collectionId": "c"}]}, "transaction": "{$1.transaction}"}},
        {"method": "POST", "path": ":runAggregationQuery", "message": True,
         "body": {"structuredAggregationQuery": {"structuredQuery": {"from": [{"collectionId": "c"}]},
                                                 "aggregations": [{"alias": "n", "count": {}}]},
                  "transaction": "{$1.transaction}"}}]},
    {"id": "err_txn_write_in_read_only", "steps": [
        _patch("c/d", {"v": _i(1)}), _begin({"readOnly": {}}),
        dict(_txc("{$1.transaction}", _upd("c/d", {"v": _i(2)})), message=True),
        dict(_txc("{$1.transaction}", {"delete": "{root}/c/d"}), message=True),
        dict(_txc("{$1.transaction}", _tf("c/d", {"fieldPath": "v", "increment": _i(1)})), message=True),
        _txc("{$1.transaction}"), _get("c/d")]},
    {"id": "err_txn_read_time_too_old", "steps": [
        dict(_begin({"readOnly": {"readTime": "2001-01-01T00:00:00Z"}}), message=True),
        {"method": "POST", "path": ":batchGet", "message": True, "body": {
            "documents": ["{root}/c/d"], "newTransaction": {"readOnly": {"readTime": "2001-01-01T00:00:00Z"}}}},
        {"method": "POST", "path": ":runQuery", "message": True, "body": {
            "structuredQuery": {"from": [{"collectionId": "c"}]},
            "newTransaction": {"readOnly": {"readTime": "2001-01-01T00:00:00Z"}}}}]},
    {"id": "err_txn_consistency_oneof", "steps": [
        _begin(),
        {"method": "POST", "path": ":batchGet", "message": True, "body": {
            "documents": ["{root}/c/d"], "transaction": "{$0.transaction}", "readTime": "2020-01-01T00:00:00Z"}},
        dict(_begin({"readOnly": {}, "readWrite": {}}), message=True),
        dict(_txc("!!not-base64"), message=True)]},
    {"id": "txn_retry_of_closed_transaction_accepted", "steps": [
        _begin(), _txc("{$0.transaction}"),
        _begin({"readWrite": {"retryTransaction": "{$0.transaction}"}}),
        {"method": "POST", "path": ":rollback", "body": {"transaction": "{$2.transaction}"}},
        _begin({"readWrite": {"retryTransaction": "{$2.transaction}"}}),
        _txc("{$4.transaction}", _upd("c/r", {"v": _i(1)})), _get("c/r")]},
    {"id": "txn_batch_get_new_transaction_framing", "steps": [
        _patch("c/a", {"v": _i(1)}),
        {"method": "POST", "path": ":batchGet", "body": {
            "documents": ["{root}/c/a", "{root}/c/none"], "newTransaction": {"readWrite": {}}}},
        _txc("{$1.0.transaction}", _upd("c/b", {"v": _i(2)})), _get("c")]},
    {"id": "txn_read_only_read_time_sees_old_version", "steps": [
        _patch("c/a", {"v": _i(1)}), _patch("c/a", {"v": _i(2)}), {"method": "DELETE", "path": "c/a"},
        _begin({"readOnly": {"readTime": "{$0.updateTime}"}}),
        {"method": "POST", "path": ":batchGet", "body": {"documents": ["{root}/c/a"], "transaction": "{$3.transaction}"}},
        {"method": "POST", "path": ":runQuery", "body": {"structuredQuery": {"from": [{"collectionId": "c"}]},
                                                         "transaction": "{$3.transaction}"}},
        _txc("{$3.transaction}")]},
]


# --------------------------------------------------------------------------- runner

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$")
WRITE_TIME_KEYS = {"updateTime", "createTime", "commitTime", "update_time", "create_time", "commit_time"}
READ_TIME_KEYS = {"readTime", "read_time"}
TOKEN_KEYS = {"nextPageToken", "next_page_token"}
TXN_KEYS = {"transaction"}
GEN_ID_RE = re.compile(r"(?<=/)[A-Za-z0-9]{20}(?=/|$)")
SUBST_RE = re.compile(r"\{\$(\d+)((?:\.[A-Za-z0-9_]+)*)\}")
RECENT_WINDOW_NS = 6 * 3600 * 10**9


def _lookup(responses, idx, path):
    cur = responses[idx]
    for part in [x for x in path.split(".") if x]:
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    return cur


def _subst(obj, project, responses):
    if isinstance(obj, str):
        s = obj.replace("{root}", f"projects/{project}/databases/(default)/documents").replace("{p}", project)
        return SUBST_RE.sub(lambda m: str(_lookup(responses, int(m.group(1)), m.group(2))), s)
    if isinstance(obj, list):
        return [_subst(x, project, responses) for x in obj]
    if isinstance(obj, tuple):
        return tuple(_subst(x, project, responses) for x in obj)
    if isinstance(obj, dict):
        return {_subst(k, project, responses): _subst(v, project, responses) for k, v in obj.items()}
    return obj


def _url(base, project, path):
    if path.startswith("/"):
        return base + path
    root = f"/v1/projects/{project}/databases/(default)/documents"
    return base + root + (path if path.startswith(":") else "/" + path)


def run_scenario(server, scenario, project):
    """Send the steps to one server; returns [(status, is_json, body)] (body parsed when JSON)."""
    sess = requests.Session()
    responses, transcript = [], []
    try:
        for step in scenario["steps"]:
            path = _subst(step["path"], project, responses)
            headers = {}
            data = None
            if "raw" in step:
                data = _subst(step["raw"], project, responses).encode()
                headers["Content-Type"] = "application/json"
            elif "body" in step:
                data = json.dumps(_subst(step["body"], project, responses)).encode()
                headers["Content-Type"] = "application/json"
            if step.get("admin"):
                headers.update(OWNER)
            headers.update(step.get("headers", {}))
            params = _subst(step.get("params"), project, responses)
            r = sess.request(step["method"], _url(server.base, project, path), params=params, data=data,
                             headers=headers, timeout=conftest.HTTP_TIMEOUT)
            is_json = r.headers.get("Content-Type", "").startswith("application/json")
            try:
                body = json.loads(r.text) if r.text.strip() else None
            except ValueError:
                body = r.text.strip()
            responses.append(body if isinstance(body, (dict, list)) else {})
            transcript.append((r.status_code, is_json, body))
    finally:
        sess.close()
    return transcript


class Normaliser:
    def __init__(self, scenario_text, now_ns):
        self.scenario_text = scenario_text
        self.now_ns = now_ns
        self.times = {"T": set(), "R": set(), "S": set()}
        self.ids = {}

    def _is_server_time(self, s):
        if not isinstance(s, str) or not TS_RE.match(s):
            return False
        return abs(conftest.parse_ts(s) - self.now_ns) < RECENT_WINDOW_NS

    def _ns(self, key):
        if key in WRITE_TIME_KEYS:
            return "T"
        if key in READ_TIME_KEYS:
            return "R"
        return "S"

    def collect(self, obj, key=None):
        if isinstance(obj, dict):
            for k, v in obj.items():
                self.collect(v, k)
        elif isinstance(obj, list):
            for v in obj:
                self.collect(v, key)
        elif self._is_server_time(obj):
            self.times[self._ns(key)].add(obj)
        elif isinstance(obj, str) and "/documents/" in obj:
            for m in GEN_ID_RE.finditer(obj):
                if m.group(0) not in self.scenario_text and m.group(0) not in self.ids:
                    self.ids[m.group(0)] = f"<ID{len(self.ids) + 1}>"

    def finish(self):
        self.rank = {}
        for ns, vals in self.times.items():
            for i, v in enumerate(sorted(vals, key=conftest.parse_ts)):
                self.rank[(ns, v)] = f"<{ns}{i + 1}>"

    def apply(self, obj, key=None, keep_message=False, in_error=False):
        if isinstance(obj, dict):
            out = {}
            for k, v in obj.items():
                if k in TOKEN_KEYS and v:
                    out[k] = "<TOKEN>"
                elif k in TXN_KEYS and isinstance(v, str) and v:
                    out[k] = "<TXN>"
                elif k == "message" and not keep_message and (in_error or "code" in obj):
                    continue
                elif k == "message" and in_error:
                    out[k] = conftest.without_detail(v)
                else:
                    out[k] = self.apply(v, k, keep_message, in_error or k == "error")
            return out
        if isinstance(obj, list):
            return [self.apply(v, key, keep_message, in_error) for v in obj]
        if self._is_server_time(obj):
            return self.rank[(self._ns(key), obj)]
        if isinstance(obj, str) and "/documents/" in obj:
            return GEN_ID_RE.sub(lambda m: self.ids.get(m.group(0), m.group(0)), obj)
        return obj


def normalise(scenario, transcript, now_ns):
    norm = Normaliser(json.dumps(scenario, ensure_ascii=False) + json.dumps(scenario), now_ns)
    for _, _, body in transcript:
        norm.collect(body)
    norm.finish()
    out = []
    for step, (status, is_json, body) in zip(scenario["steps"], transcript):
        out.append({"status": status, "json": is_json,
                    "body": norm.apply(body, keep_message=bool(step.get("message")))})
    return out


def _describe(scenario, i):
    st = scenario["steps"][i]
    return f"step {i}: {st['method']} {st['path']}"


# --------------------------------------------------------------------------- fixtures and tests

def _flint_available():
    p = os.environ.get("FLINT_BIN") or os.path.join(conftest.REPO_ROOT, ".build", "debug", "flint")
    if not os.path.isabs(p):
        p = os.path.join(conftest.REPO_ROOT, p)
    return os.access(p, os.X_OK)


@pytest.fixture(scope="session")
def diff_servers():
    right = conftest._server("official")
    if conftest.diff_self_test():
        left = conftest._server("official", slot=1)
    else:
        if not _flint_available():
            pytest.skip("Flint executable not built (set FLINT_BIN); DIFF_SELF_TEST=1 runs official vs official")
        left = conftest._server("flint")
    return left, right


def test_scenario_table_is_well_formed():
    ids = [s["id"] for s in SCENARIOS]
    assert len(ids) == len(set(ids)), "duplicate scenario ids"
    assert len(SCENARIOS) >= 40
    assert sum(1 for s in SCENARIOS if s["id"].startswith("err_")) >= 12
    for s in SCENARIOS:
        assert s["steps"], s["id"]
        for st in s["steps"]:
            assert st["method"] in {"GET", "POST", "PATCH", "DELETE"} and "path" in st, (s["id"], st)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_differential(diff_servers, scenario):
    left, right = diff_servers
    project = new_project("diff")
    now_ns = time.time_ns()
    got_left = normalise(scenario, run_scenario(left, scenario, project), now_ns)
    got_right = normalise(scenario, run_scenario(right, scenario, project), now_ns)
    diffs = []
    for i, (a, b) in enumerate(zip(got_left, got_right)):
        if a != b:
            diffs.append(f"== {_describe(scenario, i)}\n"
                         f"--- {left.kind} ({left.base})\n{json.dumps(a, indent=1, sort_keys=True, ensure_ascii=False)}\n"
                         f"--- {right.kind} ({right.base})\n{json.dumps(b, indent=1, sort_keys=True, ensure_ascii=False)}")
    if diffs:
        pytest.fail(f"{scenario['id']}: {len(diffs)} of {len(got_left)} responses differ\n" + "\n".join(diffs),
                    pytrace=False)


# --------------------------------------------------------------------------- normaliser self-checks (no server)

def test_normaliser_keeps_equality_and_order_of_server_times():
    now = time.time_ns()
    t = lambda off_us: time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime((now // 10**9) + off_us // 10**6)) + \
        f".{(off_us % 10**6):06d}Z"
    scen = {"steps": [{"method": "GET", "path": "x"}, {"method": "GET", "path": "y"}]}
    tr = [(200, True, {"createTime": t(5), "updateTime": t(9), "readTime": t(9)}),
          (200, True, {"commitTime": t(5), "fields": {"ts": {"timestampValue": "2020-01-01T00:00:00Z"}}})]
    out = normalise(scen, tr, now)
    assert out[0]["body"] == {"createTime": "<T1>", "updateTime": "<T2>", "readTime": "<R1>"}
    assert out[1]["body"] == {"commitTime": "<T1>", "fields": {"ts": {"timestampValue": "2020-01-01T00:00:00Z"}}}


def test_normaliser_replaces_generated_ids_but_not_scenario_ids():
    scen = {"steps": [{"method": "POST", "path": "c/ABCDEFGHIJKLMNOPQRST"}]}
    tr = [(200, True, {"name": "projects/p/databases/(default)/documents/c/abcdefghij0123456789",
                       "other": "projects/p/databases/(default)/documents/c/ABCDEFGHIJKLMNOPQRST"})]
    out = normalise(scen, tr, time.time_ns())
    assert out[0]["body"]["name"].endswith("/c/<ID1>")
    assert out[0]["body"]["other"].endswith("/c/ABCDEFGHIJKLMNOPQRST")


def test_normaliser_drops_error_message_unless_asked():
    scen = {"steps": [{"method": "GET", "path": "x"}, {"method": "GET", "path": "x", "message": True}]}
    err = {"error": {"code": 404, "message": "gone", "status": "NOT_FOUND"}}
    out = normalise(scen, [(404, True, copy.deepcopy(err)), (404, True, copy.deepcopy(err))], time.time_ns())
    assert out[0]["body"] == {"error": {"code": 404, "status": "NOT_FOUND"}}
    assert out[1]["body"] == err


def test_normaliser_distinguishes_broken_equality():
    now = time.time_ns()
    base = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now // 10**9))
    scen = {"steps": [{"method": "GET", "path": "x"}]}
    same = normalise(scen, [(200, True, {"createTime": base + ".000001Z", "updateTime": base + ".000001Z"})], now)
    diff = normalise(scen, [(200, True, {"createTime": base + ".000001Z", "updateTime": base + ".000002Z"})], now)
    assert same != diff
