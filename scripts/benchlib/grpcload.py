"""gRPC phases with the real Python SDK (google-cloud-firestore): single-document writes and
reads from concurrent threads, with the emulator's CPU time per operation, and Listen latency.

On a 2-core machine the Python client saturates long before a fast emulator does, so ops/s
mostly measures the client; the emulator's CPU seconds per operation (utime + stime of its
process tree from /proc, all threads included) is the figure that compares emulators.

Listen: one listener on one document, one writer doing sequential doc.set() calls. For each
write, the time from the commit response reaching the writer to (a) the raw Listen response
carrying that version reaching the client (a bare gRPC stream of
google.firestore.v1.Firestore/Listen, decoded with the SDK's generated message classes) and
(b) the SDK's on_snapshot callback. A target whose Listen fails is reported as failed, with
the reason, and the phase goes on.

Every loop is bounded (operation counts, a time cap, per-event timeouts).
"""

import collections
import itertools
import logging
import os
import queue
import random
import threading
import time

from emuproc import host_busy_cpu_s, self_cpu_s
from fsrest import lat_summary_ms

EVENT_TIMEOUT = 10.0       # seconds to wait for one listen event
ERROR_LIMIT = 200          # stop a load run after this many failed operations


def _sdk():
    try:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import firestore
    except ImportError as e:  # pragma: no cover - reported as the phase's error
        raise RuntimeError("google-cloud-firestore is not installed in the bench venv "
                           f"(scripts/benchlib/requirements.txt): {e}") from e
    return firestore, AnonymousCredentials


def client(hostport, project):
    """A google.cloud.firestore.Client on gRPC to the emulator at hostport."""
    firestore, anon = _sdk()
    # The SDK reads FIRESTORE_EMULATOR_HOST when the client is built: insecure channel,
    # "Bearer owner" authorization, exactly as a user's program gets it.
    os.environ["FIRESTORE_EMULATOR_HOST"] = hostport
    return firestore.Client(project=project, credentials=anon())


def _short(e):
    code = getattr(e, "grpc_status_code", None) or getattr(e, "code", None)  # api_core, grpc
    code = code() if callable(code) else code
    name = getattr(code, "name", None) or type(e).__name__
    details = getattr(e, "details", None)
    msg = details() if callable(details) else (getattr(e, "message", None) or str(e))
    return f"{name}: {str(msg).strip()[:160]}"


# ------------------------------------------------------------------ load runs

