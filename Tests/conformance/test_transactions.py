"""Transactions: concurrency under real contention (raw REST, the high-level client over REST
with its own retry loop, the real gRPC client), snapshot consistency of read-only and readTime
reads, the classic interleavings (lost update, disjoint writes, phantoms, blind writes, lock
queues, deadlocks), the inline ``newTransaction`` framing, every transaction error (raw REST and
the GAPIC REST client) and expiry.

Flint (README "Transactions"): a document read in a read-write transaction is locked for it until
it commits, rolls back or expires; another transaction reading it waits in line (at most 0.5 s,
then ``409 ABORTED``), a wait that would close a cycle is refused at once with ``409 ABORTED "Too
much contention on these documents. Please try again."``; queries take no locks, and the commit
checks that every document read and every query result is still current (phantoms,
non-transactional writes) or answers ABORTED.  The official emulator takes shared read locks that
writers must upgrade: a conflicting write stalls ~2 s and then gets ``409 ABORTED "Transaction
lock timeout."`` (semantics reference), so those expectations are ``flint_only``; contention loops
are skipped there (they take minutes)."""

import json
import random
import threading
import time

import pytest
from google.api_core import exceptions as gexc

import conftest
from conftest import assert_error, int_value

pytestmark = pytest.mark.transactions

CONTENTION = "Too much contention on these documents. Please try again."
INVALID_TXN = "Invalid transaction."
CLOSED_TXN = "Transaction is invalid or closed."
READ_ONLY_WRITE = "Cannot modify entities in a read-only transaction."
READ_TIME_TOO_OLD = "The requested 'read_time' is too old."
UNKNOWN_TXN = "bm90LWEtdHJhbnNhY3Rpb24="        # base64 of b"not-a-transaction"
LOCK_WAIT = 0.5                                  # Flint's longest wait for a read lock

CONFLICTS = ("conflicts are answered with 409 ABORTED 'Too much contention…' within 0.5 s and a changed read "
             "aborts the commit (the official emulator stalls ~2 s on its locks and aborts the other side "
             "with 'Transaction lock timeout.')")
LOCK_QUEUE = ("a read-write transaction's read locks the document exclusively: a second transaction's read "
              "waits in line (the official emulator's read locks are shared)")


# --------------------------------------------------------------------------- helpers

def _begin(api, options=None, session=None):
    r = (session or api.session).post(api.url(":beginTransaction"), json={"options": options} if options else {},
                                      timeout=conftest.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"transaction"} and isinstance(body["transaction"], str) and body["transaction"], body
    return body["transaction"]


def _upd(api, path, **fields):
    return {"update": {"name": api.name(path), "fields": {k: int_value(v) for k, v in fields.items()}}}


def _commit(api, tx, writes=(), **kw):
    body = {"transaction": tx}
    if writes:
        body["writes"] = list(writes)
    return api.post(":commit", body, **kw)


def _tx_get(api, path, tx):
    """One document read in the transaction via :batchGet (the only transactional read the
    official emulator answers); returns the `found` document or None."""
    r = api.post(":batchGet", {"documents": [api.name(path)], "transaction": tx})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)
    assert len(out) == 1, out
    return out[0].get("found")


def _query_v_gt(threshold, collection="q"):
    return {"from": [{"collectionId": collection}],
            "where": {"fieldFilter": {"field": {"fieldPath": "v"}, "op": "GREATER_THAN",
                                      "value": int_value(threshold)}},
            "orderBy": [{"field": {"fieldPath": "v"}}]}


def _run_query(api, sq, **consistency):
    r = api.post(":runQuery", dict({"structuredQuery": sq}, **consistency))
    assert r.status_code == 200, r.text
    return json.loads(r.text)


def _docs(stream):
    return [(e["document"]["name"].rsplit("/", 1)[1], e["document"].get("fields", {})) for e in stream
            if "document" in e]


def _count(api, collection, **consistency):
    r = api.post(":runAggregationQuery", dict({"structuredAggregationQuery": {
        "structuredQuery": {"from": [{"collectionId": collection}]},
        "aggregations": [{"alias": "n", "count": {}}]}}, **consistency))
    assert r.status_code == 200, r.text
    results = [e["result"] for e in json.loads(r.text) if "result" in e]
    assert len(results) == 1, r.text
    return int(results[0]["aggregateFields"]["n"]["integerValue"])


def _run_threads(n, target):
    errors = []

    def wrap(i):
        try:
            target(i)
        except BaseException as e:          # noqa: B902 - reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i,), name=f"tx-worker-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "worker threads did not finish"
    if errors:
        raise errors[0]


# --------------------------------------------------------------------------- 1. raw REST contention

