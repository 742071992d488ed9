"""Triggers over the wire: real firebase-functions / functions-framework functions, the
firebase-tools registration API, delivery modes, and delivery after kill -9."""
import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

import conftest



@pytest.fixture(autouse=True)
def _flint_target(target_kind):
    if target_kind != "flint":
        pytest.skip("these tests start Flint processes of their own")

HERE = os.path.dirname(os.path.abspath(__file__))
FUNCTIONS = os.path.join(HERE, "functions")
BIN = os.path.dirname(sys.executable)


def wait_port(port, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"functions-framework exited: {proc.stdout.read().decode(errors='replace')}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


def start_function(source, target, signature, port, env):
    proc = subprocess.Popen(
        [os.path.join(BIN, "functions-framework"), "--source", os.path.join(FUNCTIONS, source),
         "--target", target, "--signature-type", signature, "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    return proc


class Receiver:
    """Records every POST (path, headers, body); answers 200, or `status` if set, after `delay`
    seconds; `answered` lists the documents (ce-document) of the requests it answered."""

    def __init__(self):
        self.records = []
        self.answered = []
        self.lock = threading.Lock()
        self.status = 200
        self.delay = 0.0
        rx = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with rx.lock:
                    rx.records.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    status, delay = rx.status, rx.delay
                time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")
                with rx.lock:
                    rx.answered.append(self.headers.get("ce-document"))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def snapshot(self):
        with self.lock:
            return list(self.records)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def idle(base, timeout=20):
    r = requests.post(f"{base}/emulator/v1/triggers:waitForIdle", params={"timeout": timeout}, timeout=timeout + 5)
    assert r.status_code == 200, r.text
    return r.json()


def doc_url(base, project, path):
    return f"{base}/v1/projects/{project}/databases/(default)/documents/{path}"


def put(base, project, path, fields):
    r = requests.patch(doc_url(base, project, path), json={"fields": fields}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def functions_file(tmp_path, entries):
    path = tmp_path / "functions.json"
    path.write_text(json.dumps({"functions": entries}))
    return str(path)


@pytest.fixture
def receiver():
    rx = Receiver()
    yield rx
    rx.stop()


# --------------------------------------------------------------------------- real functions

def test_firebase_functions_under_functions_framework_receive_every_kind(tmp_path):
    project = "fnproj"
    ports = {name: conftest.free_port() for name in ("created", "updated", "deleted", "written", "legacy")}
    entries = [{"name": k, "eventType": k, "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{ports[k]}/"} for k in ("created", "updated", "deleted", "written")]
    entries.append({"name": "legacy", "eventType": "write", "document": "orders/{orderId}",
                    "endpoint": f"http://127.0.0.1:{ports['legacy']}/"})
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), *_engine_off()])
    env = dict(os.environ, FIRESTORE_EMULATOR_HOST=f"127.0.0.1:{flint.port}", GCLOUD_PROJECT=project)
    procs = [start_function("gen2.py", k, "cloudevent", ports[k], env) for k in ("created", "updated", "deleted", "written")]
    procs.append(start_function("gen1.py", "legacy", "event", ports["legacy"], env))
    try:
        for k, p in zip(("created", "updated", "deleted", "written", "legacy"), procs):
            wait_port(ports[k], p)
        base = flint.base
        put(base, project, "orders/o1", {"total": {"integerValue": "10"}, "items": {"arrayValue": {"values": [
            {"mapValue": {"fields": {"productId": {"stringValue": "P1"}}}}]}}})
        put(base, project, "orders/o1", {"total": {"integerValue": "12"}, "items": {"arrayValue": {"values": [
            {"mapValue": {"fields": {"productId": {"stringValue": "P1"}}}}]}}})
        requests.delete(doc_url(base, project, "orders/o1"), timeout=10).raise_for_status()
        idle(base)
        runs = requests.get(f"{base}/emulator/v1/triggers/runs", timeout=10).json()["runs"]
        assert [r for r in runs if r["status"] != "succeeded"] == []
        assert len(runs) == 1 + 1 + 1 + 3 + 3
        q = {"structuredQuery": {"from": [{"collectionId": "captures"}]}}
        rows = requests.post(f"{base}/v1/projects/{project}/databases/(default)/documents:runQuery", json=q,
                             timeout=10).json()
        caps = [{k: _plain(v) for k, v in row["document"]["fields"].items()} for row in rows if "document" in row]
        by_kind = {}
        for c in caps:
            by_kind.setdefault(c["kind"], []).append(c)
        assert sorted((k, len(v)) for k, v in by_kind.items()) == [
            ("created", 1), ("deleted", 1), ("legacy", 3), ("updated", 1), ("written", 3)]
        created = by_kind["created"][0]
        assert created["params"] == {"orderId": "o1"}
        assert created["type"] == "google.cloud.firestore.document.v1.created"
        assert created["document"] == "orders/o1"
        assert created["after"]["data"] == {"total": 10, "items": [{"productId": "P1"}]}
        assert created["after"]["createTime"] == created["after"]["updateTime"]
        updated = by_kind["updated"][0]
        assert updated["before"]["data"]["total"] == 10 and updated["after"]["data"]["total"] == 12
        assert updated["after"]["createTime"] == created["after"]["createTime"]
        assert updated["time"] == updated["after"]["updateTime"]
        deleted = by_kind["deleted"][0]
        assert deleted["before"]["data"]["total"] == 12 and deleted["after"] is None
        written = sorted(by_kind["written"], key=lambda c: c["time"])
        assert [(w["before"] is None, w["after"] is None) for w in written] == [(True, False), (False, False), (False, True)]
        legacy = sorted(by_kind["legacy"], key=lambda c: c["timestamp"])
        datas = [json.loads(c["data"]) for c in legacy]
        assert [("value" in d, "oldValue" in d) for d in datas] == [(True, False), (True, True), (False, True)]
        assert datas[1]["updateMask"] == {"fieldPaths": ["total"]}
        assert datas[0]["value"]["fields"]["total"] == {"integerValue": "10"}
        assert json.loads(legacy[0]["resource"]) == {
            "name": f"projects/{project}/databases/(default)/documents/orders/o1", "service": "firestore.googleapis.com"}
        assert all(c["type"] == "providers/cloud.firestore/eventTypes/document.write" for c in legacy)
        assert all(c["timestamp"].endswith("Z") for c in legacy)
    finally:
        for p in procs:
            conftest._stop_process(p)
        flint.stop()


def _has_engine_flag():
    out = subprocess.run([_flint_bin(), "start", "--help"], capture_output=True, text=True).stdout
    return "--no-engine" in out


def _flint_bin():
    b = os.environ.get("FLINT_BIN") or os.path.join(conftest.REPO_ROOT, ".build", "debug", "flint")
    return b if os.path.isabs(b) else os.path.join(conftest.REPO_ROOT, b)


def _plain(v):
    """A Firestore REST value as plain Python."""
    if "mapValue" in v:
        return {k: _plain(x) for k, x in v["mapValue"].get("fields", {}).items()}
    if "arrayValue" in v:
        return [_plain(x) for x in v["arrayValue"].get("values", [])]
    if "integerValue" in v:
        return int(v["integerValue"])
    if "nullValue" in v:
        return None
    for k in ("stringValue", "booleanValue", "doubleValue", "timestampValue"):
        if k in v:
            return v[k]
    return v


def _engine_off():
    return ["--no-engine"] if _has_engine_flag() else []


# --------------------------------------------------------------------------- firebase-tools API

def _register_both(base, project):
    r1 = requests.put(f"{base}/emulator/v1/projects/{project}/triggers/us-central1-g1", timeout=10, json={
        "eventTrigger": {"resource": f"projects/{project}/databases/(default)/documents/orders/{{orderId}}",
                         "eventType": "providers/cloud.firestore/eventTypes/document.write",
                         "service": "firestore.googleapis.com"}})
    body2 = {"eventType": "google.cloud.firestore.document.v1.written", "database": "(default)",
             "namespace": "(default)", "document": {"value": "orders/{orderId}", "matchType": "PATH_PATTERN"}}
    r2 = requests.post(f"{base}/emulator/v1/projects/{project}/eventarcTrigger",
                       params={"eventarcTriggerId": "us-central1-g2"}, json=body2, timeout=10)
    return r1, r2, body2


def _decode_event_data(raw):
    from google.events.cloud.firestore_v1.types import DocumentEventData  # shipped with firebase-functions
    return DocumentEventData.deserialize(raw)


def test_firebase_tools_registration_delivers_as_the_functions_emulator_expects(receiver):
    flint = conftest.start_flint(["--functions-emulator", f"127.0.0.1:{receiver.port}", *_engine_off()])
    try:
        project = "tools"
        r1, r2, body2 = _register_both(flint.base, project)
        assert r1.status_code == 200 and r1.json() == {}
        assert r2.status_code == 200 and r2.json() == body2
        put(flint.base, project, "orders/o1", {"n": {"integerValue": "1"}})
        idle(flint.base)
        recs = {r["path"]: r for r in receiver.snapshot()}
        assert set(recs) == {f"/functions/projects/{project}/triggers/us-central1-g1",
                             f"/functions/projects/{project}/triggers/us-central1-g2"}
        g1 = recs[f"/functions/projects/{project}/triggers/us-central1-g1"]
        envelope = json.loads(g1["body"])
        assert envelope["context"]["eventType"] == "providers/cloud.firestore/eventTypes/document.write"
        assert envelope["data"]["value"]["fields"] == {"n": {"integerValue": "1"}}
        g2 = recs[f"/functions/projects/{project}/triggers/us-central1-g2"]
        h = {k.lower(): v for k, v in g2["headers"].items()}
        assert h["ce-type"] == "google.cloud.firestore.document.v1.written"
        assert h["ce-source"] == f"//firestore.googleapis.com/projects/{project}/databases/(default)"
        assert h["ce-subject"] == "documents/orders/o1" and h["ce-document"] == "orders/o1"
        assert h["ce-time"].endswith("Z") and h["content-type"] == "application/protobuf"
        data = _decode_event_data(base64.b64decode(g2["body"]))
        assert data.value.name == f"projects/{project}/databases/(default)/documents/orders/o1"
        assert data.value.fields["n"].integer_value == 1
        # Unregistering stops delivery.
        assert requests.delete(f"{flint.base}/emulator/v1/projects/{project}/triggers/us-central1-g1",
                               timeout=10).status_code == 200
        put(flint.base, project, "orders/o2", {"n": {"integerValue": "2"}})
        idle(flint.base)
        assert len(receiver.snapshot()) == 3
    finally:
        flint.stop()


def test_registration_without_a_functions_emulator_is_a_clear_error():
    flint = conftest.start_flint(_engine_off())
    try:
        r1, _, _ = _register_both(flint.base, "p")
        assert r1.status_code == 400
        assert r1.json()["error"]["status"] == "FAILED_PRECONDITION"
        assert "--functions-emulator" in r1.json()["error"]["message"]
        bad = requests.put(f"{flint.base}/emulator/v1/projects/p/triggers/k", json={"eventTrigger": {
            "resource": "projects/p/databases/(default)/documents/orders", "eventType": "x"}}, timeout=10)
        assert bad.status_code == 400 and bad.json()["error"]["status"] == "INVALID_ARGUMENT"
    finally:
        flint.stop()


def test_direct_cloudevent_has_production_form(tmp_path, receiver):
    entries = [{"name": "w", "eventType": "updated", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/fn"}]
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), *_engine_off()])
    try:
        put(flint.base, "direct", "orders/o1", {"a": {"integerValue": "1"}, "b": {"integerValue": "1"}})
        after = put(flint.base, "direct", "orders/o1", {"a": {"integerValue": "2"}, "b": {"integerValue": "1"}})
        idle(flint.base)
        [rec] = receiver.snapshot()
        h = {k.lower(): v for k, v in rec["headers"].items()}
        for name in ("ce-specversion", "ce-id", "ce-source", "ce-type", "ce-subject", "ce-time", "ce-project",
                     "ce-database", "ce-namespace", "ce-document", "ce-location"):
            assert name in h, name
        assert h["ce-time"] == after["updateTime"]
        data = _decode_event_data(rec["body"])
        assert list(data.update_mask.field_paths) == ["a"]
        assert data.old_value.fields["a"].integer_value == 1 and data.value.fields["a"].integer_value == 2
    finally:
        flint.stop()


