"""Many clients at once: queries and single-document reads side by side must all be answered."""
import threading
import time

import pytest
import requests

import conftest


def test_concurrent_queries_and_gets_are_all_answered(target_kind):
    # Queries hold a reader connection while their task waits to run again; a single-document read
    # that blocked its thread waiting for a reader once hung the server for good this way.
    if target_kind != "flint":
        pytest.skip("starts a Flint of its own")
    server = conftest.start_flint(["--no-engine"])
    try:
        root = f"{server.base}/v1/projects/concurrency/databases/(default)/documents"
        owner = {"Authorization": "Bearer owner"}
        writes = [{"update": {"name": f"projects/concurrency/databases/(default)/documents/c/d{i:03d}",
                              "fields": {"n": {"integerValue": str(i)}}}} for i in range(200)]
        r = requests.post(f"{root}:commit", json={"writes": writes}, headers=owner, timeout=30)
        assert r.status_code == 200, r.text
        query = {"structuredQuery": {"from": [{"collectionId": "c"}], "limit": 50, "where": {"fieldFilter": {
            "field": {"fieldPath": "n"}, "op": "GREATER_THAN", "value": {"integerValue": "10"}}}}}
        answered = {"query": 0, "get": 0}
        failures = []
        lock = threading.Lock()
        stop = time.monotonic() + 4

        def client(kind):
            with requests.Session() as s:
                while time.monotonic() < stop and not failures:
                    try:
                        if kind == "query":
                            r = s.post(f"{root}:runQuery", json=query, headers=owner, timeout=20)
                            ok = r.status_code == 200 and len(r.json()) == 50
                        else:
                            r = s.get(f"{root}/c/d005", headers=owner, timeout=20)
                            ok = r.status_code == 200 and r.json()["fields"]["n"] == {"integerValue": "5"}
                    except requests.RequestException as e:
                        failures.append(f"{kind}: {type(e).__name__}: {e}")
                        return
                    with lock:
                        if ok:
                            answered[kind] += 1
                        else:
                            failures.append(f"{kind}: {r.status_code} {r.text[:200]}")

        threads = [threading.Thread(target=client, args=(kind,)) for kind in ("query", "get") for _ in range(24)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not failures, failures[:3]
        assert answered["query"] > 0 and answered["get"] > 0, answered
    finally:
        conftest._stop_process(server.proc)
