"""The high-level google.cloud.firestore.Client with a REST GAPIC client injected (the only way
to drive it over REST): set/get/update/delete, merges, batches, sentinels/transforms, add(),
collections(), list_documents().  Reads use BatchGetDocuments, writes use Commit."""

import datetime

import pytest
from google.api_core import exceptions as gexc
from google.cloud import firestore


def test_set_then_get(db):
    ref = db.collection("users").document("alice")
    ref.set({"name": "Alice", "age": 30, "tags": ["a", "b"], "m": {"x": 1.5}, "none": None, "ok": True})
    snap = ref.get()
    assert snap.exists
    assert snap.to_dict() == {"name": "Alice", "age": 30, "tags": ["a", "b"], "m": {"x": 1.5}, "none": None,
                              "ok": True}
    assert snap.create_time == snap.update_time


def test_get_missing_document_does_not_exist(db):
    snap = db.document("users/nobody").get()
    assert not snap.exists and snap.to_dict() is None


def test_set_with_server_timestamp(db):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    ref = db.document("c/ts")
    ref.set({"t": firestore.SERVER_TIMESTAMP, "k": 1})
    t = ref.get().to_dict()["t"]
    assert isinstance(t, datetime.datetime)
    assert before < t < before + datetime.timedelta(minutes=5)
    assert t.microsecond % 1000 == 0         # REQUEST_TIME has millisecond precision


def test_update_with_transforms_and_delete_field(db):
    ref = db.document("c/u")
    ref.set({"n": 1, "tags": ["a", "x"], "m": {"a": 1}, "gone": "bye", "hi": 5, "lo": 5})
    ref.update({"n": firestore.Increment(5), "tags": firestore.ArrayUnion(["b", "a"]),
                "m.b": 2, "gone": firestore.DELETE_FIELD, "hi": firestore.Maximum(9), "lo": firestore.Minimum(2)})
    ref.update({"tags": firestore.ArrayRemove(["x"])})
    assert ref.get().to_dict() == {"n": 6, "tags": ["a", "b"], "m": {"a": 1, "b": 2}, "hi": 9, "lo": 2}


def test_update_missing_document_raises_not_found(db):
    with pytest.raises(gexc.NotFound):
        db.document("c/none").update({"x": 1})


def test_create_existing_document_raises_conflict(db):
    db.document("c/a").set({"x": 1})
    with pytest.raises(gexc.Conflict):
        db.document("c/a").create({"x": 2})
    assert db.document("c/a").get().to_dict() == {"x": 1}


def test_create_new_document(db):
    db.document("c/new").create({"x": 1})
    assert db.document("c/new").get().to_dict() == {"x": 1}


def test_set_merge_keeps_other_fields(db):
    ref = db.document("c/m")
    ref.set({"a": 1, "m": {"x": 1, "y": 2}})
    ref.set({"m": {"z": 3}, "b": 2}, merge=True)
    assert ref.get().to_dict() == {"a": 1, "b": 2, "m": {"x": 1, "y": 2, "z": 3}}


def test_set_merge_with_field_list(db):
    ref = db.document("c/m")
    ref.set({"a": 1, "b": 1})
    ref.set({"a": 10, "b": 10}, merge=["b"])
    assert ref.get().to_dict() == {"a": 1, "b": 10}


def test_update_with_last_update_time_option(db):
    ref = db.document("c/p")
    ref.set({"x": 1})
    snap = ref.get()
    ref.update({"x": 2}, option=db.write_option(last_update_time=snap.update_time))
    assert ref.get().to_dict() == {"x": 2}
    with pytest.raises(gexc.BadRequest):
        ref.update({"x": 3}, option=db.write_option(last_update_time=snap.update_time))


def test_delete_document(db):
    ref = db.document("c/d")
    ref.set({"x": 1})
    ref.delete()
    assert not ref.get().exists


def test_batch_commits_all_writes(db):
    db.document("c/old").set({"x": 1})
    batch = db.batch()
    batch.set(db.document("c/b1"), {"k": 1})
    batch.update(db.document("c/old"), {"x": firestore.Increment(1)})
    batch.delete(db.document("c/gone"))
    results = batch.commit()
    assert len(results) == 3
    assert results[0].update_time == results[1].update_time
    assert db.document("c/b1").get().to_dict() == {"k": 1}
    assert db.document("c/old").get().to_dict() == {"x": 2}


