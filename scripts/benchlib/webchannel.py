"""The webchannel phase: the JS SDK's browser transport, driven at the wire level by the
WebChannel client of the protocol suites (Tests/conformance/webchannel_client.py).

* Listen round trip: one session writes a document through the Write channel; another session
  listens to it; the time from the forward POST being sent to the listener's back channel
  delivering the documentChange (p50/p99), sequentially.
* writes/s: several Write sessions, each sending one write and waiting for its result before the
  next, for a fixed number of writes.
* sessions: RSS when idle, then after N sessions are opened (a Listen target each, one long
  poll), and terminated again.
"""

import os
import statistics
import sys
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "conformance"))
from webchannel_client import WebChannel  # noqa: E402


def _pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100.0 * (len(xs) - 1))))]


def _db(project):
    return f"projects/{project}/databases/(default)"


class _RetryingChannel(WebChannel):
    """Resends a forward POST once when the server closed the keep-alive connection under it, as
    the browser's WebChannel retries its forward channel (the `ofs` makes a resend safe: a server
    skips the messages it already has).  The official emulator closes some connections after
    answering without saying so, which a request racing the close meets as RemoteDisconnected."""

    def send(self, *messages, ofs=None):
        try:
            return super().send(*messages, ofs=ofs)
        except requests.ConnectionError:
            return super().send(*messages, ofs=ofs)


def _write_session(base, project):
    w = _RetryingChannel(base, "Write", _db(project), origin=None)
    w.open({"database": _db(project)})
    w.start("stream")
    token = w.next(timeout=30)[0]["streamToken"]
    return w, token


def listen_round_trip(base, project, n, warmup, log):
    name = f"{_db(project)}/documents/bench/rt"
    listener = WebChannel(base, "Listen", _db(project), origin=None)
    listener.open({"database": _db(project), "addTarget": {"documents": {"documents": [name]}, "targetId": 2}})
    listener.start("stream")
    listener.messages_until(lambda p: p[0].get("targetChange", {}).get("targetChangeType") == "CURRENT", timeout=30)
    writer, token = _write_session(base, project)
    lat = []
    for i in range(warmup + n):
        t0 = time.perf_counter()
        writer.send({"streamToken": token, "writes": [
            {"update": {"name": name, "fields": {"i": {"integerValue": str(i)}}}}]})
        while True:
            p = listener.next(timeout=30)[0]
            doc = p.get("documentChange", {}).get("document")
            if doc and doc["fields"]["i"]["integerValue"] == str(i):
                break
        dt = (time.perf_counter() - t0) * 1000.0
        token = writer.next(timeout=30)[0]["streamToken"]
        if i >= warmup:
            lat.append(dt)
    for ch in (listener, writer):
        ch.terminate()
        ch.close()
    log(f"webchannel listen round trip: p50 {statistics.median(lat):.2f} ms over {len(lat)}")
    return {"n": len(lat), "p50_ms": round(_pct(lat, 50), 3), "p99_ms": round(_pct(lat, 99), 3)}


def write_throughput(base, project, sessions, writes_per_session, log):
    errors = []
    done = []

    def worker(k):
        acknowledged = 0
        try:
            w, token = _write_session(base, project)
            for i in range(writes_per_session):
                w.send({"streamToken": token, "writes": [
                    {"update": {"name": f"{_db(project)}/documents/bench-w/s{k}-{i}",
                                "fields": {"i": {"integerValue": str(i)}}}}]})
                r = w.next(timeout=30)[0]
                if "error" in r:
                    raise RuntimeError(r["error"])
                token = r["streamToken"]
                acknowledged += 1
            w.terminate()
            w.close()
        except Exception as e:  # recorded, reported
            errors.append(repr(e))
        finally:
            # a session that failed part-way still counts the writes it had acknowledged
            done.append(acknowledged)
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    total = sum(done)
    log(f"webchannel writes: {total} in {wall:.2f}s over {sessions} sessions")
    return {"writes": total, "wall_s": round(wall, 3), "writes_per_s": round(total / wall, 1) if wall else None,
            "errors": errors[:3]}


def session_churn(emu, base, project, n, log):
    time.sleep(1.0)
    idle = emu.rss_mib()
    name = f"{_db(project)}/documents/bench/churn"
    t0 = time.perf_counter()
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
    peak = emu.rss_mib()
    for ch in opened:            # the tab closes: the session ends and so do its connections
        try:
            ch.terminate()
        except Exception:
            pass
        ch.close()
    wall = time.perf_counter() - t0
    time.sleep(3.0)
    after = emu.rss_mib()
    log(f"webchannel sessions: idle {idle:.1f} MiB, {n} open {peak:.1f} MiB, closed {after:.1f} MiB"
        f"{f', {failed} failed ({first_error})' if failed else ''}")
    return {"sessions": n, "failed": failed, "first_error": first_error, "rss_idle_mib": round(idle, 1), "rss_open_mib": round(peak, 1),
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