def _rest_increment_loop(api, threads, per_thread, read_with_query=lambda i: False, max_attempts=200):
    """`threads` workers each commit `per_thread` read-modify-write increments of counters/c in
    REST transactions: beginTransaction (retryTransaction after an abort) -> read (:batchGet, or
    :runQuery when read_with_query(worker)) -> commit.  A 409 ABORTED on the read (lock wait
    refused) is followed by a rollback, one on the commit closes the transaction; then a small
    random backoff and a retry.  Returns (values read by the successful commits, number of aborts,
    latencies of the ABORTED answers)."""
    import requests
    counter = api.name("counters/c")
    api.put_doc("counters/c", {"n": int_value(0)})
    query = {"structuredQuery": {"from": [{"collectionId": "counters"}],
                                 "where": {"fieldFilter": {"field": {"fieldPath": "n"}, "op": "GREATER_THAN_OR_EQUAL",
                                                           "value": int_value(0)}}}}
    lock = threading.Lock()
    read_values, latencies = [], []
    stats = {"aborts": 0}

    def read(sess, i, tx):
        if read_with_query(i):
            r = sess.post(api.url(":runQuery"), json=dict(query, transaction=tx), timeout=conftest.HTTP_TIMEOUT)
            assert r.status_code == 200, r.text
            docs = [e["document"] for e in json.loads(r.text) if "document" in e]
        else:
            r = sess.post(api.url(":batchGet"), json={"documents": [counter], "transaction": tx},
                          timeout=conftest.HTTP_TIMEOUT)
            if r.status_code == 409:
                return r
            assert r.status_code == 200, r.text
            docs = [e["found"] for e in json.loads(r.text)]
        assert len(docs) == 1 and docs[0]["name"] == counter, r.text
        return int(docs[0]["fields"]["n"]["integerValue"])

    def worker(i):
        sess = requests.Session()
        rng = random.Random(i)
        for _ in range(per_thread):
            previous = None
            for attempt in range(max_attempts):
                opts = {"readWrite": {"retryTransaction": previous}} if previous else {"readWrite": {}}
                tx = _begin(api, opts, session=sess)
                started = time.monotonic()
                value = read(sess, i, tx)
                if isinstance(value, int):
                    time.sleep(rng.uniform(0, 0.002))              # widen the read-commit window
                    started = time.monotonic()
                    r = sess.post(api.url(":commit"), timeout=conftest.HTTP_TIMEOUT, json={
                        "transaction": tx, "writes": [{"update": {"name": counter, "fields": {"n": int_value(value + 1)}}}]})
                    if r.status_code == 200:
                        assert len(r.json()["writeResults"]) == 1, r.text
                        with lock:
                            read_values.append(value)
                        break
                    assert_error(r, 409, "ABORTED", message=CONTENTION)
                else:                                               # the read was refused: release the transaction
                    assert_error(value, 409, "ABORTED", message=CONTENTION)
                    r = sess.post(api.url(":rollback"), json={"transaction": tx}, timeout=conftest.HTTP_TIMEOUT)
                    assert r.status_code == 200, r.text
                with lock:
                    stats["aborts"] += 1
                    latencies.append(time.monotonic() - started)
                previous = tx
                time.sleep(rng.uniform(0, 0.003) * min(attempt + 1, 5))
            else:
                pytest.fail(f"increment not committed after {max_attempts} attempts")
        sess.close()

    _run_threads(threads, worker)
    return read_values, stats["aborts"], latencies


@pytest.mark.flint_only(reason=CONFLICTS, hangs=True)
def test_rest_concurrent_increments_lose_no_update(api):
    """8 x 25 increments of one counter read through :batchGet (read locks: the transactions queue)."""
    threads, per_thread = 8, 25
    read_values, aborts, latencies = _rest_increment_loop(api, threads, per_thread)
    total = threads * per_thread
    assert api.get_doc("counters/c")["fields"] == {"n": int_value(total)}
    # every successful commit read a distinct value: no two transactions built on the same state
    assert sorted(read_values) == list(range(total))
    assert all(t < LOCK_WAIT + 0.5 for t in latencies), f"an ABORTED took {max(latencies):.2f} s"


@pytest.mark.flint_only(reason=CONFLICTS, hangs=True)
def test_rest_concurrent_increments_with_query_reads_abort_and_retry(api):
    """The same counter, half the workers reading it through :runQuery (no lock; the result is
    validated at commit): commits are aborted and retried, and still no update is lost."""
    threads, per_thread = 8, 25
    read_values, aborts, latencies = _rest_increment_loop(api, threads, per_thread,
                                                          read_with_query=lambda i: i % 2 == 1)
    total = threads * per_thread
    assert api.get_doc("counters/c")["fields"] == {"n": int_value(total)}
    assert sorted(read_values) == list(range(total))
    assert aborts > 0, "no transaction was ever aborted: the test exercised no conflict"
    assert all(t < LOCK_WAIT + 0.5 for t in latencies), f"an ABORTED took {max(latencies):.2f} s"


# --------------------------------------------------------------------------- 2. client libraries

@pytest.mark.flint_only(reason=CONFLICTS, hangs=True)
def test_highlevel_rest_transactional_increments_exact(db):
    """Over REST a 409 ABORTED surfaces as Conflict (from a read or the commit), which
    @transactional does not retry: our own loop retries the whole transaction."""
    from google.cloud import firestore
    threads, per_thread = 8, 25
    ref = db.document("counters/hl")
    ref.set({"n": 0})
    lock = threading.Lock()
    stats = {"conflicts": 0}
    seen = []

    @firestore.transactional
    def increment(transaction):
        n = ref.get(transaction=transaction).get("n")
        transaction.update(ref, {"n": n + 1})
        return n

    def worker(i):
        rng = random.Random(100 + i)
        for _ in range(per_thread):
            for attempt in range(200):
                try:
                    n = increment(db.transaction())
                except gexc.Conflict as e:
                    assert CONTENTION in str(e), str(e)
                    with lock:
                        stats["conflicts"] += 1
                    time.sleep(rng.uniform(0, 0.003) * min(attempt + 1, 5))
                    continue
                with lock:
                    seen.append(n)
                break
            else:
                pytest.fail("increment not committed after 200 attempts")

    _run_threads(threads, worker)
    assert ref.get().to_dict() == {"n": threads * per_thread}
    assert sorted(seen) == list(range(threads * per_thread))


def _grpc_clients(server, project, monkeypatch, n):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", server.hostport)
    return [firestore.Client(project=project, credentials=AnonymousCredentials()) for _ in range(n)]


def test_grpc_client_transactional_retries_aborted_itself(server, project, monkeypatch, target_kind):
    """The real gRPC client (FIRESTORE_EMULATOR_HOST, same port) retries an ABORTED commit on its
    own with retryTransaction.  Half the workers read the counter with a query (validated at
    commit) so that commits do get aborted."""
    if target_kind == "official":
        pytest.skip("passes on the official emulator but takes ~80 s there (2 s lock timeouts per conflict)")
    from google.cloud import firestore
    from google.cloud.firestore_v1.base_query import FieldFilter
    threads, per_thread = 4, 10
    clients = _grpc_clients(server, project, monkeypatch, threads)
    try:
        clients[0].document("counters/g").set({"n": 0})
        lock = threading.Lock()
        calls = {"n": 0}
        seen = []

        def worker(i):
            client = clients[i]
            ref = client.document("counters/g")
            query = client.collection("counters").where(filter=FieldFilter("n", ">=", 0))

            @firestore.transactional
            def increment(transaction):
                with lock:
                    calls["n"] += 1
                if i % 2:
                    snaps = list(transaction.get(query))
                    assert [s.id for s in snaps] == ["g"]
                    n = snaps[0].get("n")
                else:
                    n = ref.get(transaction=transaction).get("n")
                transaction.update(ref, {"n": n + 1})
                return n

            for _ in range(per_thread):
                n = increment(client.transaction(max_attempts=100))
                with lock:
                    seen.append(n)

        _run_threads(threads, worker)
        total = threads * per_thread
        assert clients[0].document("counters/g").get().to_dict() == {"n": total}
        assert sorted(seen) == list(range(total))
        assert calls["n"] > total, "no ABORTED commit was retried by the client: the test exercised no conflict"
    finally:
        for c in clients:
            c.close()


