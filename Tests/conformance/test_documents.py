"""Single-document REST endpoints over plain HTTP: GET, createDocument, PATCH, DELETE, and
listing documents (GET on a collection path)."""

import re

import pytest

from conftest import OWNER, assert_error, int_value, parse_ts, str_value

GENERATED_ID = re.compile(r"^[A-Za-z0-9]{20}$")


# --------------------------------------------------------------------------- GET

def test_get_returns_document_with_name_fields_and_times(api):
    api.put_doc("c/d", {"a": int_value(1), "s": str_value("x")})
    r = api.get("c/d")
    assert r.status_code == 200
    doc = r.json()
    assert doc["name"] == api.name("c/d")
    assert doc["fields"] == {"a": {"integerValue": "1"}, "s": {"stringValue": "x"}}
    assert doc["createTime"] == doc["updateTime"]
    assert r.headers["Content-Type"].startswith("application/json")


def test_get_missing_document_is_404_not_found(api):
    err = assert_error(api.get("c/missing"), 404, "NOT_FOUND")
    assert api.name("c/missing") in err["message"]


def test_get_with_mask_returns_only_masked_fields(api):
    api.put_doc("c/d", {"a": int_value(1), "b": int_value(2), "m": {"mapValue": {"fields": {
        "x": int_value(3), "y": int_value(4)}}}})
    r = api.get("c/d", params=[("mask.fieldPaths", "a"), ("mask.fieldPaths", "m.x")])
    assert r.status_code == 200
    assert r.json()["fields"] == {"a": int_value(1), "m": {"mapValue": {"fields": {"x": int_value(3)}}}}


