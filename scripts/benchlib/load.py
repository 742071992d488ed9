"""Load phases (aiohttp): single-doc writes, single-doc reads, bulk commit
ingestion, query latency vs collection size, transaction contention.

Every phase is bounded: fixed durations or explicit time caps, per-request
timeouts, and bounded retry counts.  Each phase returns a plain dict.
"""

import asyncio
import collections
import json
import random
import time
import urllib.parse

import aiohttp
import yarl

from fsrest import commit_body, lat_summary_ms

REQ_TIMEOUT = aiohttp.ClientTimeout(total=30)
JSON_HDR = {"Content-Type": "application/json"}


def _session(limit=1, timeout=REQ_TIMEOUT):
    # one keep-alive connection per simulated client
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=limit, force_close=False),
        timeout=timeout, skip_auto_headers=("User-Agent",))


async def _req(s, method, url, body=None, timeout=None):
    data = json.dumps(body).encode() if body is not None else None
    kw = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout else {}
    async with s.request(method, yarl.URL(url, encoded=True), data=data,
                         headers=JSON_HDR if data is not None else None, **kw) as r:
        raw = await r.read()
        return r.status, raw


def _json(raw):
    try:
        return json.loads(raw)
    except ValueError:
        return None


async def _timed_workers(n_clients, duration, warmup, make_req, connect=_session):
    """Run n_clients closed-loop workers for warmup+duration seconds, each on
    its own connection (connect() -> async context manager).
    make_req(connection, worker, seq) -> awaitable (status, raw).  Only requests
    *started* inside the measured window are counted ("completed" also counts
    the warm-up's successes, for per-request figures over the whole call)."""
    lat, errs = [], collections.Counter()
    ok = completed = 0
    t0 = time.perf_counter()
    t_measure, t_end = t0 + warmup, t0 + warmup + duration

    async def worker(w):
        nonlocal ok, completed
        async with connect() as s:
            seq = 0
            while True:
                a = time.perf_counter()
                if a >= t_end:
                    return
                try:
                    st, _ = await make_req(s, w, seq)
                except (aiohttp.ClientError, asyncio.TimeoutError, OSError, EOFError, ValueError) as e:
                    st = type(e).__name__
                b = time.perf_counter()
                seq += 1
                completed += st == 200
                if a >= t_measure:
                    if st == 200:
                        ok += 1
                        lat.append(b - a)
                    else:
                        errs[str(st)] += 1
                if st != 200 and not isinstance(st, int):
                    await asyncio.sleep(0.05)  # transport error: don't spin

    await asyncio.gather(*(worker(w) for w in range(n_clients)))
    elapsed = time.perf_counter() - t_measure
    out = {"clients": n_clients, "duration_s": round(elapsed, 3),
           "warmup_s": warmup, "ok": ok, "completed": completed, "errors": dict(errs),
           "ops_per_s": round(ok / elapsed, 1) if elapsed > 0 else None}
    out.update(lat_summary_ms(lat))
    return out


async def _ingest(api, coll, n_docs, batch=500, time_cap=120.0, slice_docs=10000,
                  on_slice=None, start=0):
    """Sequential :commit requests of `batch` writes (docs start..n_docs-1)
    until n_docs exist or time_cap.  Returns (docs_existing, slices, errors,
    seconds)."""
    slices, errs = [], collections.Counter()
    written = start
    t_start = time.perf_counter()
    t_slice, slice_start = t_start, start
    async with _session() as s:
        while written < n_docs:
            if time.perf_counter() - t_start > time_cap:
                break
            k = min(batch, n_docs - written)
            try:
                st, _ = await _req(s, "POST", api.rpc_url("commit"),
                                   commit_body(api, coll, written, k))
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                st = type(e).__name__
            if st != 200:
                errs[str(st)] += 1
                if sum(errs.values()) > 20:
                    break
                await asyncio.sleep(0.1)
                continue
            written += k
            if written - slice_start >= slice_docs or written == n_docs:
                now = time.perf_counter()
                sl = {"from": slice_start, "to": written,
                      "seconds": round(now - t_slice, 3),
                      "docs_per_s": round((written - slice_start) / (now - t_slice), 1)}
                slices.append(sl)
                if on_slice:
                    on_slice(sl)
                t_slice, slice_start = now, written
    total = time.perf_counter() - t_start
    return written, slices, dict(errs), total