def test_grpc_client_transactional_two_documents_in_opposite_orders(server, project, monkeypatch, target_kind):
    """Two workers move units between two documents, reading them in opposite orders (the classic
    deadlock shape).  Every transfer must complete through @transactional alone: the Python client
    retries ABORTED only when Commit fails, so a read answered ABORTED surfaces to the caller."""
    if target_kind == "official":
        pytest.skip("passes on the official emulator but takes ~40 s there (2 s lock timeouts per conflict)")
    from google.cloud import firestore
    threads, per_thread = 2, 10
    clients = _grpc_clients(server, project, monkeypatch, threads)
    try:
        clients[0].document("acct/a").set({"n": 100})
        clients[0].document("acct/b").set({"n": 100})
        failures = []

        def worker(i):
            client = clients[i]
            first, second = (client.document("acct/a"), client.document("acct/b"))[:: 1 if i == 0 else -1]

            @firestore.transactional
            def transfer(transaction):
                x = first.get(transaction=transaction).get("n")
                time.sleep(0.005)
                y = second.get(transaction=transaction).get("n")
                transaction.update(first, {"n": x - 1})
                transaction.update(second, {"n": y + 1})

            for _ in range(per_thread):
                try:
                    transfer(client.transaction(max_attempts=100))
                except gexc.Aborted as e:
                    failures.append(str(e))

        _run_threads(threads, worker)
        assert not failures, f"{len(failures)} transfers raised Aborted out of @transactional: {failures[0]}"
        a = clients[0].document("acct/a").get().get("n")
        b = clients[0].document("acct/b").get().get("n")
        assert (a, b) == (100, 100)          # each worker moved 10 one way: net zero
    finally:
        for c in clients:
            c.close()


def test_highlevel_rest_read_only_transaction(db):
    from google.cloud import firestore
    ref = db.document("c/ro")
    ref.set({"n": 1})

    @firestore.transactional
    def read(transaction):
        first = ref.get(transaction=transaction).to_dict()
        ref.set({"n": 2})                                   # outside the transaction
        second = ref.get(transaction=transaction).to_dict()
        return first, second

    assert read(db.transaction(read_only=True)) == ({"n": 1}, {"n": 1})
    assert ref.get().to_dict() == {"n": 2}


# --------------------------------------------------------------------------- 3. snapshots

def test_read_only_transaction_repeated_reads_identical_under_writes(api):
    api.commit_ok([_upd(api, f"q/d{i}", v=i * 10) for i in range(5)])
    tx = _begin(api, {"readOnly": {}})
    names = [api.name(f"q/d{i}") for i in range(6)]

    def read_all():
        r = api.post(":batchGet", {"documents": names, "transaction": tx})
        assert r.status_code == 200, r.text
        got = sorted(json.loads(r.text), key=lambda e: e.get("missing") or e["found"]["name"])
        return ([(e.get("found") or {}).get("fields", "missing") for e in got],
                _docs(_run_query(api, _query_v_gt(5), transaction=tx)),
                _count(api, "q", transaction=tx))

    baseline = read_all()
    assert baseline[1] == [(f"d{i}", {"v": int_value(i * 10)}) for i in range(1, 5)]
    assert baseline[2] == 5

    stop = threading.Event()
    writes = {"n": 0}

    def writer():
        import requests
        sess = requests.Session()
        k = 0
        while not stop.is_set() and k < 400:
            k += 1
            body = {"writes": [
                {"update": {"name": api.name(f"q/d{k % 5}"), "fields": {"v": int_value(1000 + k)}}},
                {"update": {"name": api.name(f"q/new{k}"), "fields": {"v": int_value(k)}}}]}
            if k % 7 == 0:
                body["writes"].append({"delete": api.name(f"q/d{(k + 2) % 5}")})
            r = sess.post(api.url(":commit"), json=body, timeout=conftest.HTTP_TIMEOUT)
            if r.status_code == 200:
                writes["n"] += 1
        sess.close()

    t = threading.Thread(target=writer, name="ro-writer")
    t.start()
    reads = 0
    try:
        deadline = time.monotonic() + 10
        while (reads < 15 or writes["n"] < 30) and time.monotonic() < deadline:
            assert read_all() == baseline
            reads += 1
    finally:
        stop.set()
        t.join(30)
    assert writes["n"] >= 30, "the writer thread made too few changes"
    assert read_all() == baseline
    assert _count(api, "q") > 5                            # outside the transaction, the new documents
    r = _commit(api, tx)
    assert r.status_code == 200 and r.json() == {}, r.text


@pytest.mark.flint_only(reason="GET and list with ?transaction= answer (the official emulator never does)",
                        hangs=True)
def test_read_only_transaction_get_and_list_are_snapshots(api):
    api.put_doc("c/a", {"v": int_value(1)})
    tx = _begin(api, {"readOnly": {}})
    api.put_doc("c/a", {"v": int_value(2)})
    api.put_doc("c/b", {"v": int_value(3)})
    r = api.get("c/a", params={"transaction": tx})
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"v": int_value(1)}
    r = api.get("c/b", params={"transaction": tx})
    assert_error(r, 404, "NOT_FOUND")
    r = api.get("c", params={"transaction": tx})
    assert r.status_code == 200, r.text
    assert [(d["name"], d["fields"]) for d in r.json()["documents"]] == [(api.name("c/a"), {"v": int_value(1)})]
    assert api.post(":rollback", {"transaction": tx}).json() == {}