def _mock_token(uid):
    def part(obj):
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")
    return part({"alg": "none", "typ": "JWT"}) + "." + part({"sub": uid, "user_id": uid}) + "."


def test_with_auth_context_events_say_who_wrote(tmp_path, receiver):
    entries = [
        {"name": "auth", "eventType": "google.cloud.firestore.document.v1.created.withAuthContext",
         "document": "notes/{id}", "endpoint": f"http://127.0.0.1:{receiver.port}/auth"},
        {"name": "plain", "eventType": "created", "document": "notes/{id}",
         "endpoint": f"http://127.0.0.1:{receiver.port}/plain"},
    ]
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), *_engine_off()])
    try:
        writers = {"admin": {"Authorization": "Bearer owner"}, "nobody": {},
                   "alice": {"Authorization": "Bearer " + _mock_token("alice")}}
        for who, headers in writers.items():
            r = requests.patch(doc_url(flint.base, "auth", f"notes/{who}"), json={"fields": {}}, headers=headers,
                               timeout=10)
            assert r.status_code == 200, r.text
        idle(flint.base)
        seen = {}
        for rec in receiver.snapshot():
            h = {k.lower(): v for k, v in rec["headers"].items()}
            seen[(rec["path"], h["ce-document"])] = (h.get("ce-authtype"), h.get("ce-authid"))
        assert seen[("/auth", "notes/admin")] == ("admin", None)
        assert seen[("/auth", "notes/nobody")] == ("unauthenticated", None)
        assert seen[("/auth", "notes/alice")] == ("app_user", "alice")
        assert all(v == (None, None) for (path, _), v in seen.items() if path == "/plain")
        assert len(seen) == 6
    finally:
        flint.stop()