# ------------------------------------------------------------------ phases

async def phase_writes(api, clients=16, duration=10.0, warmup=2.0, coll="wload"):
    pad = "x" * 64

    def make(s, w, seq):
        body = {"fields": {"w": {"integerValue": str(w)},
                           "seq": {"integerValue": str(seq)},
                           "pad": {"stringValue": pad}}}
        return _req(s, "PATCH", api.doc_url(f"{coll}/w{w:02d}-{seq:08d}"), body)

    return await _timed_workers(clients, duration, warmup, make)


async def phase_reads(api, clients=16, duration=10.0, warmup=2.0, coll="rload",
                      n_docs=1000):
    written, _, errs, _ = await _ingest(api, coll, n_docs, time_cap=60)
    if written < n_docs:
        return {"error": f"prepopulate wrote only {written}/{n_docs}", "errors": errs}
    rnd = random.Random(1)

    def make(s, w, seq):
        return _req(s, "GET", api.doc_url(f"{coll}/d{rnd.randrange(n_docs):07d}"))

    out = await _timed_workers(clients, duration, warmup, make)
    out["docs"] = n_docs
    return out


async def phase_bulk(api, n_docs=100000, batch=500, time_cap=120.0, coll="q100000",
                     emit=None, slice_docs=10000):
    def on_slice(sl):
        if emit:
            emit(f"bulk_docs_per_s_{sl['from'] // 1000}k_{sl['to'] // 1000}k",
                 sl["docs_per_s"], "docs/s")

    written, slices, errs, total = await _ingest(api, coll, n_docs, batch, time_cap,
                                                 slice_docs=slice_docs, on_slice=on_slice)
    return {"target_docs": n_docs, "docs_written": written, "batch": batch,
            "time_cap_s": time_cap, "total_s": round(total, 3),
            "docs_per_s_overall": round(written / total, 1) if total else None,
            "capped": written < n_docs, "slice_docs": slice_docs, "slices": slices,
            "errors": errs,
            "collection": coll}


def _queries(coll):
    frm = [{"collectionId": coll}]
    return {
        "eq_status": {"structuredQuery": {"from": frm, "where": {"fieldFilter": {
            "field": {"fieldPath": "status"}, "op": "EQUAL",
            "value": {"stringValue": "paid"}}}, "limit": 20}},
        "range_amount": {"structuredQuery": {"from": frm, "where": {"fieldFilter": {
            "field": {"fieldPath": "amount"}, "op": "GREATER_THAN",
            "value": {"integerValue": "50000"}}},
            "orderBy": [{"field": {"fieldPath": "amount"}, "direction": "ASCENDING"}],
            "limit": 20}},
        "array_contains": {"structuredQuery": {"from": frm, "where": {"fieldFilter": {
            "field": {"fieldPath": "tags"}, "op": "ARRAY_CONTAINS",
            "value": {"stringValue": "t3"}}}, "limit": 20}},
        # A collection-group query over the same documents (the group holds this collection).
        "group_eq_status": {"structuredQuery": {"from": [{"collectionId": coll, "allDescendants": True}],
            "where": {"fieldFilter": {"field": {"fieldPath": "status"}, "op": "EQUAL",
                                      "value": {"stringValue": "shipped"}}}, "limit": 20}},
        # COUNT of every document in the collection (runAggregationQuery).
        "count_all": {"structuredAggregationQuery": {"structuredQuery": {"from": frm},
                                                     "aggregations": [{"alias": "n", "count": {}}]}},
    }


