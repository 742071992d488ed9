"""With --data, every acknowledged write survives kill -9 and a restart."""
import os
import signal
import threading
import time

import pytest
import requests

import conftest


def _commit(base, project, names, i):
    body = {"writes": [{"update": {"name": f"projects/{project}/databases/(default)/documents/{n}",
                                   "fields": {"i": {"integerValue": str(i)}}}} for n in names]}
    return requests.post(f"{base}/v1/projects/{project}/databases/(default)/documents:commit", json=body, timeout=10)


def test_acknowledged_writes_survive_kill_9_and_restart(tmp_path, target_kind):
    if target_kind != "flint":
        pytest.skip("the official emulator has no durable store")
    data = str(tmp_path / "flint.sqlite")
    server = conftest.start_flint(["--data", data])
    acknowledged = []
    lock = threading.Lock()
    stop = threading.Event()

    def writer(w):
        i = 0
        while not stop.is_set() and i < 2000:
            names = [f"w{w}/d{i:05d}", f"w{w}/e{i:05d}"]
            try:
                r = _commit(server.base, "durable", names, i)
            except requests.RequestException:
                return
            if r.status_code == 200:
                with lock:
                    acknowledged.extend(names)
            i += 1

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    # Let writes flow, then kill the process without warning while they are in flight.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if len(acknowledged) >= 400:
                break
        time.sleep(0.005)
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=10)
    stop.set()
    for t in threads:
        t.join(timeout=15)
    assert len(acknowledged) >= 400

    restarted = conftest.start_flint(["--data", data])
    try:
        root = f"{restarted.base}/v1/projects/durable/databases/(default)/documents"
        missing = []
        for start in range(0, len(acknowledged), 300):
            chunk = acknowledged[start:start + 300]
            r = requests.post(root + ":batchGet", timeout=30, json={
                "documents": [f"projects/durable/databases/(default)/documents/{n}" for n in chunk]})
            assert r.status_code == 200, r.text
            missing += [item["missing"] for item in r.json() if "missing" in item]
        assert missing == [], f"{len(missing)} acknowledged documents lost, e.g. {missing[:3]}"
    finally:
        restarted.stop()


def test_data_survives_a_graceful_restart(tmp_path, target_kind):
    if target_kind != "flint":
        pytest.skip("the official emulator has no durable store")
    data = str(tmp_path / "flint.sqlite")
    first = conftest.start_flint(["--data", data])
    r = _commit(first.base, "durable", ["c/kept"], 7)
    assert r.status_code == 200, r.text
    first.stop()
    second = conftest.start_flint(["--data", data])
    try:
        got = requests.get(f"{second.base}/v1/projects/durable/databases/(default)/documents/c/kept", timeout=10)
        assert got.status_code == 200, got.text
        assert got.json()["fields"]["i"] == {"integerValue": "7"}
    finally:
        second.stop()
