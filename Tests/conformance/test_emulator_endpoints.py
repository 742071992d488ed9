"""Emulator-only endpoints: clearing a database and recursive delete."""

from conftest import Api, int_value, new_project


def _seed(api):
    for p in ("c/a", "c/a/s/b", "c/a/s/b/t/c", "c/z", "d/e"):
        api.put_doc(p, {"v": int_value(1)})


def _exists(api, path):
    return api.get_doc(path) is not None


def test_clear_database_deletes_every_document(api):
    _seed(api)
    r = api.delete(api.emu_url())
    assert r.status_code == 200
    assert r.json() == {}
    for p in ("c/a", "c/a/s/b", "c/a/s/b/t/c", "c/z", "d/e"):
        assert not _exists(api, p), p


def test_clear_database_leaves_other_projects(api, server):
    other = Api(server, new_project("other"))
    other.put_doc("c/a")
    api.put_doc("c/a")
    assert api.delete(api.emu_url()).status_code == 200
    assert _exists(other, "c/a")


def test_clear_database_leaves_other_databases(api):
    other_db = api.url("").replace("/databases/(default)/", "/databases/other/")
    assert api.request("PATCH", other_db + "/c/a", body={"fields": {}}).status_code == 200
    api.put_doc("c/a")
    assert api.delete(api.emu_url()).status_code == 200
    assert api.request("GET", other_db + "/c/a").status_code == 200


def test_clear_empty_database_succeeds(api):
    r = api.delete(api.emu_url())
    assert r.status_code == 200
    assert r.json() == {}


def test_cleared_database_accepts_new_writes(api):
    api.put_doc("c/a")
    api.delete(api.emu_url())
    api.put_doc("c/a", {"v": int_value(2)})
    assert api.get_doc("c/a")["fields"] == {"v": int_value(2)}


def test_recursive_delete_of_document_removes_its_subcollections(api):
    _seed(api)
    r = api.delete(api.emu_url("c/a"))
    assert r.status_code == 200
    assert r.json() == {}
    assert not _exists(api, "c/a")
    assert not _exists(api, "c/a/s/b")
    assert not _exists(api, "c/a/s/b/t/c")
    assert _exists(api, "c/z") and _exists(api, "d/e")


def test_recursive_delete_of_collection_removes_all_its_documents(api):
    _seed(api)
    assert api.delete(api.emu_url("c")).status_code == 200
    for p in ("c/a", "c/a/s/b", "c/z"):
        assert not _exists(api, p), p
    assert _exists(api, "d/e")


def test_recursive_delete_of_missing_path_succeeds(api):
    r = api.delete(api.emu_url("nothing/here"))
    assert r.status_code == 200
    assert r.json() == {}


def test_recursive_delete_of_missing_parent_removes_descendants(api):
    api.put_doc("c/ghost/s/x")
    assert api.delete(api.emu_url("c/ghost")).status_code == 200
    assert not _exists(api, "c/ghost/s/x")


def test_recursive_delete_does_not_touch_prefix_siblings(api):
    api.put_doc("c/a")
    api.put_doc("c/ab")
    api.put_doc("c/a0/s/x")
    api.delete(api.emu_url("c/a"))
    assert _exists(api, "c/ab") and _exists(api, "c/a0/s/x")