def _run_ops(n_ops, threads, op, time_cap):
    """n_ops calls of op(worker, i) from `threads` threads; bounded by time_cap seconds.
    Returns (ok, wall_s, latencies_s, errors Counter, capped)."""
    counter = itertools.count()
    lat = [[] for _ in range(threads)]
    errs = collections.Counter()
    n_err = [0]
    t0 = time.perf_counter()
    deadline = t0 + time_cap
    capped = [False]

    def worker(w):
        mine = lat[w]
        while True:
            i = next(counter)            # atomic under the GIL
            if i >= n_ops:
                return
            if n_err[0] >= ERROR_LIMIT:
                return
            a = time.perf_counter()
            if a > deadline:
                capped[0] = True
                return
            try:
                op(w, i)
            except Exception as e:  # noqa: BLE001 - counted and reported
                errs[_short(e)] += 1
                n_err[0] += 1
                time.sleep(0.01)
                continue
            mine.append(time.perf_counter() - a)

    ts = [threading.Thread(target=worker, args=(w,), daemon=True) for w in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    flat = [x for part in lat for x in part]
    return len(flat), wall, flat, errs, capped[0]


def _measured_run(emu, label, n_ops, warmup_ops, threads, op_factory, time_cap, log):
    """Warm up, then measure n_ops with emulator CPU before/after."""
    if warmup_ops:
        ok, wall, _, errs, _ = _run_ops(warmup_ops, threads, op_factory("warm"), time_cap)
        log(f"grpc {label}: warmup {ok} ops in {wall:.1f}s"
            + (f", errors {dict(errs)}" if errs else ""))
        if ok == 0:
            return {"error": f"warmup failed: {dict(errs) or 'no operation completed'}"}
    c0, e0, h0 = self_cpu_s(), emu.cpu_s(), host_busy_cpu_s()
    ok, wall, lat, errs, capped = _run_ops(n_ops, threads, op_factory("m"), time_cap)
    ecpu = emu.cpu_s() - e0
    ccpu = self_cpu_s() - c0
    other = max(0.0, host_busy_cpu_s() - h0 - ccpu - ecpu)
    res = {"threads": threads, "ops_requested": n_ops, "ok": ok, "errors": dict(errs),
           "capped": capped, "time_cap_s": time_cap, "warmup_ops": warmup_ops,
           "wall_s": round(wall, 3),
           "ops_per_s": round(ok / wall, 1) if wall > 0 and ok else None,
           "emulator_cpu_s": round(ecpu, 3),
           "emulator_cores": round(ecpu / wall, 2) if wall > 0 else None,
           "cpu_ms_per_op": round(ecpu * 1000.0 / ok, 4) if ok else None,
           "client_cpu_s": round(ccpu, 2),
           "client_cores": round(ccpu / wall, 2) if wall > 0 else None,
           "other_cpu_s": round(other, 2),
           "other_cores_avg": round(other / wall, 2) if wall > 0 else None}
    res.update(lat_summary_ms(lat))
    if ok == 0:
        res["error"] = f"no operation succeeded: {dict(errs)}"
    log(f"grpc {label}: {ok} ops in {wall:.2f}s = {res['ops_per_s']} ops/s, emulator "
        f"{ecpu:.2f} s CPU = {res['cpu_ms_per_op']} ms/op, client {ccpu:.2f} s CPU")
    return res


def phase_grpc(emu, project, threads=16, n_ops=20000, warmup_ops=2000, read_docs=1000,
               time_cap=180.0, log=print):
    """SDK doc.set() (Commit) then doc.get() (BatchGetDocuments), each from `threads`
    threads sharing one client (one gRPC channel), as an application would."""
    db = client(f"127.0.0.1:{emu.port}", project)
    pad = "x" * 64
    out = {"threads": threads, "sdk": _sdk_version()}
    try:
        coll = db.collection("grpc_w")

        def writes(tag):
            def op(w, i):
                coll.document(f"{tag}{w:02d}-{i:08d}").set({"w": w, "seq": i, "pad": pad})
            return op

        out["writes"] = _measured_run(emu, "writes", n_ops, warmup_ops, threads, writes,
                                      time_cap, log)

        rcoll = db.collection("grpc_r")
        t = time.perf_counter()
        for start in range(0, read_docs, 500):
            batch = db.batch()
            for i in range(start, min(read_docs, start + 500)):
                batch.set(rcoll.document(f"d{i:07d}"), {"i": i, "seq": i, "pad": pad})
            batch.commit(timeout=60)
        log(f"grpc reads: {read_docs} docs written in {time.perf_counter() - t:.1f}s")
        refs = [rcoll.document(f"d{i:07d}") for i in range(read_docs)]
        missing = [0]

        def reads(tag):
            rnd = [random.Random(w * 7919 + (tag == "m")) for w in range(threads)]

            def op(w, i):
                snap = refs[rnd[w].randrange(read_docs)].get()
                if not snap.exists:
                    missing[0] += 1
            return op

        out["reads"] = _measured_run(emu, "reads", n_ops, warmup_ops, threads, reads,
                                     time_cap, log)
        out["reads"]["docs"] = read_docs
        out["reads"]["missing"] = missing[0]
        if missing[0]:
            out["reads"]["error"] = f"{missing[0]} reads found no document"
    finally:
        db.close()
    return out


def _sdk_version():
    try:
        from google.cloud.firestore_v1 import gapic_version
        import grpc
        return f"google-cloud-firestore {gapic_version.__version__}, grpcio {grpc.__version__}"
    except Exception:  # noqa: BLE001
        return None


# ------------------------------------------------------------------ listen

class RawListener:
    """A bare Listen stream on one document target. Records when each documentChange (and the
    following global consistency point, a NO_CHANGE targetChange with readTime) arrives."""

    def __init__(self, hostport, project, doc_name):
        import grpc
        from google.cloud.firestore_v1.types import firestore as fs

        self._grpc = grpc
        self.channel = grpc.insecure_channel(hostport)
        database = f"projects/{project}/databases/(default)"
        self._requests = queue.Queue()
        self._requests.put(fs.ListenRequest(
            database=database,
            add_target=fs.Target(documents=fs.Target.DocumentsTarget(documents=[doc_name]),
                                 target_id=0x5151)))
        listen = self.channel.stream_stream(
            "/google.firestore.v1.Firestore/Listen",
            request_serializer=fs.ListenRequest.serialize,
            response_deserializer=fs.ListenResponse.pb().FromString)
        # The same metadata the SDK sends on Listen against an emulator.
        self.call = listen(self._request_iter(), metadata=(
            ("google-cloud-resource-prefix", database), ("authorization", "Bearer owner")))
        self.current = threading.Event()   # initial snapshot complete
        self.failed = None
        self.changes = queue.Queue()       # (seq, t_arrival)
        self.consistent = queue.Queue()    # t_arrival of global NO_CHANGE with read_time
        self._thread = threading.Thread(target=self._read, daemon=True, name="raw-listen")
        self._thread.start()

    def _request_iter(self):
        while True:
            r = self._requests.get()
            if r is None:
                return
            yield r

    def _read(self):
        NO_CHANGE, CURRENT = 0, 3
        try:
            for resp in self.call:
                t = time.perf_counter()
                kind = resp.WhichOneof("response_type")
                if kind == "document_change":
                    f = resp.document_change.document.fields.get("seq")
                    self.changes.put((f.integer_value if f is not None else None, t))
                elif kind == "target_change":
                    tc = resp.target_change
                    if tc.target_change_type == CURRENT:
                        self.current.set()
                    elif (tc.target_change_type == NO_CHANGE and not tc.target_ids
                          and tc.HasField("read_time")):
                        self.consistent.put(t)
                        self.current.set()
                    if tc.HasField("cause") and tc.cause.code:
                        self.failed = f"target removed: {tc.cause.code} {tc.cause.message}"
                        self.current.set()
                        return
        except self._grpc.RpcError as e:
            if not self.failed and e.code() != self._grpc.StatusCode.CANCELLED:
                self.failed = _short(e)
        except Exception as e:  # noqa: BLE001
            self.failed = _short(e)
        finally:
            if not self.failed and not self.current.is_set():
                self.failed = "stream ended before the initial snapshot"
            self.current.set()

    def wait_change(self, seq, timeout):
        """Arrival time of the documentChange for `seq` (older ones skipped), or None."""
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0 or self.failed:
                return None
            try:
                s, t = self.changes.get(timeout=min(left, 0.5))
            except queue.Empty:
                continue
            if s == seq:
                return t

    def drain_consistent(self):
        out = []
        while True:
            try:
                out.append(self.consistent.get_nowait())
            except queue.Empty:
                return out

    def close(self):
        self._requests.put(None)
        try:
            self.call.cancel()
        except Exception:  # noqa: BLE001
            pass
        self._thread.join(timeout=5)
        self.channel.close()


class RawWriter:
    """Commit over a bare gRPC channel, request bytes built before the clock starts, so the
    moment the commit response arrives is measured with as little client work as the moment a
    Listen response arrives."""

    def __init__(self, hostport, project, doc_name):
        import grpc
        from google.cloud.firestore_v1.types import firestore as fs

        self._fs = fs
        self.doc_name = doc_name
        self.database = f"projects/{project}/databases/(default)"
        self.channel = grpc.insecure_channel(hostport)
        self.commit = self.channel.unary_unary(
            "/google.firestore.v1.Firestore/Commit",
            request_serializer=lambda b: b,
            response_deserializer=fs.CommitResponse.pb().FromString)
        self.metadata = (("google-cloud-resource-prefix", self.database),
                         ("authorization", "Bearer owner"),
                         ("x-goog-request-params",
                          "database=" + self.database.replace("(", "%28").replace(")", "%29")))

    def request(self, seq):
        fs = self._fs
        return fs.CommitRequest.serialize(fs.CommitRequest(
            database=self.database,
            writes=[{"update": {"name": self.doc_name,
                                "fields": {"seq": {"integer_value": seq}}}}]))

    def close(self):
        self.channel.close()


def _listen_raw(db, hostport, project, n, warmup, log):
    ref = db.collection("listen").document("raw")
    ref.set({"seq": -1})
    lis = RawListener(hostport, project, ref._document_path)
    writer = RawWriter(hostport, project, ref._document_path)
    try:
        if not lis.current.wait(EVENT_TIMEOUT) or lis.failed:
            return {"error": f"failed: {lis.failed or 'no initial snapshot within 10 s'}"}
        lis.wait_change(-1, 0.2)          # the initial documentChange, if not yet taken
        from_ack, from_send, to_consistent, rtt, missed = [], [], [], [], 0
        no_consistency_point = False
        for i in range(warmup + n):
            lis.drain_consistent()
            req = writer.request(i)
            a = time.perf_counter()
            writer.commit(req, metadata=writer.metadata, timeout=30)
            b = time.perf_counter()
            t = lis.wait_change(i, EVENT_TIMEOUT)
            if t is None:
                if lis.failed:
                    return {"error": f"failed after {i} writes: {lis.failed}"}
                missed += 1
                if missed >= 3:
                    return {"error": f"failed: {missed} writes never reached the listener"}
                continue
            # the consistency point normally follows the change at once; a server that never
            # sends one is waited for once, not on every write
            c = None
            if not no_consistency_point:
                try:
                    c = lis.consistent.get(timeout=1.0)
                except queue.Empty:
                    no_consistency_point = True
            if i >= warmup:
                from_ack.append(t - b)
                from_send.append(t - a)
                rtt.append(b - a)
                if c is not None:
                    to_consistent.append(c - b)
        res = {"writes": n, "warmup": warmup, "missed": missed,
               "arrived_before_ack": sum(1 for x in from_ack if x < 0),
               "consistency_point_seen": not no_consistency_point}
        res["from_ack"] = lat_summary_ms(from_ack)
        res["from_send"] = lat_summary_ms(from_send)
        res["consistent_from_ack"] = lat_summary_ms(to_consistent)
        res["commit_round_trip"] = lat_summary_ms(rtt)
        log(f"listen raw: ack -> documentChange p50 {res['from_ack'].get('p50_ms')} ms, "
            f"p99 {res['from_ack'].get('p99_ms')} ms")
        return res
    finally:
        lis.close()
        writer.close()


def _listen_sdk(db, n, warmup, log):
    ref = db.collection("listen").document("sdk")
    ref.set({"seq": -1})
    events = queue.Queue()
    errors = []

    def on_snapshot(docs, changes, read_time):
        t = time.perf_counter()
        try:
            for d in docs:
                if d.exists:
                    events.put((d.to_dict().get("seq"), t))
        except Exception as e:  # noqa: BLE001
            errors.append(_short(e))

    # The SDK ends a failed watch by raising the stream's error in a thread of its own: take
    # it as the reason instead of letting it print a traceback.
    prev_hook = threading.excepthook

    def hook(args):
        errors.append(_short(args.exc_value))

    threading.excepthook = hook
    # ...and keep its stream consumer from logging the same error as a traceback
    bidi_log = logging.getLogger("google.api_core.bidi")
    prev_level = bidi_log.level
    bidi_log.setLevel(logging.CRITICAL)
    watch = ref.on_snapshot(on_snapshot)

    def wait(seq, timeout):
        deadline = time.perf_counter() + timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                return None
            try:
                s, t = events.get(timeout=min(left, 0.5))
            except queue.Empty:
                if getattr(watch, "_closed", False):
                    return None
                continue
            if s == seq:
                return t

    try:
        if wait(-1, EVENT_TIMEOUT) is None:
            why = errors[0] if errors else ("the listener closed" if getattr(
                watch, "_closed", False) else "no snapshot within 10 s")
            return {"error": f"failed: {why}"}
        from_ack, missed = [], 0
        for i in range(warmup + n):
            ref.set({"seq": i})
            b = time.perf_counter()
            t = wait(i, EVENT_TIMEOUT)
            if t is None:
                if errors or getattr(watch, "_closed", False):
                    why = errors[0] if errors else "the listener closed"
                    return {"error": f"failed after {i} writes: {why}"}
                missed += 1
                if missed >= 3:
                    return {"error": f"failed: {missed} writes never reached on_snapshot"}
                continue
            if i >= warmup:
                from_ack.append(t - b)
        res = {"writes": n, "warmup": warmup, "missed": missed,
               "from_ack": lat_summary_ms(from_ack)}
        log(f"listen sdk: ack -> on_snapshot p50 {res['from_ack'].get('p50_ms')} ms, "
            f"p99 {res['from_ack'].get('p99_ms')} ms")
        return res
    finally:
        try:
            watch.unsubscribe()
        except Exception:  # noqa: BLE001
            pass
        threading.excepthook = prev_hook
        bidi_log.setLevel(prev_level)


def phase_listen(emu, project, n=500, warmup=100, log=print):
    hostport = f"127.0.0.1:{emu.port}"
    db = client(hostport, project)
    out = {"sdk": _sdk_version()}
    try:
        for part, fn in (("raw", lambda: _listen_raw(db, hostport, project, n, warmup, log)),
                         ("on_snapshot", lambda: _listen_sdk(db, n, warmup, log))):
            try:
                out[part] = fn()
            except Exception as e:  # noqa: BLE001 - a failing target is a result
                out[part] = {"error": f"failed: {_short(e)}"}
            if out[part].get("error"):
                log(f"listen {part}: {out[part]['error']}")
    finally:
        db.close()
    errs = [f"{k}: {out[k]['error']}" for k in ("raw", "on_snapshot") if out[k].get("error")]
    if errs:
        out["failed"] = "; ".join(errs)
    return out