def test_read_time_reads_see_old_versions_after_overwrite_and_delete(api):
    v1 = api.put_doc("c/d", {"v": int_value(1)})
    v2 = api.put_doc("c/d", {"v": int_value(2)})
    api.put_doc("c/other", {"v": int_value(9)})
    assert api.delete("c/d").status_code == 200
    assert api.get_doc("c/d") is None

    for read_time, expected in ((v1["updateTime"], 1), (v2["updateTime"], 2)):
        tx = _begin(api, {"readOnly": {"readTime": read_time}})
        r = api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": tx})
        assert r.status_code == 200, r.text
        out = json.loads(r.text)
        assert out[0]["found"]["fields"] == {"v": int_value(expected)}
        assert out[0]["found"]["createTime"] == v1["createTime"]
        assert out[0]["readTime"] == read_time
        stream = _run_query(api, {"from": [{"collectionId": "c"}]}, transaction=tx)
        assert _docs(stream) == [("d", {"v": int_value(expected)})]
        assert _count(api, "c", transaction=tx) == 1
        assert _commit(api, tx).json() == {}

    # readTime without a transaction
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "readTime": v1["updateTime"]})
    assert json.loads(r.text)[0]["found"]["fields"] == {"v": int_value(1)}
    assert _docs(_run_query(api, {"from": [{"collectionId": "c"}]}, readTime=v2["updateTime"])) == \
        [("d", {"v": int_value(2)})]
    assert _count(api, "c", readTime=v1["updateTime"]) == 1
    # now: only the other document
    assert _count(api, "c") == 1
    r = api.post(":batchGet", {"documents": [api.name("c/d")]})
    assert "missing" in json.loads(r.text)[0]


# --------------------------------------------------------------------------- 4. interleavings

def _timed(fn):
    t = time.monotonic()
    r = fn()
    return r, time.monotonic() - t


@pytest.mark.flint_only(reason=CONFLICTS)
def test_lost_update_is_aborted(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    assert _tx_get(api, "c/d", t1)["fields"] == {"v": int_value(1)}
    r, took = _timed(lambda: api.commit([_upd(api, "c/d", v=2)]))          # T2, outside T1
    assert r.status_code == 200, r.text
    assert took < 1.0
    r, took = _timed(lambda: _commit(api, t1, [_upd(api, "c/d", v=3)]))
    assert_error(r, 409, "ABORTED", message=CONTENTION)
    assert took < 1.0
    assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}
    # the aborted transaction is closed
    assert_error(_commit(api, t1), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)


def _in_thread(fn):
    """Start fn() in a thread; returns a callable that joins and gives (result, seconds)."""
    out = {}

    def run():
        t = time.monotonic()
        try:
            out["r"] = fn()
        except BaseException as e:        # noqa: B902 - re-raised on join
            out["e"] = e
        out["t"] = time.monotonic() - t

    th = threading.Thread(target=run, name="tx-second")
    th.start()

    def join():
        th.join(10)
        assert not th.is_alive(), "the second request never answered"
        if "e" in out:
            raise out["e"]
        return out["r"], out["t"]
    return join


