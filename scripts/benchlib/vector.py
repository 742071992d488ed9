"""The vector phase: findNearest over many documents holding a high-dimension vector.

Loads `n_docs` documents `{embedding: Vector(dims doubles), category: "c0".."c{k-1}", i}` with
sequential :commit requests of `batch` writes (load.py's ingest loop, with vector bodies), then
runs `repeats` (after `warmup`) :runQuery requests, one after another, each the nearest 10 by
EUCLIDEAN distance to a fresh query vector among the documents of one category
(`where category == cX`, cycling through the categories), and reports p50/p99 latency.  Query
vectors and documents come from fixed seeds, so both emulators answer the same queries over the
same data; the answers' document ids are kept so compare.py can check that they agree.
"""

import asyncio
import collections
import random
import time

import aiohttp

from fsrest import lat_summary_ms
from load import _json, _req, _session

NEIGHBOURS = 10


def vector_value(rnd, dims):
    # Four decimals keep the JSON small; the same numbers on both sides.
    return {"mapValue": {"fields": {
        "__type__": {"stringValue": "__vector__"},
        "value": {"arrayValue": {"values": [{"doubleValue": rnd.randrange(-10000, 10001) / 10000}
                                            for _ in range(dims)]}}}}}


def commit_body(api, coll, start, count, dims, categories):
    writes = []
    for i in range(start, start + count):
        rnd = random.Random(i)
        writes.append({"update": {"name": api.name(f"{coll}/v{i:07d}"), "fields": {
            "i": {"integerValue": str(i)},
            "category": {"stringValue": f"c{i % categories}"},
            "embedding": vector_value(rnd, dims)}}})
    return {"writes": writes}


def query_body(coll, n, dims, categories):
    rnd = random.Random(1_000_000 + n)
    return {"structuredQuery": {
        "from": [{"collectionId": coll}],
        "where": {"fieldFilter": {"field": {"fieldPath": "category"}, "op": "EQUAL",
                                  "value": {"stringValue": f"c{n % categories}"}}},
        "findNearest": {"vectorField": {"fieldPath": "embedding"}, "queryVector": vector_value(rnd, dims),
                        "distanceMeasure": "EUCLIDEAN", "limit": NEIGHBOURS,
                        "distanceResultField": "distance"}}}


async def phase_vector(api, n_docs=100000, dims=256, categories=10, batch=500, ingest_cap=900.0,
                       repeats=50, warmup=5, query_cap=300.0, coll="vectors", emit=None):
    out = {"target_docs": n_docs, "dims": dims, "categories": categories, "batch": batch,
           "ingest_cap_s": ingest_cap, "neighbours": NEIGHBOURS}
    errs = collections.Counter()
    written = 0
    t0 = time.perf_counter()
    async with _session(timeout=aiohttp.ClientTimeout(total=300)) as s:
        while written < n_docs and time.perf_counter() - t0 < ingest_cap:
            k = min(batch, n_docs - written)
            body = commit_body(api, coll, written, k, dims, categories)
            try:
                st, raw = await _req(s, "POST", api.rpc_url("commit"), body)
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                st, raw = type(e).__name__, b""
            if st != 200:
                errs[f"commit {st} {raw[:120]!r}"] += 1
                if sum(errs.values()) > 10:
                    break
                await asyncio.sleep(0.2)
                continue
            written += k
            if emit and written % 10000 == 0:
                emit(f"vector_docs_loaded_{written // 1000}k", round(time.perf_counter() - t0, 1), "s")
    ingest_s = time.perf_counter() - t0
    out.update({"docs_written": written, "ingest_s": round(ingest_s, 3), "capped": written < n_docs,
                "ingest_docs_per_s": round(written / ingest_s, 1) if ingest_s else None})
    if written == 0:
        out["error"] = f"no documents loaded: {dict(errs)}"
        out["errors"] = dict(errs)
        return out

    lat, counts, answers = [], collections.Counter(), []
    t_cap = time.perf_counter() + query_cap
    async with _session(timeout=aiohttp.ClientTimeout(total=120)) as s:
        for n in range(warmup + repeats):
            if time.perf_counter() > t_cap:
                errs["query time cap reached"] += 1
                break
            body = query_body(coll, n, dims, categories)
            a = time.perf_counter()
            try:
                st, raw = await _req(s, "POST", api.rpc_url("runQuery"), body)
            except (aiohttp.ClientError, asyncio.TimeoutError) as e:
                st, raw = type(e).__name__, b""
            b = time.perf_counter()
            if st != 200:
                errs[f"runQuery {st} {raw[:160]!r}"] += 1
                continue
            docs = [r["document"] for r in (_json(raw) or []) if isinstance(r, dict) and "document" in r]
            counts[len(docs)] += 1
            if n >= warmup:
                lat.append(b - a)
                answers.append([d["name"].rsplit("/", 1)[-1] for d in docs])
    q = lat_summary_ms(lat)
    out.update({"query": q, "result_counts": {str(k): v for k, v in counts.items()}, "answers": answers,
                "errors": dict(errs)})
    if emit:
        emit("vector_ingest_docs_per_s", out["ingest_docs_per_s"], "docs/s")
        emit("vector_find_nearest_p50", q.get("p50_ms"), "ms")
        emit("vector_find_nearest_p99", q.get("p99_ms"), "ms")
    return out
