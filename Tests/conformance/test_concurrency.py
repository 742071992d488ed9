"""Many clients at once: every kind of request side by side must all be answered."""
import random
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

        def run_query(s):
            r = s.post(f"{root}:runQuery", json=query, headers=owner, timeout=20)
            return r, r.status_code == 200 and len(r.json()) == 50

        def get(s):
            r = s.get(f"{root}/c/d005", headers=owner, timeout=20)
            return r, r.status_code == 200 and r.json()["fields"]["n"] == {"integerValue": "5"}

        answered = _hammer({"query": (run_query, 40), "get": (get, 8)}, seconds=6)
        assert all(answered.values()), answered
    finally:
        conftest._stop_process(server.proc)


def test_a_mix_of_every_kind_of_request_is_all_answered(target_kind):
    if target_kind != "flint":
        pytest.skip("starts a Flint of its own")
    server = conftest.start_flint(["--no-engine"])
    try:
        db = "projects/mix/databases/(default)"
        root = f"{server.base}/v1/{db}/documents"
        owner = {"Authorization": "Bearer owner"}
        name = lambda i: f"{db}/documents/c/d{i:03d}"  # noqa: E731
        writes = [{"update": {"name": name(i), "fields": {"n": {"integerValue": str(i)}}}} for i in range(100)]
        assert requests.post(f"{root}:commit", json={"writes": writes}, headers=owner, timeout=30).status_code == 200

        def ok(r):
            return r, r.status_code == 200

        def write(s):
            i = random.randrange(100)
            return ok(s.patch(f"{root}/c/d{i:03d}", json={"fields": {"n": {"integerValue": str(i)}}},
                              headers=owner, timeout=20))

        def transaction(s):
            r = s.post(f"{root}:beginTransaction", json={}, headers=owner, timeout=20)
            if r.status_code != 200:
                return r, False
            tx, doc = r.json()["transaction"], name(random.randrange(100))
            r = s.post(f"{root}:batchGet", json={"documents": [doc], "transaction": tx}, headers=owner, timeout=20)
            if r.status_code != 200:
                return r, False
            n = next(x["found"]["fields"]["n"] for x in r.json() if "found" in x)
            return ok(s.post(f"{root}:commit", json={"transaction": tx, "writes": [
                {"update": {"name": doc, "fields": {"n": n}}}]}, headers=owner, timeout=20))

        kinds = {
            "write": (write, 6),
            "transaction": (transaction, 6),
            "get": (lambda s: ok(s.get(f"{root}/c/d{random.randrange(100):03d}", headers=owner, timeout=20)), 6),
            "batchGet": (lambda s: ok(s.post(f"{root}:batchGet", json={"documents": [
                name(random.randrange(100)) for _ in range(5)]}, headers=owner, timeout=20)), 6),
            "list": (lambda s: ok(s.get(f"{root}/c", params={"pageSize": "50"}, headers=owner, timeout=20)), 6),
            "query": (lambda s: ok(s.post(f"{root}:runQuery", json={"structuredQuery": {
                "from": [{"collectionId": "c"}], "orderBy": [{"field": {"fieldPath": "n"}}], "limit": 20}},
                headers=owner, timeout=20)), 6),
            "count": (lambda s: ok(s.post(f"{root}:runAggregationQuery", json={"structuredAggregationQuery": {
                "structuredQuery": {"from": [{"collectionId": "c"}]}, "aggregations": [{"alias": "n", "count": {}}]}},
                headers=owner, timeout=20)), 6),
        }
        answered = _hammer(kinds)
        assert all(answered.values()), answered
    finally:
        conftest._stop_process(server.proc)


def _hammer(kinds, seconds=4):
    """Runs `count` clients of each kind (name → (request, count)) for `seconds`, each on its own
    keep-alive session, one request at a time; fails on the first error or wrong answer, and
    returns how many of each kind were answered."""
    answered = {kind: 0 for kind in kinds}
    failures = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(kind, request):
        with requests.Session() as s:
            while time.monotonic() < stop and not failures:
                try:
                    r, good = request(s)
                except requests.RequestException as e:
                    failures.append(f"{kind}: {type(e).__name__}: {e}")
                    return
                with lock:
                    if good:
                        answered[kind] += 1
                    else:
                        failures.append(f"{kind}: {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=client, args=(kind, request))
               for kind, (request, count) in kinds.items() for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not failures, failures[:3]
    return answered