@pytest.mark.flint_only(reason=LOCK_QUEUE)
def test_second_reader_waits_for_first_commit_then_reads_its_result(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1, t2 = _begin(api), _begin(api)
    assert _tx_get(api, "c/d", t1)["fields"] == {"v": int_value(1)}
    other = conftest.Api(api.server, api.project)                # own HTTP session for the waiting read
    try:
        join = _in_thread(lambda: other.post(":batchGet", {"documents": [api.name("c/d")], "transaction": t2}))
        time.sleep(0.15)
        r = _commit(api, t1, [_upd(api, "c/d", v=10)])
        assert r.status_code == 200, r.text
        r, took = join()
    finally:
        other.session.close()
    assert r.status_code == 200, r.text
    assert json.loads(r.text)[0]["found"]["fields"] == {"v": int_value(10)}    # T1's committed result
    assert 0.1 < took < LOCK_WAIT, f"the second read took {took:.3f} s"
    r = _commit(api, t2, [_upd(api, "c/d", v=20)])
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d")["fields"] == {"v": int_value(20)}


@pytest.mark.flint_only(reason=LOCK_QUEUE)
def test_lock_wait_is_bounded_and_the_commit_decides(api):
    """A read that waits past the limit proceeds without the lock; the first commit wins and
    the other is ABORTED at commit, where clients retry (they do not retry failed reads)."""
    api.put_doc("c/d", {"v": int_value(1)})
    t1, t2 = _begin(api), _begin(api)
    _tx_get(api, "c/d", t1)
    r, took = _timed(lambda: api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": t2}))
    assert r.status_code == 200, r.text
    assert json.loads(r.text)[0]["found"]["fields"] == {"v": int_value(1)}
    assert LOCK_WAIT - 0.1 < took < LOCK_WAIT + 0.5, f"waited {took:.3f} s"
    assert _commit(api, t1, [_upd(api, "c/d", v=2)]).status_code == 200
    assert_error(_commit(api, t2, [_upd(api, "c/d", v=3)]), 409, "ABORTED", message=CONTENTION)
    assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}


@pytest.mark.flint_only(reason=LOCK_QUEUE)
def test_deadlock_is_broken_at_once_and_the_commit_decides(api):
    api.commit_ok([_upd(api, "c/a", v=1), _upd(api, "c/b", v=1)])
    t1, t2 = _begin(api), _begin(api)
    _tx_get(api, "c/a", t1)
    _tx_get(api, "c/b", t2)
    other = conftest.Api(api.server, api.project)
    try:
        join = _in_thread(lambda: other.post(":batchGet", {"documents": [api.name("c/b")], "transaction": t1}))
        time.sleep(0.1)                                            # T1 now waits for T2's b
        # T2 waiting for T1's a would close a cycle: it reads a at once, without the lock.
        r, took = _timed(lambda: api.post(":batchGet", {"documents": [api.name("c/a")], "transaction": t2}))
        assert r.status_code == 200, r.text
        assert took < 0.3, f"deadlock broken after {took:.3f} s"
        # T2 commits first (T1 still waits for b); then T1 gets b, but a changed under it.
        assert _commit(api, t2, [_upd(api, "c/a", v=5), _upd(api, "c/b", v=5)]).status_code == 200
        r, _ = join()
    finally:
        other.session.close()
    assert r.status_code == 200, r.text
    assert json.loads(r.text)[0]["found"]["fields"] == {"v": int_value(5)}
    assert_error(_commit(api, t1, [_upd(api, "c/a", v=0)]), 409, "ABORTED", message=CONTENTION)


@pytest.mark.flint_only(reason=CONFLICTS)
def test_read_skew_is_not_committed_even_without_writes(api):
    """T1 reads a; a non-transactional commit changes a and b together; T1 reads b.  T1 saw a=1,
    b=2, a state that never existed: its commit, even with no writes, must not confirm it."""
    api.commit_ok([_upd(api, "c/a", v=1), _upd(api, "c/b", v=1)])
    t1 = _begin(api)
    assert _tx_get(api, "c/a", t1)["fields"] == {"v": int_value(1)}
    assert api.commit([_upd(api, "c/a", v=2), _upd(api, "c/b", v=2)]).status_code == 200
    assert _tx_get(api, "c/b", t1)["fields"] == {"v": int_value(2)}
    assert_error(_commit(api, t1), 409, "ABORTED", message=CONTENTION)


@pytest.mark.flint_only(reason=CONFLICTS)
def test_read_of_missing_document_then_concurrent_create_is_aborted(api):
    t1 = _begin(api)
    assert _tx_get(api, "c/new", t1) is None
    assert api.commit([_upd(api, "c/new", v=1)]).status_code == 200
    assert_error(_commit(api, t1, [_upd(api, "c/new", v=2)]), 409, "ABORTED", message=CONTENTION)
    assert api.get_doc("c/new")["fields"] == {"v": int_value(1)}


@pytest.mark.flint_only(reason=CONFLICTS)
def test_read_then_concurrent_delete_is_aborted(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    assert _tx_get(api, "c/d", t1) is not None
    assert api.delete("c/d").status_code == 200
    assert_error(_commit(api, t1, [_upd(api, "c/x", v=1)]), 409, "ABORTED", message=CONTENTION)
    assert api.get_doc("c/x") is None


def test_write_to_other_document_does_not_abort(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    assert _tx_get(api, "c/d", t1)["fields"] == {"v": int_value(1)}
    r, took = _timed(lambda: api.commit([_upd(api, "c/e", v=5)]))          # T2 writes e
    assert r.status_code == 200, r.text
    assert took < 1.0
    r = _commit(api, t1, [_upd(api, "c/d", v=2)])
    assert r.status_code == 200, r.text
    assert len(r.json()["writeResults"]) == 1
    assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}
    assert api.get_doc("c/e")["fields"] == {"v": int_value(5)}


@pytest.mark.flint_only(reason=CONFLICTS)
def test_phantom_in_query_result_is_aborted(api):
    api.commit_ok([_upd(api, "q/a", v=10), _upd(api, "q/b", v=1)])
    t1 = _begin(api)
    assert _docs(_run_query(api, _query_v_gt(5), transaction=t1)) == [("a", {"v": int_value(10)})]
    assert api.commit([_upd(api, "q/phantom", v=7)]).status_code == 200    # now matches the query
    r, took = _timed(lambda: _commit(api, t1, [_upd(api, "c/summary", v=1)]))
    assert_error(r, 409, "ABORTED", message=CONTENTION)
    assert took < 1.0
    assert api.get_doc("c/summary") is None


@pytest.mark.flint_only(reason=CONFLICTS)
def test_query_result_document_changed_is_aborted(api):
    api.commit_ok([_upd(api, "q/a", v=10)])
    t1 = _begin(api)
    assert len(_docs(_run_query(api, _query_v_gt(5), transaction=t1))) == 1
    assert api.commit([_upd(api, "q/a", v=11)]).status_code == 200
    assert_error(_commit(api, t1, [_upd(api, "c/s", v=1)]), 409, "ABORTED", message=CONTENTION)


@pytest.mark.flint_only(reason="the query's validation is precise: a write that neither matches nor changes a "
                               "result does not abort (the official emulator locks the whole collection)")
def test_non_matching_write_into_queried_collection_does_not_abort(api):
    api.commit_ok([_upd(api, "q/a", v=10)])
    t1 = _begin(api)
    assert len(_docs(_run_query(api, _query_v_gt(5), transaction=t1))) == 1
    assert api.commit([_upd(api, "q/small", v=1)]).status_code == 200      # v=1 does not match v > 5
    r = _commit(api, t1, [_upd(api, "c/s", v=1)])
    assert r.status_code == 200, r.text


@pytest.mark.flint_only(reason=CONFLICTS)
def test_aggregation_in_transaction_then_phantom_is_aborted(api):
    api.commit_ok([_upd(api, "q/a", v=10)])
    t1 = _begin(api)
    assert _count(api, "q", transaction=t1) == 1
    assert api.commit([_upd(api, "q/b", v=1)]).status_code == 200
    assert_error(_commit(api, t1, [_upd(api, "c/s", v=1)]), 409, "ABORTED", message=CONTENTION)


def test_blind_write_transaction_succeeds_despite_concurrent_write(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    assert api.commit([_upd(api, "c/d", v=2)]).status_code == 200
    r = _commit(api, t1, [_upd(api, "c/d", v=3), _upd(api, "c/e", v=4)])
    assert r.status_code == 200, r.text
    res = r.json()
    assert len(res["writeResults"]) == 2
    assert all(w["updateTime"] == res["commitTime"] for w in res["writeResults"])
    assert api.get_doc("c/d")["fields"] == {"v": int_value(3)}
    assert api.get_doc("c/e")["fields"] == {"v": int_value(4)}


def test_read_only_use_of_read_write_transaction_commits_without_writes(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    assert _tx_get(api, "c/d", t1)["fields"] == {"v": int_value(1)}
    assert len(_docs(_run_query(api, {"from": [{"collectionId": "c"}]}, transaction=t1))) == 1
    r = _commit(api, t1)
    assert r.status_code == 200 and r.json() == {}, r.text
    assert_error(_commit(api, t1), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)


def test_retry_of_aborted_transaction_succeeds(api, target_kind):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    _tx_get(api, "c/d", t1)
    r = api.commit([_upd(api, "c/d", v=2)])
    if target_kind == "official":                              # pessimistic: the writer lost
        assert_error(r, 409, "ABORTED", message="Transaction lock timeout.")
        assert _commit(api, t1).status_code == 200
        return
    assert r.status_code == 200, r.text
    assert_error(_commit(api, t1, [_upd(api, "c/d", v=3)]), 409, "ABORTED", message=CONTENTION)
    t2 = _begin(api, {"readWrite": {"retryTransaction": t1}})
    assert t2 != t1
    assert _tx_get(api, "c/d", t2)["fields"] == {"v": int_value(2)}
    r = _commit(api, t2, [_upd(api, "c/d", v=3)])
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d")["fields"] == {"v": int_value(3)}


def test_rollback_discards_and_closes(api):
    api.put_doc("c/d", {"v": int_value(1)})
    t1 = _begin(api)
    _tx_get(api, "c/d", t1)
    r = api.post(":rollback", {"transaction": t1})
    assert r.status_code == 200 and r.json() == {}, r.text
    # rolled back: d is no longer locked, another transaction reads it at once
    t2 = _begin(api)
    r, took = _timed(lambda: api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": t2}))
    assert r.status_code == 200, r.text
    assert took < 0.3
    assert _commit(api, t2, [_upd(api, "c/d", v=2)]).status_code == 200
    assert_error(_commit(api, t1, [_upd(api, "c/d", v=3)]), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)
    assert_error(api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": t1}),
                 400, "INVALID_ARGUMENT", message=CLOSED_TXN)
    assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}


# --------------------------------------------------------------------------- 5. framing

def test_batch_get_new_transaction_first_element_is_transaction(api):
    api.put_doc("c/a", {"v": int_value(1)})
    r = api.post(":batchGet", {"documents": [api.name("c/a"), api.name("c/none")],
                               "newTransaction": {"readWrite": {}}})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)
    assert len(out) == 3, out
    assert set(out[0]) == {"transaction"} and out[0]["transaction"], out[0]
    assert out[1]["found"]["fields"] == {"v": int_value(1)}
    assert out[2]["missing"] == api.name("c/none")
    tx = out[0]["transaction"]
    # the read counts: a concurrent change to c/a aborts a commit
    if api.server.kind == "flint":
        assert api.commit([_upd(api, "c/a", v=2)]).status_code == 200
        assert_error(_commit(api, tx, [_upd(api, "c/z", v=1)]), 409, "ABORTED", message=CONTENTION)
    else:
        assert _commit(api, tx, [_upd(api, "c/z", v=1)]).status_code == 200


def test_run_query_new_transaction_first_element_has_transaction(api):
    api.commit_ok([_upd(api, "q/a", v=10), _upd(api, "q/b", v=20)])
    stream = _run_query(api, _query_v_gt(5), newTransaction={"readWrite": {}})
    tx = stream[0].get("transaction")
    assert isinstance(tx, str) and tx, stream
    assert sum(1 for e in stream if "transaction" in e) == 1
    assert _docs(stream) == [("a", {"v": int_value(10)}), ("b", {"v": int_value(20)})]
    assert stream[-1].get("done") is True
    r = _commit(api, tx, [_upd(api, "c/s", v=1)])
    assert r.status_code == 200, r.text


def test_run_query_new_transaction_element_carries_nothing_else(api):
    """RunQueryResponse.transaction: 'If set, no other fields will be set in this response.'
    (google/firestore/v1/firestore.proto; the official emulator sends {"transaction": …} alone)."""
    api.commit_ok([_upd(api, "q/a", v=10)])
    for sq in (_query_v_gt(5), _query_v_gt(5, collection="empty")):
        stream = _run_query(api, sq, newTransaction={"readOnly": {}})
        assert set(stream[0]) == {"transaction"}, stream[0]
        assert _commit(api, stream[0]["transaction"]).status_code == 200


def test_aggregation_new_transaction_first_element_has_transaction(api):
    api.commit_ok([_upd(api, "q/a", v=10), _upd(api, "q/b", v=1)])
    r = api.post(":runAggregationQuery", {"structuredAggregationQuery": {
        "structuredQuery": {"from": [{"collectionId": "q"}]}, "aggregations": [{"alias": "n", "count": {}}]},
        "newTransaction": {"readOnly": {}}})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)
    assert out[0].get("transaction"), out
    results = [e["result"] for e in out if "result" in e]
    assert results == [{"aggregateFields": {"n": int_value(2)}}]
    assert _commit(api, out[0]["transaction"]).status_code == 200


# --------------------------------------------------------------------------- 5. errors (raw REST)

def test_unknown_transaction_id_is_invalid_everywhere(api):
    api.put_doc("c/d")
    assert_error(_commit(api, UNKNOWN_TXN), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(_commit(api, UNKNOWN_TXN, [_upd(api, "c/d", v=1)]), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":rollback", {"transaction": UNKNOWN_TXN}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": UNKNOWN_TXN}),
                 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":runQuery", {"structuredQuery": {"from": [{"collectionId": "c"}]},
                                        "transaction": UNKNOWN_TXN}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":runAggregationQuery", {"structuredAggregationQuery": {
        "structuredQuery": {"from": [{"collectionId": "c"}]}, "aggregations": [{"count": {}}]},
        "transaction": UNKNOWN_TXN}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":beginTransaction", {"options": {"readWrite": {"retryTransaction": UNKNOWN_TXN}}}),
                 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.post(":rollback", {}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert api.get_doc("c/d").get("fields", {}) == {}


@pytest.mark.flint_only(reason="GET/list with ?transaction= answer (the official emulator never does)", hangs=True)
def test_unknown_transaction_on_get_and_list(api):
    api.put_doc("c/d")
    assert_error(api.get("c/d", params={"transaction": UNKNOWN_TXN}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)
    assert_error(api.get("c", params={"transaction": UNKNOWN_TXN}), 400, "INVALID_ARGUMENT", message=INVALID_TXN)


def test_transaction_id_from_another_database_is_invalid(api, server):
    other = conftest.Api(server, conftest.new_project("other"))
    try:
        tx = _begin(other)
        assert_error(_commit(api, tx), 400, "INVALID_ARGUMENT")
        assert _commit(other, tx).status_code == 200
    finally:
        other.session.close()


def test_commit_twice_is_closed_and_rollback_of_closed_is_empty(api):
    for opts in (None, {"readOnly": {}}):
        tx = _begin(api, opts)
        r = _commit(api, tx)
        assert r.status_code == 200 and r.json() == {}, r.text
        assert_error(_commit(api, tx), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)
        assert_error(_commit(api, tx, [_upd(api, "c/x", v=1)]), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)
        for _ in range(2):
            r = api.post(":rollback", {"transaction": tx})
            assert r.status_code == 200 and r.json() == {}, r.text
    tx = _begin(api)
    assert api.post(":rollback", {"transaction": tx}).json() == {}
    assert api.post(":rollback", {"transaction": tx}).json() == {}
    assert_error(_commit(api, tx), 400, "INVALID_ARGUMENT", message=CLOSED_TXN)
    assert api.get_doc("c/x") is None


def test_write_in_read_only_transaction_is_rejected(api):
    api.put_doc("c/d", {"v": int_value(1)})
    tx = _begin(api, {"readOnly": {}})
    for writes in ([_upd(api, "c/d", v=2)], [{"delete": api.name("c/d")}],
                   [{"transform": {"document": api.name("c/d"),
                                   "fieldTransforms": [{"fieldPath": "v", "increment": int_value(1)}]}}]):
        assert_error(_commit(api, tx, writes), 400, "INVALID_ARGUMENT", message=READ_ONLY_WRITE)
    assert api.get_doc("c/d")["fields"] == {"v": int_value(1)}
    # the rejected commit did not consume the transaction (as on the official emulator)
    r = _commit(api, tx)
    assert r.status_code == 200 and r.json() == {}, r.text


def test_read_only_read_time_too_old_is_failed_precondition(api):
    r = api.post(":beginTransaction", {"options": {"readOnly": {"readTime": "2001-01-01T00:00:00Z"}}})
    assert_error(r, 400, "FAILED_PRECONDITION", message=READ_TIME_TOO_OLD)
    for verb, body in ((":batchGet", {"documents": [api.name("c/d")]}),
                       (":runQuery", {"structuredQuery": {"from": [{"collectionId": "c"}]}})):
        r = api.post(verb, dict(body, newTransaction={"readOnly": {"readTime": "2001-01-01T00:00:00Z"}}))
        assert_error(r, 400, "FAILED_PRECONDITION", message=READ_TIME_TOO_OLD)


def test_transaction_and_read_time_together_is_invalid(api):
    tx = _begin(api)
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": tx,
                               "readTime": "2020-01-01T00:00:00Z"})
    assert_error(r, 400, "INVALID_ARGUMENT", message=conftest.PAYLOAD_INVALID)
    r = api.post(":beginTransaction", {"options": {"readOnly": {}, "readWrite": {}}})
    assert_error(r, 400, "INVALID_ARGUMENT", message=conftest.PAYLOAD_INVALID)


def test_retry_transaction_of_closed_transaction_is_accepted(api):
    tx = _begin(api)
    assert _commit(api, tx).status_code == 200
    t2 = _begin(api, {"readWrite": {"retryTransaction": tx}})
    assert t2 != tx
    t3 = _begin(api)
    assert api.post(":rollback", {"transaction": t3}).status_code == 200
    t4 = _begin(api, {"readWrite": {"retryTransaction": t3}})
    assert len({tx, t2, t3, t4}) == 4
    r = _commit(api, t4, [_upd(api, "c/r", v=1)])
    assert r.status_code == 200, r.text
    assert api.get_doc("c/r")["fields"] == {"v": int_value(1)}


# --------------------------------------------------------------------------- 5. errors (GAPIC REST client)

def _b64(tx):
    import base64
    return base64.b64decode(tx)


def test_gapic_transaction_lifecycle_and_errors(gapic, api):
    """Unary RPCs (BeginTransaction, Commit, Rollback) through the GAPIC REST client."""
    from google.cloud.firestore_v1.types import firestore as fs
    database = api.db
    api.put_doc("c/d", {"v": int_value(1)})
    tx = gapic.begin_transaction(request={"database": database}).transaction
    assert isinstance(tx, bytes) and tx
    res = gapic.commit(request={"database": database, "transaction": tx, "writes": [
        {"update": {"name": api.name("c/d"), "fields": {"v": {"integer_value": 2}}}}]})
    assert len(res.write_results) == 1
    with pytest.raises(gexc.BadRequest) as ei:
        gapic.commit(request={"database": database, "transaction": tx})
    assert ei.value.message.endswith(CLOSED_TXN), ei.value.message
    gapic.rollback(request={"database": database, "transaction": tx})        # closed: accepted
    with pytest.raises(gexc.BadRequest) as ei:
        gapic.commit(request={"database": database, "transaction": _b64(UNKNOWN_TXN)})
    assert ei.value.message.endswith(INVALID_TXN), ei.value.message
    with pytest.raises(gexc.BadRequest) as ei:
        gapic.rollback(request={"database": database, "transaction": _b64(UNKNOWN_TXN)})
    assert ei.value.message.endswith(INVALID_TXN), ei.value.message

    ro = gapic.begin_transaction(request={"database": database, "options": {"read_only": {}}}).transaction
    with pytest.raises(gexc.BadRequest) as ei:
        gapic.commit(request={"database": database, "transaction": ro, "writes": [
            {"update": {"name": api.name("c/d"), "fields": {}}}]})
    assert ei.value.message.endswith(READ_ONLY_WRITE), ei.value.message
    gapic.rollback(request={"database": database, "transaction": ro})

    with pytest.raises(gexc.BadRequest) as ei:
        gapic.begin_transaction(request={"database": database, "options": {
            "read_only": {"read_time": "2001-01-01T00:00:00Z"}}})
    assert ei.value.message.endswith(READ_TIME_TOO_OLD), ei.value.message
    with pytest.raises(gexc.BadRequest) as ei:
        gapic.begin_transaction(request={"database": database, "options": {
            "read_write": {"retry_transaction": _b64(UNKNOWN_TXN)}}})
    assert ei.value.message.endswith(INVALID_TXN), ei.value.message

    retried = gapic.begin_transaction(request={"database": database, "options": {
        "read_write": {"retry_transaction": tx}}}).transaction
    assert retried and retried != tx
    gapic.rollback(fs.RollbackRequest(database=database, transaction=retried))
    assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}


GAPIC_STREAMS = ("streaming bodies end exactly at ']' (the official emulator's trailing newline makes the GAPIC "
                 "stream parser raise)")


@pytest.mark.flint_only(reason=GAPIC_STREAMS)
def test_gapic_reads_in_transaction_and_unknown_id(gapic, api):
    database = api.db
    api.put_doc("c/d", {"v": int_value(1)})
    tx = gapic.begin_transaction(request={"database": database}).transaction
    got = list(gapic.batch_get_documents(request={"database": database, "documents": [api.name("c/d")],
                                                  "transaction": tx}))
    assert [g.found.fields["v"].integer_value for g in got] == [1]
    got = list(gapic.run_query(request={"parent": api.root, "transaction": tx,
                                        "structured_query": {"from_": [{"collection_id": "c"}]}}))
    assert [g.document.fields["v"].integer_value for g in got if g.document.name] == [1]
    gapic.commit(request={"database": database, "transaction": tx})
    for bad, text in ((_b64(UNKNOWN_TXN), INVALID_TXN), (tx, CLOSED_TXN)):
        with pytest.raises(gexc.BadRequest) as ei:
            list(gapic.batch_get_documents(request={"database": database, "documents": [api.name("c/d")],
                                                    "transaction": bad}))
        assert ei.value.message.endswith(text), ei.value.message
        with pytest.raises(gexc.BadRequest) as ei:
            list(gapic.run_query(request={"parent": api.root, "transaction": bad,
                                          "structured_query": {"from_": [{"collection_id": "c"}]}}))
        assert ei.value.message.endswith(text), ei.value.message


@pytest.mark.flint_only(reason=CONFLICTS)
def test_gapic_conflict_on_aborted_commit(gapic, api):
    database = api.db
    api.put_doc("c/d", {"v": int_value(1)})
    tx = gapic.begin_transaction(request={"database": database}).transaction
    list(gapic.batch_get_documents(request={"database": database, "documents": [api.name("c/d")],
                                            "transaction": tx}))
    api.commit_ok([_upd(api, "c/d", v=2)])
    with pytest.raises(gexc.Conflict) as ei:
        gapic.commit(request={"database": database, "transaction": tx, "writes": [
            {"update": {"name": api.name("c/d"), "fields": {"v": {"integer_value": 3}}}}]})
    assert ei.value.message.endswith(CONTENTION), ei.value.message


@pytest.mark.flint_only(reason=GAPIC_STREAMS)
def test_gapic_new_transaction_in_streams(gapic, api):
    database = api.db
    api.put_doc("q/a", {"v": int_value(10)})
    got = list(gapic.batch_get_documents(request={"database": database, "documents": [api.name("q/a")],
                                                  "new_transaction": {"read_write": {}}}))
    assert got[0].transaction and not got[0].found.name
    assert [g.found.fields["v"].integer_value for g in got[1:]] == [10]
    gapic.rollback(request={"database": database, "transaction": got[0].transaction})
    got = list(gapic.run_query(request={"parent": api.root, "new_transaction": {"read_only": {}},
                                        "structured_query": {"from_": [{"collection_id": "q"}]}}))
    assert got[0].transaction
    assert [g.document.fields["v"].integer_value for g in got if g.document.name] == [10]
    gapic.commit(request={"database": database, "transaction": got[0].transaction})


# --------------------------------------------------------------------------- 5. expiry

@pytest.fixture(scope="module")
def short_lived_flint(target_kind):
    if target_kind != "flint":
        pytest.skip("--transaction-idle/--transaction-lifetime are Flint flags")
    s = conftest.start_flint(["--transaction-idle", "1", "--transaction-lifetime", "2"])
    yield s
    s.stop()


@pytest.mark.flint_only(reason="configurable transaction expiry")
def test_idle_transaction_expires(short_lived_flint):
    api = conftest.Api(short_lived_flint, conftest.new_project("exp"))
    try:
        api.put_doc("c/d", {"v": int_value(1)})
        rw, ro = _begin(api), _begin(api, {"readOnly": {}})
        time.sleep(1.5)
        assert_error(_commit(api, rw, [_upd(api, "c/d", v=2)]), 400, "INVALID_ARGUMENT")
        assert_error(api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": ro}),
                     400, "INVALID_ARGUMENT")
        assert api.get_doc("c/d")["fields"] == {"v": int_value(1)}
    finally:
        api.session.close()


@pytest.mark.flint_only(reason="configurable transaction expiry")
def test_busy_transaction_expires_after_lifetime_and_use_keeps_it_alive(short_lived_flint):
    api = conftest.Api(short_lived_flint, conftest.new_project("exp"))
    try:
        api.put_doc("c/d", {"v": int_value(1)})
        old = _begin(api)
        started = time.monotonic()
        # used every 0.4 s: never idle for 1 s, so alive until the 2 s lifetime
        while time.monotonic() - started < 1.0:
            time.sleep(0.4)
            assert _tx_get(api, "c/d", old)["fields"] == {"v": int_value(1)}
        r = _commit(api, old)                                         # ~1.2 s < lifetime, idle 0.4 s
        assert r.status_code == 200, r.text
        long_lived = _begin(api)
        started = time.monotonic()
        while time.monotonic() - started < 2.3:
            time.sleep(0.4)
            r = api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": long_lived})
            if r.status_code != 200:
                break
        assert time.monotonic() - started > 1.5, "expired before its lifetime"
        assert_error(_commit(api, long_lived, [_upd(api, "c/d", v=2)]), 400, "INVALID_ARGUMENT")
        assert api.get_doc("c/d")["fields"] == {"v": int_value(1)}
    finally:
        api.session.close()


@pytest.mark.flint_only(reason="configurable transaction expiry")
def test_expired_transaction_releases_its_locks(short_lived_flint):
    api = conftest.Api(short_lived_flint, conftest.new_project("exp"))
    try:
        api.put_doc("c/d", {"v": int_value(1)})
        t1 = _begin(api)
        _tx_get(api, "c/d", t1)
        time.sleep(1.5)
        t2 = _begin(api)
        r, took = _timed(lambda: api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": t2}))
        assert r.status_code == 200, r.text
        assert took < 0.3, f"read waited {took:.3f} s for an expired transaction's lock"
        assert _commit(api, t2, [_upd(api, "c/d", v=2)]).status_code == 200
        assert_error(_commit(api, t1, [_upd(api, "c/d", v=3)]), 400, "INVALID_ARGUMENT")
        assert api.get_doc("c/d")["fields"] == {"v": int_value(2)}
    finally:
        api.session.close()