async def phase_query(api, sizes=(1000, 10000, 100000), repeats=30, warmup=3,
                      cap_per_query=30.0, ingest_cap=150.0, preloaded=None, emit=None):
    """preloaded: {size: docs_already_in_collection 'q{size}'} (e.g. from bulk)."""
    preloaded = preloaded or {}
    out = {"sizes": {}, "repeats": repeats}
    for size in sizes:
        coll = f"q{size}"
        have = preloaded.get(size, 0)
        info = {"collection": coll}
        if have:
            info["docs_from_bulk_phase"] = have
        if have < size:  # ingest (or top up what the bulk phase left)
            t = time.perf_counter()
            have, _, errs, _ = await _ingest(api, coll, size, time_cap=ingest_cap,
                                             start=have)
            info["ingest_s"] = round(time.perf_counter() - t, 3)
            info["ingest_errors"] = errs
        info["docs"] = have
        async with _session() as s:
            for qname, body in _queries(coll).items():
                lat, counts, errs = [], collections.Counter(), collections.Counter()
                t_cap = time.perf_counter() + cap_per_query
                for i in range(warmup + repeats):
                    if time.perf_counter() > t_cap:
                        break
                    a = time.perf_counter()
                    verb = "runAggregationQuery" if "structuredAggregationQuery" in body else "runQuery"
                    try:
                        st, raw = await _req(s, "POST", api.rpc_url(verb), body)
                    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                        st, raw = type(e).__name__, b""
                    b = time.perf_counter()
                    if st != 200:
                        errs[str(st)] += 1
                        continue
                    js = _json(raw) or []
                    counts[sum(1 for r in js if isinstance(r, dict) and ("document" in r or "result" in r))] += 1
                    if i >= warmup:
                        lat.append(b - a)
                q = lat_summary_ms(lat)
                q["result_counts"] = dict(counts)
                q["errors"] = dict(errs)
                info[qname] = q
                if emit and q.get("n"):
                    emit(f"query_{qname}_{size}_p50", q["p50_ms"], "ms")
        out["sizes"][str(size)] = info
    return out


async def _probe_txn_get(api, s):
    """Does GET .../doc?transaction=T work?  Returns (ok, detail)."""
    st, raw = await _req(s, "PATCH", api.doc_url("txn/probe"),
                         {"fields": {"n": {"integerValue": "0"}}})
    st, raw = await _req(s, "POST", api.rpc_url("beginTransaction"), {})
    if st != 200:
        return False, f"beginTransaction -> {st} {raw[:200]!r}"
    tid = _json(raw)["transaction"]
    try:
        async with _session(timeout=aiohttp.ClientTimeout(total=3)) as s2:
            url = api.doc_url("txn/probe") + "?transaction=" + urllib.parse.quote(tid, safe="")
            st, raw = await _req(s2, "GET", url)
        detail = f"GET ?transaction -> {st}"
        ok = st == 200
    except (aiohttp.ClientError, asyncio.TimeoutError) as e:
        ok, detail = False, f"GET ?transaction -> no answer within 3 s ({type(e).__name__})"
    try:
        await _req(s, "POST", api.rpc_url("rollback"), {"transaction": tid}, timeout=5)
    except (aiohttp.ClientError, asyncio.TimeoutError):
        pass
    return ok, detail


