""":batchGet, :batchWrite and :listCollectionIds over plain HTTP, including admin-only checks and
the streaming framing of :batchGet."""

import json

import pytest

from conftest import OWNER, assert_error, int_value, parse_ts


def _stream(resp):
    assert resp.status_code == 200, resp.text
    out = json.loads(resp.text)
    assert isinstance(out, list)
    return out


# --------------------------------------------------------------------------- batchGet

def test_batch_get_returns_found_and_missing_in_request_order(api):
    api.put_doc("c/a", {"x": int_value(1)})
    api.put_doc("c/b", {"x": int_value(2)})
    out = _stream(api.batch_get(["c/b", "c/none", "c/a"]))
    assert [e.get("found", {}).get("name") or e.get("missing") for e in out] == \
        [api.name("c/b"), api.name("c/none"), api.name("c/a")]
    assert out[0]["found"]["fields"] == {"x": int_value(2)}
    assert out[1] == {"missing": api.name("c/none"), "readTime": out[1]["readTime"]}
    assert "createTime" in out[2]["found"] and "updateTime" in out[2]["found"]


def test_batch_get_elements_share_one_read_time(api):
    api.put_doc("c/a")
    out = _stream(api.batch_get(["c/a", "c/none"]))
    assert len({e["readTime"] for e in out}) == 1


def test_batch_get_read_time_is_not_before_last_write(api):
    ut = api.put_doc("c/a")["updateTime"]
    out = _stream(api.batch_get(["c/a"]))
    assert parse_ts(out[0]["readTime"]) >= parse_ts(ut)


def test_batch_get_deduplicates_repeated_names(api):
    api.put_doc("c/a")
    out = _stream(api.batch_get(["c/a", "c/a", "c/none", "c/none"]))
    assert [e.get("found", {}).get("name") or e.get("missing") for e in out] == [api.name("c/a"), api.name("c/none")]


def test_batch_get_name_in_other_project_is_missing(api):
    api.put_doc("c/a")
    other = api.name("c/a").replace(f"projects/{api.project}/", f"projects/{api.project}-other/")
    out = _stream(api.batch_get([other]))
    assert [e.get("missing") for e in out] == [other]


def test_batch_get_with_mask(api):
    api.put_doc("c/a", {"x": int_value(1), "y": int_value(2)})
    r = api.post(":batchGet", {"documents": [api.name("c/a")], "mask": {"fieldPaths": ["y"]}})
    assert _stream(r)[0]["found"]["fields"] == {"y": int_value(2)}


def test_batch_get_with_no_documents_is_empty_array(api):
    assert _stream(api.post(":batchGet", {"documents": []})) == []


@pytest.mark.flint_only(reason="streaming bodies end exactly at ']' (the official emulator appends a newline, "
                               "which breaks the GAPIC REST stream parser)")
def test_batch_get_stream_framing_is_exact_json_array(api):
    api.put_doc("c/a")
    r = api.batch_get(["c/a", "c/none"])
    assert r.status_code == 200
    body = r.content
    assert body[:1] == b"[", body[:20]
    assert body[-1:] == b"]", body[-20:]


def test_batch_get_stream_starts_with_bracket(api):
    r = api.batch_get(["c/none"])
    assert r.status_code == 200
    assert r.content[:1] == b"["
    assert r.headers["Content-Type"].startswith("application/json")


def test_batch_get_invalid_name_is_400_before_stream(api):
    assert_error(api.post(":batchGet", {"documents": [api.name("c")]}), 400, "INVALID_ARGUMENT")


# --------------------------------------------------------------------------- batchWrite

def test_batch_write_requires_admin(api):
    r = api.post(":batchWrite", {"writes": [{"update": {"name": api.name("bw/a"), "fields": {}}}]})
    err = assert_error(r, 403, "PERMISSION_DENIED")
    assert err["message"] == "Batch writes require admin authentication."
    assert api.get_doc("bw/a") is None


def test_batch_write_applies_writes_independently(api):
    api.put_doc("c/taken", {"x": int_value(1)})
    writes = [
        {"update": {"name": api.name("bw/a"), "fields": {"v": int_value(1)}}},
        {"update": {"name": api.name("c/taken"), "fields": {"x": int_value(2)}}, "currentDocument": {"exists": False}},
        {"delete": api.name("bw/none"), "currentDocument": {"exists": True}},
        {"update": {"name": api.name("bw/b"), "fields": {}},
         "currentDocument": {"updateTime": "2001-01-01T00:00:00Z"}},
        {"update": {"name": api.name("bw/c"), "fields": {"v": int_value(3)}}},
    ]
    r = api.post(":batchWrite", {"writes": writes}, headers=OWNER)
    assert r.status_code == 200, r.text
    out = r.json()
    codes = [s.get("code", 0) for s in out["status"]]
    assert codes == [0, 6, 5, 9, 0]          # OK, ALREADY_EXISTS, NOT_FOUND, FAILED_PRECONDITION, OK
    assert all(s.get("message") for s in out["status"] if s.get("code"))
    assert len(out["writeResults"]) == 5
    assert "updateTime" in out["writeResults"][0] and "updateTime" in out["writeResults"][4]
    assert out["writeResults"][1] == {} and out["writeResults"][3] == {}
    assert api.get_doc("bw/a")["fields"] == {"v": int_value(1)}
    assert api.get_doc("bw/c")["fields"] == {"v": int_value(3)}
    assert api.get_doc("c/taken")["fields"] == {"x": int_value(1)}
    assert api.get_doc("bw/b") is None


