"""The webchannel phase: the JS SDK's browser transport, driven at the wire level: round trips
and writes by the asyncio client of webchannel_async.py, session churn by the protocol suites'
client (Tests/conformance/webchannel_client.py).

* Listen round trip: one session writes a document through the Write channel; another session
  listens to it; the time from the forward POST being sent to the listener's back channel
  delivering the documentChange (p50/p99), sequentially.
* writes/s: several Write sessions, each sending one write and waiting for its result before the
  next, for a fixed number of writes.
* sessions: RSS when idle (after a few sessions have come and gone), then after N sessions are
  opened (a Listen target each, one long poll), and terminated again.
"""

import asyncio
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "conformance"))
from webchannel_client import WebChannel  # noqa: E402
from webchannel_async import AsyncWebChannel  # noqa: E402


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100.0 * (len(xs) - 1))))]


def _db(project):
    return f"projects/{project}/databases/(default)"


async def _write_session(base, project):
    w = AsyncWebChannel(base, "Write", _db(project))
    try:
        await w.open({"database": _db(project)})
        w.start()
        return w, (await w.next())[0]["streamToken"]
    except BaseException:
        await w.close()
        raise


async def _listen_round_trip(base, project, n, warmup):
    name = f"{_db(project)}/documents/bench/rt"
    listener = AsyncWebChannel(base, "Listen", _db(project))
    await listener.open({"database": _db(project), "addTarget": {"documents": {"documents": [name]}, "targetId": 2}})
    listener.start()
    writer, lat = None, []
    try:
        while (await listener.next())[0].get("targetChange", {}).get("targetChangeType") != "CURRENT":
            pass
        writer, token = await _write_session(base, project)
        for i in range(warmup + n):
            t0 = time.perf_counter()
            await writer.send({"streamToken": token, "writes": [
                {"update": {"name": name, "fields": {"i": {"integerValue": str(i)}}}}]})
            while True:
                doc = (await listener.next())[0].get("documentChange", {}).get("document")
                if doc and doc["fields"]["i"]["integerValue"] == str(i):
                    break
            dt = (time.perf_counter() - t0) * 1000.0
            token = (await writer.next())[0]["streamToken"]
            if i >= warmup:
                lat.append(dt)
    finally:
        for ch in (listener, writer):
            if ch:
                await ch.close()
    return lat


def listen_round_trip(base, project, n, warmup, log):
    lat = asyncio.run(_listen_round_trip(base, project, n, warmup))
    log(f"webchannel listen round trip: p50 {statistics.median(lat):.2f} ms over {len(lat)}")
    return {"n": len(lat), "p50_ms": round(_pct(lat, 50), 3), "p99_ms": round(_pct(lat, 99), 3)}


async def _write_throughput(base, project, sessions, writes_per_session):
    errors = []

    async def worker(k):
        acknowledged = 0
        w = None
        try:
            w, token = await _write_session(base, project)
            for i in range(writes_per_session):
                await w.send({"streamToken": token, "writes": [
                    {"update": {"name": f"{_db(project)}/documents/bench-w/s{k}-{i}",
                                "fields": {"i": {"integerValue": str(i)}}}}]})
                r = (await w.next())[0]
                if "error" in r:
                    raise RuntimeError(r["error"])
                token = r["streamToken"]
                acknowledged += 1
        except Exception as e:  # recorded, reported
            errors.append(repr(e))
        finally:
            if w:
                await w.close()
        # a session that failed part-way still counts the writes it had acknowledged
        return acknowledged
    t0 = time.perf_counter()
    done = await asyncio.gather(*(worker(k) for k in range(sessions)))
    return sum(done), time.perf_counter() - t0, errors


def write_throughput(base, project, sessions, writes_per_session, log):
    total, wall, errors = asyncio.run(_write_throughput(base, project, sessions, writes_per_session))
    log(f"webchannel writes: {total} in {wall:.2f}s over {sessions} sessions")
    return {"writes": total, "wall_s": round(wall, 3), "writes_per_s": round(total / wall, 1) if wall else None,
            "errors": errors[:3]}


def _open_sessions(base, project, n):
    """Opens `n` Listen sessions, each with a target and one long poll answered; returns them,
    how many failed and the first failure."""
    name = f"{_db(project)}/documents/bench/churn"
    opened, failed, first_error = [], 0, None
    for i in range(n):
        try:
            ch = WebChannel(base, "Listen", _db(project), origin=None)
            ch.open({"database": _db(project), "addTarget": {"documents": {"documents": [name]}, "targetId": 2}})
            r = ch.back_get("1", timeout=30)
            r.raise_for_status()
            opened.append(ch)
        except Exception as e:  # counted and reported: the official emulator refuses some
            failed += 1
            first_error = first_error or f"{type(e).__name__}: {e}"
    return opened, failed, first_error


def _close_sessions(opened):
    for ch in opened:            # the tab closes: the session ends and so do its connections
        try:
            ch.terminate()
        except Exception:
            pass
        ch.close()


# Sessions opened and closed before "idle" is taken: the code a first session runs is paged in
# then (about 2 MiB of Flint's binary), so the figure compares memory held, not code first run.
WARMUP_SESSIONS = 10


def session_churn(emu, base, project, n, log):
    _close_sessions(_open_sessions(base, project, WARMUP_SESSIONS)[0])
    time.sleep(3.0)
    idle = emu.rss_mib()
    t0 = time.perf_counter()
    opened, failed, first_error = _open_sessions(base, project, n)
    peak = emu.rss_mib()
    _close_sessions(opened)
    wall = time.perf_counter() - t0
    time.sleep(3.0)
    after = emu.rss_mib()
    log(f"webchannel sessions: idle {idle:.1f} MiB, {n} open {peak:.1f} MiB, closed {after:.1f} MiB"
        f"{f', {failed} failed ({first_error})' if failed else ''}")
    return {"sessions": n, "warmup_sessions": WARMUP_SESSIONS, "failed": failed, "first_error": first_error,
            "rss_idle_mib": round(idle, 1), "rss_open_mib": round(peak, 1),
            "rss_after_mib": round(after, 1), "rss_after_over_idle": round(after / idle, 3) if idle else None,
            "wall_s": round(wall, 2)}


def phase_webchannel(emu, project, n, warmup, sessions, writes_per_session, churn, log):
    base = emu.base
    out = {}
    for part, run in (("churn", lambda: session_churn(emu, base, project, churn, log)),
                      ("round_trip", lambda: listen_round_trip(base, project, n, warmup, log)),
                      ("writes", lambda: write_throughput(base, project, sessions, writes_per_session, log))):
        try:
            out[part] = run()
        except Exception as e:
            log(f"webchannel {part} failed: {type(e).__name__}: {e}")
            out[part] = {"error": f"{type(e).__name__}: {e}"}
    return out