async def phase_txn(api, clients=8, increments=25, read_mode="auto", max_attempts=100,
                    time_cap=240.0, backoff_base=0.05, backoff_cap=5.0):
    """Read-modify-write increments of ONE counter in transactions.
    Retry on ABORTED with full-jitter exponential backoff: before attempt k>1
    sleep U(0, min(backoff_cap, backoff_base * 2**(k-2))).  Retries pass
    options.readWrite.retryTransaction, as the client SDKs do."""
    doc = "txn/counter"
    name = api.name(doc)
    out = {"clients": clients, "increments_per_client": increments}
    async with _session() as s:
        st, raw = await _req(s, "PATCH", api.doc_url(doc), {"fields": {"n": {"integerValue": "0"}}})
        if st != 200:
            return {"error": f"init counter -> {st}"}
        if read_mode == "auto":
            ok, detail = await _probe_txn_get(api, s)
            out["get_with_transaction_probe"] = detail
            read_mode = "get" if ok else "batchget"
    out["read_mode"] = read_mode

    aborts, other = collections.Counter(), collections.Counter()
    lat, attempts_hist = [], collections.Counter()
    t_deadline = time.perf_counter() + time_cap
    failed = 0

    async def read(s, tid):
        if read_mode == "get":
            url = api.doc_url(doc) + "?transaction=" + urllib.parse.quote(tid, safe="")
            st, raw = await _req(s, "GET", url)
            return st, raw, (_json(raw) if st == 200 else None)
        st, raw = await _req(s, "POST", api.rpc_url("batchGet"),
                             {"documents": [name], "transaction": tid})
        js = _json(raw) if st == 200 else None
        return st, raw, (js[0].get("found") if js else None)

    def classify(st, raw, stage):
        js = _json(raw) or {}
        err = js.get("error", {}) if isinstance(js, dict) else {}
        if st == 409 and err.get("status") == "ABORTED":
            aborts[f"{stage}: {err.get('message', '')[:120]}"] += 1
            return "aborted"
        other[f"{st} {err.get('status', '')} {err.get('message', '')[:100]}"] += 1
        return "other"

    async def one_increment(s):
        a = time.perf_counter()
        retry = None
        for attempt in range(1, max_attempts + 1):
            if time.perf_counter() > t_deadline:
                return False
            if attempt > 1:  # full-jitter exponential backoff
                await asyncio.sleep(random.uniform(
                    0, min(backoff_cap, backoff_base * 2 ** (attempt - 2))))
            body = {"options": {"readWrite": {"retryTransaction": retry}}} if retry else {}
            try:
                st, raw = await _req(s, "POST", api.rpc_url("beginTransaction"), body)
                if st != 200:
                    classify(st, raw, "begin")
                    continue
                tid = _json(raw)["transaction"]
                st, raw, found = await read(s, tid)
                if st != 200 or not found:
                    if classify(st, raw, "read") == "aborted":
                        retry = tid
                    else:
                        await _req(s, "POST", api.rpc_url("rollback"), {"transaction": tid})
                    continue
                n = int(found["fields"]["n"]["integerValue"])
                st, raw = await _req(s, "POST", api.rpc_url("commit"), {
                    "transaction": tid,
                    "writes": [{"update": {"name": name,
                                           "fields": {"n": {"integerValue": str(n + 1)}}}}]})
                if st == 200:
                    lat.append(time.perf_counter() - a)
                    attempts_hist[attempt] += 1
                    return True
                if classify(st, raw, "commit") == "aborted":
                    retry = tid
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                other[type(e).__name__] += 1
        return False

    async def worker(w):
        nonlocal failed
        async with _session() as s:
            for _ in range(increments):
                if not await one_increment(s):
                    failed += 1

    t0 = time.perf_counter()
    await asyncio.gather(*(worker(w) for w in range(clients)))
    wall = time.perf_counter() - t0
    async with _session() as s:
        st, raw = await _req(s, "GET", api.doc_url(doc))
        final = int(_json(raw)["fields"]["n"]["integerValue"]) if st == 200 else None
    out.update({"wall_s": round(wall, 3), "final_value": final,
                "expected_value": clients * increments,
                "correct": final == clients * increments,
                "committed": len(lat), "failed_increments": failed,
                "aborts": sum(aborts.values()), "abort_messages": dict(aborts),
                "other_errors": dict(other),
                "attempts_histogram": {str(k): v for k, v in sorted(attempts_hist.items())},
                "time_cap_s": time_cap,
                "backoff": f"before attempt k>1 sleep U(0, min({backoff_cap}s, "
                           f"{backoff_base}s*2^(k-2))); retries pass "
                           "options.readWrite.retryTransaction"})
    out.update({"txn_" + k: v for k, v in lat_summary_ms(lat).items()})
    return out