def test_batch_is_atomic(db):
    batch = db.batch()
    batch.set(db.document("c/b1"), {"k": 1})
    batch.update(db.document("c/missing"), {"x": 1})
    with pytest.raises(gexc.NotFound):
        batch.commit()
    assert not db.document("c/b1").get().exists


def test_transform_only_update_in_batch_keeps_fields(db):
    db.document("c/t").set({"keep": "yes"})
    batch = db.batch()
    batch.set(db.document("c/t"), {"n": firestore.Increment(3)}, merge=True)
    batch.commit()
    assert db.document("c/t").get().to_dict() == {"keep": "yes", "n": 3}


def test_add_generates_20_character_id(db):
    _, ref = db.collection("c").add({"q": 1})
    assert len(ref.id) == 20 and ref.id.isalnum()
    assert ref.get().to_dict() == {"q": 1}


def test_value_types_round_trip(db):
    ref = db.document("c/types")
    data = {
        "int": 2**63 - 1, "neg": -2**63, "f": 0.25, "nan_free": float("inf"), "s": "\u00fcnicode \U0001F30D",
        "b": b"\x00\x01\xff", "ts": datetime.datetime(2020, 1, 2, 3, 4, 5, 123456, tzinfo=datetime.timezone.utc),
        "geo": firestore.GeoPoint(1.5, -2.5), "ref": db.document("x/y"), "arr": [1, "a", None, {"k": [2]}],
        "map": {"nested": {"deep": True}},
    }
    ref.set(data)
    got = ref.get().to_dict()
    assert got["int"] == 2**63 - 1 and got["neg"] == -2**63 and got["f"] == 0.25
    assert got["nan_free"] == float("inf") and got["s"] == data["s"] and got["b"] == data["b"]
    assert got["ts"] == data["ts"] and got["geo"] == data["geo"]
    assert got["ref"].path == "x/y"
    assert got["arr"] == data["arr"] and got["map"] == data["map"]


def test_get_with_field_paths(db):
    ref = db.document("c/fp")
    ref.set({"a": 1, "b": {"c": 2, "d": 3}})
    assert ref.get(field_paths=["b.c"]).to_dict() == {"b": {"c": 2}}


def test_collections_lists_root_collections(db):
    for c in ("b", "a"):
        db.document(f"{c}/x").set({})
    assert sorted(c.id for c in db.collections()) == ["a", "b"]


def test_document_collections_lists_subcollections(db):
    db.document("c/p/s1/x").set({})
    db.document("c/p/s2/x").set({})
    assert sorted(c.id for c in db.document("c/p").collections()) == ["s1", "s2"]


def test_list_documents_includes_missing_parents(db):
    db.document("c/real").set({})
    db.document("c/ghost/sub/x").set({})
    assert sorted(d.id for d in db.collection("c").list_documents()) == ["ghost", "real"]


@pytest.mark.flint_only(reason="streaming bodies end exactly at ']' (get_all of several documents reads past "
                               "the last element)")
def test_get_all_returns_found_and_missing(db):
    db.document("c/a").set({"x": 1})
    snaps = {s.id: s for s in db.get_all([db.document("c/a"), db.document("c/none")])}
    assert snaps["a"].to_dict() == {"x": 1}
    assert not snaps["none"].exists


def test_bulk_writer(db):
    bw = db.bulk_writer()
    for i in range(5):
        bw.set(db.document(f"bulk/d{i}"), {"i": i})
    bw.close()
    assert sorted(d.id for d in db.collection("bulk").list_documents()) == [f"d{i}" for i in range(5)]


def test_firebase_admin_client_over_rest(server, project, gapic):
    import firebase_admin
    from firebase_admin import credentials
    from firebase_admin import firestore as admin_firestore
    from google.auth.credentials import AnonymousCredentials

    class Anonymous(credentials.Base):
        def get_credential(self):
            return AnonymousCredentials()

    app = firebase_admin.initialize_app(Anonymous(), options={"projectId": project}, name=f"app-{project}")
    try:
        client = admin_firestore.client(app)
        assert client.project == project
        client._firestore_api_internal = gapic
        client._emulator_host = server.hostport
        client.document("admin/doc").set({"via": "firebase_admin", "n": firestore.Increment(2)})
        assert client.document("admin/doc").get().to_dict() == {"via": "firebase_admin", "n": 2}
    finally:
        firebase_admin.delete_app(app)
