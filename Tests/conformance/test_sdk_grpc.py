"""The unmodified SDKs over gRPC (FIRESTORE_EMULATOR_HOST): google.cloud.firestore Client and
AsyncClient, and firebase_admin.  Documents, every write form, queries and aggregations,
collection groups, contended transactions, on_snapshot listeners, listings and partitions.

Runs against Flint, or the official emulator with CONFORMANCE_TARGET=official."""

import asyncio
import datetime
import threading
import uuid

import pytest
from google.api_core import exceptions as gexc
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

WAIT = 10.0  # seconds a listener callback may take to arrive before a test fails


def _close(client):
    transport = getattr(client._firestore_api, "transport", None)
    if transport is not None:
        transport.close()


@pytest.fixture
def grpc_host(server, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", server.hostport)
    return server.hostport


@pytest.fixture
def client(grpc_host, project):
    c = firestore.Client(project=project, credentials=AnonymousCredentials())
    yield c
    _close(c)


@pytest.fixture
def admin_db(grpc_host, project):
    import firebase_admin
    from firebase_admin import credentials
    from firebase_admin import firestore as admin_firestore

    class Anonymous(credentials.Base):
        def get_credential(self):
            return AnonymousCredentials()

    app = firebase_admin.initialize_app(Anonymous(), {"projectId": project}, name=f"app-{uuid.uuid4().hex}")
    yield admin_firestore.client(app)
    firebase_admin.delete_app(app)


class Snapshots:
    """An on_snapshot callback that records each snapshot and lets a test wait for the next one
    that satisfies a condition (no blind sleeps)."""

    def __init__(self):
        self._cond = threading.Condition()
        self._snaps = []
        self._seen = 0

    def __call__(self, docs, changes, read_time):
        snap = {"docs": {d.id: d.to_dict() for d in docs if d.exists},
                "changes": [(c.type.name, c.document.id) for c in changes], "read_time": read_time}
        with self._cond:
            self._snaps.append(snap)
            self._cond.notify_all()

    def next(self, condition=lambda s: True, timeout=WAIT):
        """The first snapshot not yet returned that satisfies `condition` (earlier ones are passed)."""
        with self._cond:
            def find():
                for i in range(self._seen, len(self._snaps)):
                    if condition(self._snaps[i]):
                        return i
                return None
            assert self._cond.wait_for(lambda: find() is not None, timeout), \
                f"no matching snapshot within {timeout} s; got {self._snaps[self._seen:]}"
            i = find()
            self._seen = i + 1
            return self._snaps[i]

    def changes(self):
        with self._cond:
            return [c for s in self._snaps for c in s["changes"]]


# ----------------------------------------------------------------------------- documents and writes

def test_documents_round_trip(client):
    ref = client.collection("users").document("alice")
    ref.set({"name": "Alice", "age": 30, "tags": ["a"], "m": {"x": 1.5}, "none": None})
    snap = ref.get()
    assert snap.exists and snap.to_dict() == {"name": "Alice", "age": 30, "tags": ["a"], "m": {"x": 1.5},
                                               "none": None}
    assert client.document("users/nobody").get().exists is False
    got = {s.id: s.exists for s in client.get_all([ref, client.document("users/nobody")])}
    assert got == {"alice": True, "nobody": False}
    ref.delete()
    assert not ref.get().exists


def test_every_write_form(client):
    before = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    ref = client.document("w/doc")
    ref.set({"n": 1, "tags": ["a", "x"], "hi": 5, "lo": 5, "gone": "bye", "keep": {"a": 1}})
    ref.set({"keep": {"b": 2}, "merged": True}, merge=True)
    ref.update({"n": firestore.Increment(4), "tags": firestore.ArrayUnion(["b", "a"]),
                "hi": firestore.Maximum(9), "lo": firestore.Minimum(2), "gone": firestore.DELETE_FIELD,
                "t": firestore.SERVER_TIMESTAMP})
    ref.update({"tags": firestore.ArrayRemove(["x"])})
    data = ref.get().to_dict()
    t = data.pop("t")
    assert before < t < before + datetime.timedelta(minutes=5)
    assert data == {"n": 5, "tags": ["a", "b"], "hi": 9, "lo": 2, "keep": {"a": 1, "b": 2}, "merged": True}

    client.document("w/new").create({"x": 1})
    with pytest.raises(gexc.Conflict):
        client.document("w/new").create({"x": 2})
    with pytest.raises(gexc.NotFound):
        client.document("w/none").update({"x": 1})
    assert client.document("w/new").get().to_dict() == {"x": 1}


def test_batch_and_bulk_writer(client):
    batch = client.batch()
    batch.set(client.document("b/1"), {"n": 1})
    batch.set(client.document("b/2"), {"n": 2})
    batch.update(client.document("b/1"), {"n": firestore.Increment(10)})
    batch.delete(client.document("b/2"))
    results = batch.commit()
    assert len(results) == 4
    assert client.document("b/1").get().to_dict() == {"n": 11}
    assert not client.document("b/2").get().exists

    # One write per document: a batch may not write a document twice.
    writer = client.bulk_writer()
    for i in range(20):
        writer.set(client.document(f"bulk/d{i:02d}"), {"i": i})
    writer.update(client.document("b/1"), {"n": firestore.Increment(100)})
    writer.create(client.document("bulk/new"), {"i": -1})
    writer.delete(client.document("b/missing"))
    writer.close()
    docs = {d.id: d.to_dict()["i"] for d in client.collection("bulk").stream()}
    assert len(docs) == 21 and docs["d19"] == 19 and docs["new"] == -1
    assert client.document("b/1").get().to_dict() == {"n": 111}


# ----------------------------------------------------------------------------- queries

def _seed_people(client):
    people = [("ann", 31, "oslo"), ("bob", 25, "rome"), ("cat", 42, "oslo"), ("dan", 19, "lima")]
    batch = client.batch()
    for name, age, city in people:
        batch.set(client.document(f"people/{name}"), {"age": age, "city": city})
    batch.commit()


def test_queries_and_aggregations(client):
    _seed_people(client)
    people = client.collection("people")
    oslo = people.where(filter=FieldFilter("city", "==", "oslo"))
    assert [d.id for d in oslo.order_by("age").stream()] == ["ann", "cat"]
    assert [d.id for d in people.order_by("age", direction=firestore.Query.DESCENDING).limit(2).stream()] == \
        ["cat", "ann"]
    assert [d.id for d in people.order_by("age").start_after({"age": 25}).end_at({"age": 31}).stream()] == ["ann"]
    assert [d.id for d in people.where(filter=FieldFilter("age", "<", 30)).order_by("age").stream()] == \
        ["dan", "bob"]

    assert people.count().get()[0][0].value == 4
    assert oslo.count(alias="n").get()[0][0].value == 2
    assert people.sum("age").get()[0][0].value == 117
    assert people.avg("age").get()[0][0].value == pytest.approx(29.25)


def test_collection_group(client):
    batch = client.batch()
    batch.set(client.document("users/a/posts/p1"), {"likes": 3})
    batch.set(client.document("users/b/posts/p2"), {"likes": 8})
    batch.set(client.document("posts/p3"), {"likes": 5})
    batch.set(client.document("users/a/drafts/p4"), {"likes": 9})
    batch.commit()
    group = client.collection_group("posts")
    assert sorted(d.id for d in group.stream()) == ["p1", "p2", "p3"]
    assert [d.id for d in group.where(filter=FieldFilter("likes", ">", 4)).order_by("likes").stream()] == \
        ["p3", "p2"]
    assert group.count().get()[0][0].value == 3


@pytest.mark.flint_only(reason="the official emulator answers PartitionQuery with UNIMPLEMENTED")
def test_collection_group_partitions(client):
    batch = client.batch()
    for i in range(12):
        batch.set(client.document(f"parts/p{i % 3}/items/i{i:02d}"), {"i": i})
    batch.commit()
    partitions = list(client.collection_group("items").get_partitions(3))
    assert len(partitions) == 4
    seen = [d.id for p in partitions for d in p.query().stream()]
    assert sorted(seen) == [f"i{i:02d}" for i in range(12)]


# ----------------------------------------------------------------------------- transactions

def test_transactions_retry_under_contention(grpc_host, project, target_kind):
    # The official emulator resolves each conflict with a 2 s lock timeout, so it gets fewer rounds.
    threads, per_thread = (4, 5) if target_kind == "flint" else (2, 3)
    clients = [firestore.Client(project=project, credentials=AnonymousCredentials()) for _ in range(threads)]
    try:
        clients[0].document("counters/c").set({"n": 0})
        failures = []

        def worker(c):
            ref = c.document("counters/c")

            @firestore.transactional
            def increment(transaction):
                n = ref.get(transaction=transaction).get("n")
                transaction.update(ref, {"n": n + 1})

            try:
                for _ in range(per_thread):
                    increment(c.transaction(max_attempts=50))
            except Exception as e:  # surfaced below with the count
                failures.append(e)

        workers = [threading.Thread(target=worker, args=(c,)) for c in clients]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        assert not failures
        assert clients[0].document("counters/c").get().to_dict() == {"n": threads * per_thread}
    finally:
        for c in clients:
            _close(c)


def test_failed_transaction_function_rolls_back(client):
    ref = client.document("tx/a")
    ref.set({"n": 1})

    @firestore.transactional
    def broken(transaction):
        transaction.update(ref, {"n": 2})
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        broken(client.transaction())
    assert ref.get().to_dict() == {"n": 1}


# ----------------------------------------------------------------------------- listeners

def test_document_on_snapshot_sees_create_update_delete(client):
    ref = client.document("watch/doc")
    snaps = Snapshots()
    watch = ref.on_snapshot(snaps)
    try:
        assert snaps.next()["docs"] == {}
        ref.set({"n": 1})
        assert snaps.next(lambda s: s["docs"])["docs"] == {"doc": {"n": 1}}
        ref.update({"n": 2})
        assert snaps.next()["docs"] == {"doc": {"n": 2}}
        ref.delete()
        assert snaps.next()["docs"] == {}
        assert snaps.changes() == [("ADDED", "doc"), ("MODIFIED", "doc"), ("REMOVED", "doc")]
    finally:
        watch.unsubscribe()


def test_query_on_snapshot_sees_adds_modifies_removes_in_order(client):
    client.document("scores/a").set({"n": 1})
    client.document("scores/b").set({"n": 5})
    query = client.collection("scores").where(filter=FieldFilter("n", ">", 2))
    snaps = Snapshots()
    watch = query.on_snapshot(snaps)
    try:
        assert snaps.next()["docs"] == {"b": {"n": 5}}
        client.document("scores/c").set({"n": 7})
        assert snaps.next()["changes"] == [("ADDED", "c")]
        client.document("scores/b").update({"n": 6})
        assert snaps.next()["changes"] == [("MODIFIED", "b")]
        client.document("scores/c").update({"n": 0})          # leaves the query
        assert snaps.next()["changes"] == [("REMOVED", "c")]
        client.document("scores/a").update({"n": 0})          # was never in it: no snapshot for this
        client.document("scores/b").delete()
        last = snaps.next()
        assert last["changes"] == [("REMOVED", "b")] and last["docs"] == {}
        assert snaps.changes() == [("ADDED", "b"), ("ADDED", "c"), ("MODIFIED", "b"), ("REMOVED", "c"),
                                   ("REMOVED", "b")]
    finally:
        watch.unsubscribe()


def test_ordered_limit_query_on_snapshot_keeps_the_top_results(client):
    for name, n in [("a", 1), ("b", 2), ("c", 3)]:
        client.document(f"top/{name}").set({"n": n})
    snaps = Snapshots()
    watch = client.collection("top").order_by("n", direction=firestore.Query.DESCENDING).limit(2).on_snapshot(snaps)
    try:
        assert snaps.next()["docs"] == {"c": {"n": 3}, "b": {"n": 2}}
        client.document("top/a").update({"n": 10})
        assert snaps.next()["docs"] == {"a": {"n": 10}, "c": {"n": 3}}
        client.document("top/c").delete()
        assert snaps.next()["docs"] == {"a": {"n": 10}, "b": {"n": 2}}
    finally:
        watch.unsubscribe()


def test_collection_group_on_snapshot(client):
    snaps = Snapshots()
    watch = client.collection_group("events").on_snapshot(snaps)
    try:
        assert snaps.next()["docs"] == {}
        client.document("rooms/r1/events/e1").set({"k": 1})
        assert snaps.next()["changes"] == [("ADDED", "e1")]
        client.document("rooms/r2/events/e2").set({"k": 2})
        assert snaps.next()["docs"] == {"e1": {"k": 1}, "e2": {"k": 2}}
    finally:
        watch.unsubscribe()


def test_several_listeners_at_once(client):
    first, second = Snapshots(), Snapshots()
    w1 = client.collection("shared").on_snapshot(first)
    w2 = client.document("shared/x").on_snapshot(second)
    try:
        first.next()
        second.next()
        client.document("shared/x").set({"v": 1})
        assert first.next()["docs"] == {"x": {"v": 1}}
        assert second.next()["docs"] == {"x": {"v": 1}}
    finally:
        w1.unsubscribe()
        w2.unsubscribe()


# ----------------------------------------------------------------------------- listings

def test_listing_collections_and_documents(client):
    client.document("alpha/a1").set({"x": 1})
    client.document("beta/b1").set({"x": 1})
    client.document("alpha/a2/sub/s1").set({"x": 1})     # a2 itself does not exist
    assert sorted(c.id for c in client.collections()) == ["alpha", "beta"]
    assert [c.id for c in client.document("alpha/a2").collections()] == ["sub"]
    assert sorted(d.id for d in client.collection("alpha").list_documents()) == ["a1", "a2"]


# ----------------------------------------------------------------------------- AsyncClient

@pytest.mark.asyncio
async def test_async_client_documents_queries_and_transactions(grpc_host, project):
    db = firestore.AsyncClient(project=project, credentials=AnonymousCredentials())
    try:
        await db.document("items/a").set({"n": 1, "tag": "x"})
        await db.document("items/b").set({"n": 2, "tag": "y"})
        await db.document("items/a").update({"n": firestore.Increment(2)})
        assert (await db.document("items/a").get()).to_dict() == {"n": 3, "tag": "x"}
        assert [d.id async for d in db.collection("items").order_by("n").stream()] == ["b", "a"]
        assert (await db.collection("items").count().get())[0][0].value == 2

        @firestore.async_transactional
        async def move(transaction):
            a = await db.document("items/a").get(transaction=transaction)
            transaction.update(db.document("items/b"), {"n": a.get("n") + 100})

        await move(db.transaction())
        assert (await db.document("items/b").get()).to_dict()["n"] == 103
        await asyncio.gather(*(db.document(f"many/d{i}").set({"i": i}) for i in range(10)))
        assert len([d async for d in db.collection("many").stream()]) == 10
    finally:
        await db._firestore_api.transport.close()


# ----------------------------------------------------------------------------- firebase_admin

def test_firebase_admin_client_reads_writes_and_listens(admin_db):
    ref = admin_db.document("admin/doc")
    ref.set({"v": 1})
    assert ref.get().to_dict() == {"v": 1}
    snaps = Snapshots()
    watch = ref.on_snapshot(snaps)
    try:
        assert snaps.next()["docs"] == {"doc": {"v": 1}}
        ref.update({"v": firestore.Increment(1)})
        assert snaps.next()["docs"] == {"doc": {"v": 2}}
    finally:
        watch.unsubscribe()