# --------------------------------------------------------------------------- guarantees

def test_retries_with_backoff_until_the_function_answers(tmp_path, receiver):
    entries = [{"name": "r", "eventType": "created", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/", "retry": True}]
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), "--trigger-retry-base", "0.02",
                                  "--trigger-retry-cap", "0.05", *_engine_off()])
    try:
        receiver.status = 500
        put(flint.base, "retry", "orders/o1", {})
        deadline = time.monotonic() + 10
        while len(receiver.snapshot()) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        receiver.status = 200
        idle(flint.base)
        recs = receiver.snapshot()
        assert len(recs) >= 4
        assert len({r["headers"]["ce-id"] for r in recs}) == 1
        runs = requests.get(f"{flint.base}/emulator/v1/triggers/runs", timeout=10).json()["runs"]
        assert runs[0]["status"] == "succeeded" and runs[0]["attempts"] == len(recs)
        assert all(r["status"] == "retrying" and "HTTP 500" in r["error"] for r in runs[1:])
    finally:
        flint.stop()


def test_kill_9_with_events_pending_then_restart_delivers_every_event(tmp_path, receiver):
    entries = [{"name": "c", "eventType": "created", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/"}]
    config = functions_file(tmp_path, entries)
    data = str(tmp_path / "flint.sqlite")
    flint = conftest.start_flint(["--data", data, "--functions", config, *_engine_off()])
    requests.post(f"{flint.base}/emulator/v1/triggers:pause", timeout=10).raise_for_status()
    for i in range(50):
        put(flint.base, "crash", f"orders/o{i:02d}", {"i": {"integerValue": str(i)}})
    assert receiver.snapshot() == []
    os.killpg(flint.proc.pid, signal.SIGKILL)
    flint.proc.wait(10)
    flint = conftest.start_flint(["--data", data, "--functions", config, *_engine_off()])
    try:
        idle(flint.base)
        docs = sorted(r["headers"]["ce-document"] for r in receiver.snapshot())
        assert docs == [f"orders/o{i:02d}" for i in range(50)]
    finally:
        flint.stop()


def _write_orders_concurrently(base, project, count):
    threads = [threading.Thread(target=put, args=(base, project, f"orders/o{i:02d}", {})) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def test_sigterm_delivers_every_event_in_flight_before_exiting(tmp_path, receiver):
    entries = [{"name": "slow", "eventType": "created", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/"}]
    receiver.delay = 0.3
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), *_engine_off()])
    try:
        _write_orders_concurrently(flint.base, "drain", 50)
        deadline = time.monotonic() + 10
        while not receiver.snapshot() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(receiver.answered) < 50, "the deliveries must still be in flight when SIGTERM arrives"
        os.killpg(flint.proc.pid, signal.SIGTERM)
        assert flint.proc.wait(30) == 0
        assert sorted(receiver.answered) == [f"orders/o{i:02d}" for i in range(50)]
    finally:
        flint.stop()


def test_sigterm_past_the_grace_leaves_the_rest_in_the_outbox_for_the_next_start(tmp_path, receiver):
    entries = [{"name": "slow", "eventType": "created", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/"}]
    config = functions_file(tmp_path, entries)
    data = str(tmp_path / "flint.sqlite")
    receiver.delay = 2.0
    flint = conftest.start_flint(["--data", data, "--functions", config, "--shutdown-grace", "0.3", *_engine_off()])
    _write_orders_concurrently(flint.base, "grace", 50)
    os.killpg(flint.proc.pid, signal.SIGTERM)
    assert flint.proc.wait(30) == 0
    before_restart = set(receiver.answered)
    assert len(before_restart) < 50
    receiver.delay = 0.0
    flint = conftest.start_flint(["--data", data, "--functions", config, *_engine_off()])
    try:
        idle(flint.base)
        assert before_restart | set(receiver.answered) == {f"orders/o{i:02d}" for i in range(50)}
    finally:
        flint.stop()


@pytest.mark.parametrize("mode", ["duplicate", "shuffle"])
def test_delivery_modes(tmp_path, receiver, mode):
    entries = [{"name": "w", "eventType": "written", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/"}]
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), "--trigger-mode", mode,
                                  "--trigger-concurrency", "1", *_engine_off()])
    try:
        for i in range(30):
            put(flint.base, "modes", "orders/same", {"i": {"integerValue": str(i)}})
        idle(flint.base)
        recs = receiver.snapshot()
        ids = [r["headers"]["ce-id"] for r in recs]
        if mode == "duplicate":
            assert len(ids) == 60 and all(ids.count(i) == 2 for i in set(ids))
        else:
            assert len(ids) == 30 == len(set(ids))
            order = [_decode_event_data(r["body"]).value.fields["i"].integer_value for r in recs]
            assert sorted(order) == list(range(30)) and order != list(range(30))
    finally:
        flint.stop()


def test_wait_for_idle_times_out_clearly_while_paused(tmp_path, receiver):
    entries = [{"name": "w", "eventType": "written", "document": "orders/{orderId}",
                "endpoint": f"http://127.0.0.1:{receiver.port}/"}]
    flint = conftest.start_flint(["--functions", functions_file(tmp_path, entries), *_engine_off()])
    try:
        requests.post(f"{flint.base}/emulator/v1/triggers:pause", timeout=10).raise_for_status()
        put(flint.base, "pause", "orders/o1", {})
        r = requests.post(f"{flint.base}/emulator/v1/triggers:waitForIdle", params={"timeout": "0.2"}, timeout=10)
        assert r.status_code == 504 and r.json()["error"]["status"] == "DEADLINE_EXCEEDED"
        assert "1 event(s) pending" in r.json()["error"]["message"] and "paused" in r.json()["error"]["message"]
        bad = requests.post(f"{flint.base}/emulator/v1/triggers:waitForIdle", params={"timeout": "soon"}, timeout=10)
        assert bad.status_code == 400 and "timeout" in bad.json()["error"]["message"]
        requests.post(f"{flint.base}/emulator/v1/triggers:resume", timeout=10).raise_for_status()
        assert idle(flint.base)["pending"] == 0
        assert len(receiver.snapshot()) == 1
    finally:
        flint.stop()


def test_a_bad_functions_file_stops_start_with_a_message(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"functions": [{"name": "x", "eventType": "written", "document": "orders"}]}))
    out = subprocess.run([_flint_bin(), "start", "--port", "0", "--functions", str(path)], capture_output=True,
                         text=True, timeout=20)
    assert out.returncode != 0
    assert "function 1 (\"x\")" in out.stderr or "lacks \"endpoint\"" in out.stderr, out.stderr
