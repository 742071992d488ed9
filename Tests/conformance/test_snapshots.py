"""Snapshots of the whole store: save, restore, list, delete; listeners follow a restore, pending
trigger events are dropped, writers may run during one, and "seed once, restore per test" works
as the README shows."""
import json
import threading
import time

import pytest
import requests
from google.auth.credentials import AnonymousCredentials
from google.cloud import firestore

import conftest

WAIT = 20


@pytest.fixture(scope="module")
def flint(target_kind):
    if target_kind != "flint":
        pytest.skip("snapshots are Flint's own endpoints")
    server = conftest.start_flint(["--no-engine"])
    yield server
    server.stop()


def docs(base, project, collection="c"):
    r = requests.get(f"{base}/v1/projects/{project}/databases/(default)/documents/{collection}", timeout=10)
    return {d["name"].rsplit("/", 1)[1]: d["fields"] for d in r.json().get("documents", [])}


def put(base, project, path, fields):
    r = requests.patch(f"{base}/v1/projects/{project}/databases/(default)/documents/{path}",
                       json={"fields": fields}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def delete(base, project, path):
    r = requests.delete(f"{base}/v1/projects/{project}/databases/(default)/documents/{path}", timeout=10)
    assert r.status_code == 200, r.text


def snapshot(base, name, verb=""):
    return requests.post(f"{base}/emulator/v1/snapshots/{name}{verb}", timeout=30)


def n(i):
    return {"n": {"integerValue": str(i)}}


# ---------------------------------------------------------------- the README's fixture

@pytest.fixture(scope="module")
def seeded(flint):
    """Seed once: write the data every test starts from, then save it as a snapshot."""
    for i in range(50):
        put(flint.base, "seeded", f"c/d{i}", n(i))
    assert snapshot(flint.base, "seed").status_code == 200
    return flint


@pytest.fixture
def fresh(seeded):
    """Before each test: back to the seed, in milliseconds."""
    assert snapshot(seeded.base, "seed", ":restore").status_code == 200
    return seeded


@pytest.mark.parametrize("round", range(3))
def test_each_test_starts_from_the_seed(fresh, round):
    assert docs(fresh.base, "seeded") == {f"d{i}": n(i) for i in range(50)}
    delete(fresh.base, "seeded", "c/d0")
    put(fresh.base, "seeded", "c/extra", n(round))
    put(fresh.base, "seeded", "c/d1", n(-1))


# ---------------------------------------------------------------- the endpoints

def test_save_restore_list_and_delete(flint):
    put(flint.base, "snaps", "c/a", n(1))
    saved = snapshot(flint.base, "basic")
    assert saved.status_code == 200
    assert saved.json()["name"] == "basic" and saved.json()["documents"] >= 1
    put(flint.base, "snaps", "c/a", n(2))
    put(flint.base, "snaps", "c/b", n(3))
    assert snapshot(flint.base, "basic", ":restore").status_code == 200
    assert docs(flint.base, "snaps") == {"a": n(1)}
    listed = requests.get(f"{flint.base}/emulator/v1/snapshots", timeout=10).json()["snapshots"]
    assert "basic" in [s["name"] for s in listed]
    assert requests.delete(f"{flint.base}/emulator/v1/snapshots/basic", timeout=10).status_code == 200
    missing = snapshot(flint.base, "basic", ":restore")
    assert missing.status_code == 404 and missing.json()["error"]["status"] == "NOT_FOUND"
    assert requests.delete(f"{flint.base}/emulator/v1/snapshots/basic", timeout=10).status_code == 404
    bad = snapshot(flint.base, "bad$name")
    assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"


def test_commit_times_keep_increasing_across_a_restore(flint):
    put(flint.base, "clock", "c/a", n(1))
    snapshot(flint.base, "clock")
    latest = put(flint.base, "clock", "c/b", n(2))["updateTime"]
    snapshot(flint.base, "clock", ":restore")
    after = put(flint.base, "clock", "c/c", n(3))["updateTime"]
    assert after > latest


def test_a_durable_store_restores_and_keeps_the_restored_state_across_a_restart(tmp_path, target_kind):
    if target_kind != "flint":
        pytest.skip("Flint only")
    data = str(tmp_path / "store.sqlite")
    server = conftest.start_flint(["--no-engine", "--data", data])
    try:
        put(server.base, "durable", "c/a", n(1))
        assert snapshot(server.base, "s").status_code == 200
        put(server.base, "durable", "c/b", n(2))
        assert snapshot(server.base, "s", ":restore").status_code == 200
        assert docs(server.base, "durable") == {"a": n(1)}
        put(server.base, "durable", "c/c", n(3))
    finally:
        server.stop()
    again = conftest.start_flint(["--no-engine", "--data", data])
    try:
        assert docs(again.base, "durable") == {"a": n(1), "c": n(3)}
    finally:
        again.stop()


def test_pending_trigger_events_are_dropped(tmp_path, target_kind):
    if target_kind != "flint":
        pytest.skip("Flint only")
    functions = tmp_path / "functions.json"
    functions.write_text(json.dumps({"functions": [{"name": "f", "eventType": "written", "document": "c/{id}",
                                                    "endpoint": "http://127.0.0.1:9/"}]}))
    server = conftest.start_flint(["--no-engine", "--functions", str(functions)])
    try:
        assert snapshot(server.base, "empty").status_code == 200
        assert requests.post(f"{server.base}/emulator/v1/triggers:pause", timeout=10).status_code == 200
        for i in range(5):
            put(server.base, "triggers", f"c/d{i}", n(i))
        activity = requests.get(f"{server.base}/emulator/v1/triggers", timeout=10).json()["activity"]
        assert activity["pending"] == 5
        assert snapshot(server.base, "empty", ":restore").status_code == 200
        activity = requests.get(f"{server.base}/emulator/v1/triggers", timeout=10).json()["activity"]
        assert activity["pending"] == 0
        r = requests.post(f"{server.base}/emulator/v1/triggers:waitForIdle?timeout=5", timeout=10)
        assert r.status_code == 200
    finally:
        server.stop()


# ---------------------------------------------------------------- listeners and writers

class Snapshots:
    def __init__(self):
        self.cond = threading.Condition()
        self.latest = None

    def __call__(self, documents, changes, read_time):
        with self.cond:
            self.latest = {d.id: d.to_dict() for d in documents}
            self.cond.notify_all()

    def wait_for(self, expected):
        with self.cond:
            assert self.cond.wait_for(lambda: self.latest == expected, WAIT), f"last snapshot: {self.latest}"


def test_listeners_see_a_restore_as_one_change(flint, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", flint.hostport)
    client = firestore.Client(project="listen", credentials=AnonymousCredentials())
    for i in range(3):
        put(flint.base, "listen", f"c/d{i}", n(i))
    assert snapshot(flint.base, "listen").status_code == 200
    query_snaps, doc_snaps, limit_snaps = Snapshots(), Snapshots(), Snapshots()
    watches = [client.collection("c").on_snapshot(query_snaps),
               client.collection("c").order_by("n").limit(2).on_snapshot(limit_snaps)]
    doc_events = []
    watches.append(client.document("c/d0").on_snapshot(lambda d, c, t: doc_events.append(d[0].exists if d else None)))
    try:
        seeded = {f"d{i}": {"n": i} for i in range(3)}
        query_snaps.wait_for(seeded)
        put(flint.base, "listen", "c/d1", n(10))
        delete(flint.base, "listen", "c/d0")
        put(flint.base, "listen", "c/new", n(-5))
        query_snaps.wait_for({"d1": {"n": 10}, "d2": {"n": 2}, "new": {"n": -5}})
        limit_snaps.wait_for({"new": {"n": -5}, "d2": {"n": 2}})
        assert snapshot(flint.base, "listen", ":restore").status_code == 200
        query_snaps.wait_for(seeded)
        limit_snaps.wait_for({"d0": {"n": 0}, "d1": {"n": 1}})
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and (not doc_events or doc_events[-1] is not True):
            time.sleep(0.05)
        assert doc_events[-1] is True
        # Later writes keep flowing to the same listeners.
        put(flint.base, "listen", "c/after", n(7))
        query_snaps.wait_for({**seeded, "after": {"n": 7}})
    finally:
        for w in watches:
            w.unsubscribe()
        client._firestore_api.transport.close()


def test_a_restore_while_writers_run_loses_no_acknowledged_write_after_it(flint):
    put(flint.base, "busy", "c/base", n(0))
    assert snapshot(flint.base, "busy").status_code == 200
    stop = threading.Event()
    errors = []
    acknowledged = []
    lock = threading.Lock()

    def writer(w):
        i = 0
        while not stop.is_set():
            sent = time.monotonic()
            r = requests.patch(f"{flint.base}/v1/projects/busy/databases/(default)/documents/c/w{w}-{i}",
                               json={"fields": n(i)}, timeout=10)
            if r.status_code != 200:
                errors.append(r.text)
            else:
                with lock:
                    acknowledged.append((sent, f"w{w}-{i}"))
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    try:
        for _ in range(10):
            time.sleep(0.05)
            r = snapshot(flint.base, "busy", ":restore")
            assert r.status_code == 200, r.text
        restored_at = time.monotonic()
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert errors == []
    held = docs(flint.base, "busy")
    assert "base" in held
    # Every acknowledged write sent after the last restore returned is kept. (One sent earlier may
    # have committed before that restore, which rightly undid it, even if its answer came later.)
    later = [name for sent, name in acknowledged if sent > restored_at]
    assert later and all(name in held for name in later)


def test_listeners_converge_on_the_store_while_writers_and_restores_run(flint, monkeypatch):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", flint.hostport)
    client = firestore.Client(project="converge", credentials=AnonymousCredentials())
    for i in range(5):
        put(flint.base, "converge", f"c/s{i}", n(i))
    assert snapshot(flint.base, "converge").status_code == 200
    snaps = Snapshots()
    watch = client.collection("c").on_snapshot(snaps)
    stop = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set():
            requests.patch(f"{flint.base}/v1/projects/converge/databases/(default)/documents/c/w{w}-{i % 20}",
                           json={"fields": n(i)}, timeout=10)
            if i % 7 == 0:
                requests.delete(f"{flint.base}/v1/projects/converge/databases/(default)/documents/c/s{i % 5}",
                                timeout=10)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    try:
        snaps.wait_for({f"s{i}": {"n": i} for i in range(5)})
        for t in threads:
            t.start()
        for _ in range(8):
            time.sleep(0.1)
            assert snapshot(flint.base, "converge", ":restore").status_code == 200
        stop.set()
        for t in threads:
            t.join(10)
        held = {k: {"n": int(v["n"]["integerValue"])} for k, v in docs(flint.base, "converge").items()}
        snaps.wait_for(held)
    finally:
        stop.set()
        watch.unsubscribe()
        client._firestore_api.transport.close()