def test_get_with_mask_of_absent_field_returns_no_fields(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.get("c/d", params={"mask.fieldPaths": "zz"})
    assert r.status_code == 200
    doc = r.json()
    assert "fields" not in doc or doc["fields"] == {}
    assert doc["name"] == api.name("c/d")


def test_get_on_collection_path_lists_documents(api):
    api.put_doc("c/a")
    api.put_doc("c/b")
    r = api.get("c")
    assert r.status_code == 200
    assert [d["name"] for d in r.json()["documents"]] == [api.name("c/a"), api.name("c/b")]


@pytest.mark.flint_only("production rejects query parameters a method does not take; the official emulator ignores them")
def test_get_rejects_unknown_query_parameters(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.get("c/d", params={"foo": "bar"})
    assert r.status_code == 400
    assert r.json()["error"]["status"] == "INVALID_ARGUMENT"
    assert "foo" in r.json()["error"]["message"]


# --------------------------------------------------------------------------- createDocument

def test_create_document_with_given_id_in_top_level_collection(api):
    r = api.post("c?documentId=given", {"fields": {"a": int_value(1)}})
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["name"] == api.name("c/given")
    assert doc["fields"] == {"a": int_value(1)}
    assert doc["createTime"] == doc["updateTime"]
    assert api.get_doc("c/given")["fields"] == {"a": int_value(1)}


def test_create_document_generates_20_character_id(api):
    r = api.post("c", {"fields": {"a": int_value(1)}})
    assert r.status_code == 200, r.text
    name = r.json()["name"]
    assert name.startswith(api.name("c/"))
    doc_id = name[len(api.name("c/")):]
    assert GENERATED_ID.match(doc_id), doc_id
    assert api.get_doc(f"c/{doc_id}")["fields"] == {"a": int_value(1)}


def test_create_document_generated_ids_are_distinct(api):
    names = {api.post("c", {"fields": {}}).json()["name"] for _ in range(5)}
    assert len(names) == 5


def test_create_document_in_subcollection(api):
    r = api.post("c/p/sub?documentId=s1", {"fields": {"k": str_value("v")}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == api.name("c/p/sub/s1")
    assert api.get_doc("c/p") is None  # the parent is not created


def test_create_document_on_taken_id_is_409_already_exists(api):
    api.put_doc("c/taken", {"a": int_value(1)})
    assert_error(api.post("c?documentId=taken", {"fields": {"a": int_value(2)}}), 409, "ALREADY_EXISTS")
    assert api.get_doc("c/taken")["fields"] == {"a": int_value(1)}


@pytest.mark.flint_only(reason="production's ALREADY_EXISTS text 'Document already exists: <name>'")
def test_create_document_on_taken_id_uses_production_message(api):
    api.put_doc("c/taken")
    assert_error(api.post("c?documentId=taken", {"fields": {}}), 409, "ALREADY_EXISTS",
                 message=f"Document already exists: {api.name('c/taken')}")


def test_create_document_response_honours_mask(api):
    r = api.post("c?documentId=m&mask.fieldPaths=v", {"fields": {"v": int_value(1), "w": int_value(2)}})
    assert r.status_code == 200
    assert r.json()["fields"] == {"v": int_value(1)}
    assert api.get_doc("c/m")["fields"] == {"v": int_value(1), "w": int_value(2)}


def test_create_document_rejects_name_in_body(api):
    r = api.post("c?documentId=x", {"name": api.name("c/other"), "fields": {}})
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/x") is None and api.get_doc("c/other") is None


def test_create_document_rejects_reserved_id(api):
    assert_error(api.post("c?documentId=__x__", {"fields": {}}), 400, "INVALID_ARGUMENT")


def test_create_document_rejects_id_with_slash(api):
    assert_error(api.post("c", {"fields": {}}, params={"documentId": "a/b"}), 400, "INVALID_ARGUMENT")


# --------------------------------------------------------------------------- PATCH

def test_patch_creates_missing_document(api):
    r = api.patch("c/new", {"fields": {"a": int_value(1)}})
    assert r.status_code == 200
    doc = r.json()
    assert doc["name"] == api.name("c/new")
    assert doc["createTime"] == doc["updateTime"]


def test_patch_without_mask_replaces_whole_document(api):
    api.put_doc("c/d", {"a": int_value(1), "b": int_value(2)})
    r = api.patch("c/d", {"fields": {"c": int_value(3)}})
    assert r.status_code == 200
    assert r.json()["fields"] == {"c": int_value(3)}
    assert api.get_doc("c/d")["fields"] == {"c": int_value(3)}


def test_patch_keeps_create_time_and_advances_update_time(api):
    first = api.put_doc("c/d", {"a": int_value(1)})
    second = api.put_doc("c/d", {"a": int_value(2)})
    assert second["createTime"] == first["createTime"]
    assert parse_ts(second["updateTime"]) > parse_ts(first["updateTime"])


def test_patch_that_changes_nothing_keeps_update_time(api):
    first = api.put_doc("c/d", {"a": int_value(1)})
    second = api.put_doc("c/d", {"a": int_value(1)})
    assert second["updateTime"] == first["updateTime"]


def test_patch_with_update_mask_merges_dotted_and_backquoted_paths(api):
    api.put_doc("c/d", {"a": {"mapValue": {"fields": {"b": int_value(1), "c": int_value(2)}}},
                        "k": int_value(1), "x.y": int_value(5)})
    r = api.patch("c/d", {"fields": {"a": {"mapValue": {"fields": {"b": int_value(10)}}},
                                     "x.y": int_value(6), "k": int_value(99)}},
                  params=[("updateMask.fieldPaths", "a.b"), ("updateMask.fieldPaths", "`x.y`")])
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d")["fields"] == {
        "a": {"mapValue": {"fields": {"b": int_value(10), "c": int_value(2)}}},
        "k": int_value(1), "x.y": int_value(6)}


def test_patch_update_mask_path_absent_from_body_deletes_field(api):
    api.put_doc("c/d", {"a": int_value(1), "b": int_value(2)})
    r = api.patch("c/d", {"fields": {}}, params={"updateMask.fieldPaths": "a"})
    assert r.status_code == 200
    assert api.get_doc("c/d")["fields"] == {"b": int_value(2)}


def test_patch_update_mask_ignores_body_fields_outside_mask(api):
    api.put_doc("c/d", {"a": int_value(1)})
    api.patch("c/d", {"fields": {"a": int_value(2), "z": int_value(3)}}, params={"updateMask.fieldPaths": "a"})
    assert api.get_doc("c/d")["fields"] == {"a": int_value(2)}


def test_patch_response_honours_mask(api):
    r = api.patch("c/d", {"fields": {"a": int_value(1), "b": int_value(2), "c": int_value(3)}},
                  params=[("mask.fieldPaths", "a"), ("mask.fieldPaths", "c")])
    assert r.status_code == 200
    assert r.json()["fields"] == {"a": int_value(1), "c": int_value(3)}


def test_patch_with_exists_false_on_existing_is_409_and_leaves_document(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.patch("c/d", {"fields": {"a": int_value(2)}}, params={"currentDocument.exists": "false"})
    assert_error(r, 409, "ALREADY_EXISTS")
    assert api.get_doc("c/d")["fields"] == {"a": int_value(1)}


def test_patch_with_exists_false_on_missing_creates(api):
    r = api.patch("c/d", {"fields": {"a": int_value(1)}}, params={"currentDocument.exists": "false"})
    assert r.status_code == 200
    assert api.get_doc("c/d")["fields"] == {"a": int_value(1)}


def test_patch_with_exists_true_on_missing_is_404_and_creates_nothing(api):
    r = api.patch("c/d", {"fields": {"a": int_value(1)}}, params={"currentDocument.exists": "true"})
    assert_error(r, 404, "NOT_FOUND")
    assert api.get_doc("c/d") is None


def test_patch_with_stale_update_time_is_400_failed_precondition(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.patch("c/d", {"fields": {"a": int_value(2)}},
                  params={"currentDocument.updateTime": "2001-01-01T00:00:00.000001Z"})
    assert_error(r, 400, "FAILED_PRECONDITION")
    assert api.get_doc("c/d")["fields"] == {"a": int_value(1)}


@pytest.mark.flint_only(reason="currentDocument.updateTime as a query parameter is honoured "
                               "(the official emulator reads it as version 0)")
def test_patch_with_matching_update_time_query_param_succeeds(api):
    ut = api.put_doc("c/d", {"a": int_value(1)})["updateTime"]
    r = api.patch("c/d", {"fields": {"a": int_value(2)}}, params={"currentDocument.updateTime": ut})
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d")["fields"] == {"a": int_value(2)}


@pytest.mark.flint_only(reason="currentDocument.updateTime as a query parameter is honoured "
                               "(the official emulator reads it as version 0, so it creates a missing doc)")
def test_patch_with_update_time_query_param_on_missing_document_fails(api):
    r = api.patch("c/d", {"fields": {}}, params={"currentDocument.updateTime": "2020-01-01T00:00:00Z"})
    assert_error(r, 400, "FAILED_PRECONDITION")
    assert api.get_doc("c/d") is None


def test_patch_with_body_name_equal_to_url_succeeds(api):
    r = api.patch("c/d", {"name": api.name("c/d"), "fields": {"a": int_value(1)}})
    assert r.status_code == 200
    assert r.json()["name"] == api.name("c/d")


@pytest.mark.flint_only(reason="a body name that differs from the URL is a 400", hangs=True)
def test_patch_with_body_name_different_from_url_is_400(api):
    r = api.patch("c/d", {"name": api.name("c/other"), "fields": {}}, timeout=5)
    assert_error(r, 400, "INVALID_ARGUMENT")
    assert api.get_doc("c/d") is None and api.get_doc("c/other") is None


def test_patch_with_empty_body_writes_empty_document(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.request("PATCH", "c/d", raw="")
    assert r.status_code == 200
    assert api.get_doc("c/d").get("fields", {}) == {}


# --------------------------------------------------------------------------- DELETE

def test_delete_existing_document_answers_empty_object(api):
    api.put_doc("c/d")
    r = api.delete("c/d")
    assert r.status_code == 200
    assert r.json() == {}
    assert api.get_doc("c/d") is None


def test_delete_missing_document_succeeds(api):
    r = api.delete("c/never")
    assert r.status_code == 200
    assert r.json() == {}


def test_delete_keeps_subcollections(api):
    api.put_doc("c/d")
    api.put_doc("c/d/sub/s")
    assert api.delete("c/d").status_code == 200
    assert api.get_doc("c/d/sub/s") is not None


def test_delete_with_exists_true_on_missing_is_404(api):
    assert_error(api.delete("c/never", params={"currentDocument.exists": "true"}), 404, "NOT_FOUND")


def test_delete_with_exists_true_on_existing_deletes(api):
    api.put_doc("c/d")
    assert api.delete("c/d", params={"currentDocument.exists": "true"}).status_code == 200
    assert api.get_doc("c/d") is None


def test_delete_with_exists_false_on_missing_succeeds(api):
    assert api.delete("c/never", params={"currentDocument.exists": "false"}).status_code == 200


def test_delete_with_stale_update_time_is_400_and_keeps_document(api):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.delete("c/d", params={"currentDocument.updateTime": "2001-01-01T00:00:00Z"})
    assert_error(r, 400, "FAILED_PRECONDITION")
    assert api.get_doc("c/d") is not None


@pytest.mark.flint_only(reason="currentDocument.updateTime as a query parameter is honoured")
def test_delete_with_matching_update_time_query_param_deletes(api):
    ut = api.put_doc("c/d")["updateTime"]
    r = api.delete("c/d", params={"currentDocument.updateTime": ut})
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d") is None


# --------------------------------------------------------------------------- list documents

def _seed(api, n=5, coll="col"):
    for i in range(n):
        api.put_doc(f"{coll}/d{i}", {"i": int_value(i), "b": str_value("x")})


def _ids(resp):
    return [d["name"].rsplit("/", 1)[1] for d in resp.json().get("documents", [])]


def test_list_documents_in_name_order(api):
    for i in (3, 1, 4, 0, 2):
        api.put_doc(f"col/d{i}", {"i": int_value(i)})
    r = api.get("col")
    assert r.status_code == 200
    assert _ids(r) == ["d0", "d1", "d2", "d3", "d4"]
    assert "nextPageToken" not in r.json()


def test_list_documents_of_empty_collection_is_empty_object(api):
    r = api.get("nothing")
    assert r.status_code == 200
    assert r.json().get("documents", []) == []


def test_list_documents_excludes_other_collections_and_subcollections(api):
    _seed(api, 2)
    api.put_doc("col/d0/sub/s")
    api.put_doc("other/o")
    assert _ids(api.get("col")) == ["d0", "d1"]


def test_list_documents_page_size_and_page_token_walk_all_pages(api):
    _seed(api, 5)
    seen, token, pages = [], None, 0
    while True:
        params = {"pageSize": 2}
        if token:
            params["pageToken"] = token
        r = api.get("col", params=params)
        assert r.status_code == 200
        seen += _ids(r)
        pages += 1
        token = r.json().get("nextPageToken")
        if not token:
            break
        assert pages < 10
    assert seen == ["d0", "d1", "d2", "d3", "d4"]
    assert pages == 3


def test_list_documents_full_page_has_next_page_token(api):
    _seed(api, 2)
    r = api.get("col", params={"pageSize": 2})
    assert _ids(r) == ["d0", "d1"]
    assert r.json().get("nextPageToken")


def test_list_documents_order_by_field_descending(api):
    _seed(api, 4)
    r = api.get("col?orderBy=i%20desc")
    assert r.status_code == 200, r.text
    assert _ids(r) == ["d3", "d2", "d1", "d0"]


@pytest.mark.flint_only(reason="'+' in a query string is a space (form encoding, as GAPIC and discovery "
                               "send orderBy='i desc'); the official emulator keeps the '+'")
def test_list_documents_order_by_with_plus_as_space(api):
    _seed(api, 3)
    r = api.get("col?orderBy=i+desc")
    assert r.status_code == 200, r.text
    assert _ids(r) == ["d2", "d1", "d0"]


def test_list_documents_order_by_two_fields(api):
    for i, (g, k) in enumerate([(1, "b"), (0, "z"), (1, "a"), (0, "y")]):
        api.put_doc(f"col/d{i}", {"g": int_value(g), "k": str_value(k)})
    r = api.get("col?orderBy=g%20desc,k")
    assert _ids(r) == ["d2", "d0", "d3", "d1"]


def test_list_documents_with_mask(api):
    _seed(api, 2)
    r = api.get("col", params={"mask.fieldPaths": "i"})
    assert [d["fields"] for d in r.json()["documents"]] == [{"i": int_value(0)}, {"i": int_value(1)}]


def test_list_documents_show_missing_requires_admin(api):
    _seed(api, 1)
    err = assert_error(api.get("col", params={"showMissing": "true"}), 403, "PERMISSION_DENIED")
    assert err["message"] == "Metadata operations require admin authentication."


def test_list_documents_show_missing_includes_parents_of_subcollections(api):
    _seed(api, 2)
    api.put_doc("col/ghost/sub/s")
    r = api.get("col", params={"showMissing": "true"}, headers=OWNER)
    assert r.status_code == 200, r.text
    docs = r.json()["documents"]
    assert [d["name"] for d in docs] == [api.name("col/d0"), api.name("col/d1"), api.name("col/ghost")]
    ghost = docs[2]
    assert ghost == {"name": api.name("col/ghost")}
    assert docs[0]["fields"]["i"] == int_value(0) and "createTime" in docs[0]


def test_list_documents_under_document_lists_subcollection(api):
    api.put_doc("c/p/sub/a")
    api.put_doc("c/p/sub/b")
    api.put_doc("c/q/sub/x")
    r = api.get("c/p/sub")
    assert _ids(r) == ["a", "b"]