def test_batch_write_gives_each_write_increasing_update_time(api):
    writes = [{"update": {"name": api.name(f"bw/d{i}"), "fields": {}}} for i in range(3)]
    out = api.post(":batchWrite", {"writes": writes}, headers=OWNER).json()
    times = [parse_ts(w["updateTime"]) for w in out["writeResults"]]
    assert times == sorted(times) and len(set(times)) == 3


def test_batch_write_supports_transforms(api):
    r = api.post(":batchWrite", {"writes": [{"update": {"name": api.name("bw/t"), "fields": {"n": int_value(1)}},
                                             "updateTransforms": [{"fieldPath": "n", "increment": int_value(4)}]}]},
                 headers=OWNER)
    assert r.status_code == 200, r.text
    assert r.json()["writeResults"][0]["transformResults"] == [int_value(5)]
    assert api.get_doc("bw/t")["fields"] == {"n": int_value(5)}


# --------------------------------------------------------------------------- listCollectionIds

def _seed_collections(api):
    for c in ("zeta", "alpha", "mid"):
        api.put_doc(f"{c}/x")
    api.put_doc("col/d/sub2/s")
    api.put_doc("col/d/sub/s")
    api.put_doc("col/d/sub/s/deeper/t")


def test_list_collection_ids_requires_admin(api):
    api.put_doc("c/x")
    err = assert_error(api.post(":listCollectionIds", {}), 403, "PERMISSION_DENIED")
    assert err["message"] == "Metadata operations require admin authentication."


def test_list_collection_ids_at_root_is_sorted(api):
    _seed_collections(api)
    r = api.post(":listCollectionIds", {}, headers=OWNER)
    assert r.status_code == 200, r.text
    assert r.json()["collectionIds"] == ["alpha", "col", "mid", "zeta"]


def test_list_collection_ids_under_missing_parent_document(api):
    _seed_collections(api)
    r = api.post("col/d:listCollectionIds", {}, headers=OWNER)
    assert r.json()["collectionIds"] == ["sub", "sub2"]


def test_list_collection_ids_under_document_without_subcollections_is_empty(api):
    api.put_doc("c/leaf")
    r = api.post("c/leaf:listCollectionIds", {}, headers=OWNER)
    assert r.status_code == 200
    assert r.json().get("collectionIds", []) == []


def test_list_collection_ids_paging(api):
    _seed_collections(api)
    first = api.post(":listCollectionIds", {"pageSize": 2}, headers=OWNER).json()
    assert first["collectionIds"] == ["alpha", "col"]
    assert first["nextPageToken"]
    second = api.post(":listCollectionIds", {"pageSize": 2, "pageToken": first["nextPageToken"]},
                      headers=OWNER).json()
    assert second["collectionIds"] == ["mid", "zeta"]
    token = second.get("nextPageToken")
    if token:   # a full page may carry a token even when nothing follows
        third = api.post(":listCollectionIds", {"pageSize": 2, "pageToken": token}, headers=OWNER).json()
        assert third.get("collectionIds", []) == []


def test_list_collection_ids_counts_only_direct_children(api):
    api.put_doc("a/b/c/d/e/f")
    r = api.post(":listCollectionIds", {}, headers=OWNER)
    assert r.json()["collectionIds"] == ["a"]
    r = api.post("a/b:listCollectionIds", {}, headers=OWNER)
    assert r.json()["collectionIds"] == ["c"]


def test_list_collection_ids_ignores_other_projects(api):
    api.put_doc("mine/x")
    other = api.url("").replace(f"projects/{api.project}/", f"projects/{api.project}-o/")
    api.request("PATCH", other + "/theirs/x", body={"fields": {}})
    assert api.post(":listCollectionIds", {}, headers=OWNER).json()["collectionIds"] == ["mine"]


def test_list_collection_ids_paging_under_document(api):
    for c in ("s3", "s1", "s2"):
        api.put_doc(f"col/d/{c}/x")
    first = api.post("col/d:listCollectionIds", {"pageSize": 2}, headers=OWNER).json()
    assert first["collectionIds"] == ["s1", "s2"] and first["nextPageToken"]
    second = api.post("col/d:listCollectionIds", {"pageSize": 2, "pageToken": first["nextPageToken"]},
                      headers=OWNER).json()
    assert second["collectionIds"] == ["s3"]
    assert not second.get("nextPageToken")
