#!/usr/bin/env python3
r"""emubench: emulator-agnostic Firestore REST benchmark harness.

    python emubench.py --cmd 'EMULATOR start --host=127.0.0.1 --port={port}' \
        --label official --out results/official.json all

Phases: startup writes reads bulk query txn triggers errors grpc listen vector webchannel (or "all").
Each phase starts its own emulator from --cmd (bulk+query share one), measures,
and stops it by PID.  Every figure is printed as `name value unit` and all
results go to --out as JSON (rewritten after every phase).
"""

import argparse
import asyncio
import json
import os
import platform
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from emuproc import Emulator, assert_loopback_url, host_busy_cpu_s, self_cpu_s  # noqa: E402
from fsrest import Api  # noqa: E402

PHASES = ["startup", "writes", "reads", "bulk", "query", "txn", "triggers", "errors", "grpc",
          "listen", "vector", "webchannel"]
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_READY = ("http://127.0.0.1:{port}/v1/projects/{project}/databases/(default)"
                 "/documents/_bench/ready")


class Report:
    def __init__(self, path, meta):
        self.path = path
        self.data = {"meta": meta, "metrics": [], "phases": {}}

    def emit(self, name, value, unit):
        print(f"{name} {value} {unit}", flush=True)
        self.data["metrics"].append({"name": name, "value": value, "unit": unit})

    def phase(self, name, result):
        self.data["phases"][name] = result
        self.save()

    def save(self):
        if self.path:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump(self.data, f, indent=2, default=str)
            os.replace(tmp, self.path)


def log(msg):
    print(f"# {msg}", file=sys.stderr, flush=True)


class Ctx:
    def __init__(self, args, rep):
        self.a, self.rep = args, rep
        self.emit = rep.emit

    def emulator(self, label, fport=None, cmd=None):
        return Emulator(cmd or self.a.cmd, self.a.ready_url, project=self.a.project,
                        fport=fport, label=f"{self.a.label}-{label}", env=self.a.env)


def _measured(ctx, emu, coro_fn, cap):
    """Run an async phase against emu with a hard time cap; add CPU/RSS."""
    def run():
        try:
            return asyncio.run(asyncio.wait_for(coro_fn(), timeout=cap))
        except asyncio.TimeoutError:
            return {"error": f"phase exceeded its {cap}s cap"}
    return _accounted(emu, run)


def _accounted(emu, run):
    """run() -> result dict, plus the phase's wall time, client/emulator/other CPU and RSS."""
    c0, e0, h0, t0 = self_cpu_s(), emu.cpu_s(), host_busy_cpu_s(), time.perf_counter()
    res = run()
    wall = time.perf_counter() - t0
    res["phase_wall_s"] = round(wall, 3)
    res["client_cpu_s"] = round(self_cpu_s() - c0, 2)
    res["emulator_cpu_s"] = round(emu.cpu_s() - e0, 2)
    # CPU used by everything else on the machine: a noise indicator
    other = host_busy_cpu_s() - h0 - res["client_cpu_s"] - res["emulator_cpu_s"]
    res["other_cpu_s"] = round(max(0.0, other), 2)
    res["other_cores_avg"] = round(max(0.0, other) / wall, 2) if wall else None
    res["rss_mib_after"] = round(emu.rss_mib(), 1)
    res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    return res


# ------------------------------------------------------------------ phases

def phase_startup(ctx):
    a = ctx.a
    times, rss, other, cpu = [], [], [], []
    for i in range(a.startup_runs):
        emu = ctx.emulator(f"startup{i}")
        h0, c0, w0 = host_busy_cpu_s(), self_cpu_s(), time.perf_counter()
        try:
            t = emu.start(timeout=a.startup_timeout)
            time.sleep(1.0)
            r = emu.rss_mib()
            ecpu = emu.cpu_s()  # launch -> ready + 1 s idle, whole process tree
            busy = host_busy_cpu_s() - h0 - (self_cpu_s() - c0) - ecpu
            other.append(round(max(0.0, busy) / (time.perf_counter() - w0), 2))
        finally:
            emu.stop()
        times.append(round(t, 3))
        rss.append(round(r, 1))
        cpu.append(round(ecpu, 2))
        log(f"startup run {i + 1}: {t:.3f}s ready, {r:.1f} MiB idle RSS, {ecpu:.2f} s CPU")
        time.sleep(0.5)
    res = {"runs": a.startup_runs, "startup_s": times, "idle_rss_mib": rss,
           "other_cores_avg": other, "emulator_cpu_s_to_idle": cpu,
           "startup_s_median": round(statistics.median(times), 3),
           "idle_rss_mib_median": round(statistics.median(rss), 1),
           "emulator_cpu_s": round(statistics.median(cpu), 2)}
    ctx.emit("startup_s_median", res["startup_s_median"], "s")
    ctx.emit("idle_rss_mib_median", res["idle_rss_mib_median"], "MiB")
    ctx.emit("startup_emulator_cpu_s_median", res["emulator_cpu_s"], "s")
    return res


def phase_writes(ctx):
    import load
    a = ctx.a
    with ctx.emulator("writes") as emu:
        emu.start()
        api = Api(emu.base, a.project)
        res = _measured(ctx, emu, lambda: load.phase_writes(
            api, a.clients, a.duration, a.warmup), a.duration + a.warmup + 60)
    for k, u in (("ops_per_s", "ops/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
        ctx.emit(f"write_{k}", res.get(k), u)
    return res


def phase_reads(ctx):
    import load
    a = ctx.a
    with ctx.emulator("reads") as emu:
        emu.start()
        api = Api(emu.base, a.project)
        res = _measured(ctx, emu, lambda: load.phase_reads(
            api, a.clients, a.duration, a.warmup, n_docs=a.read_docs),
            a.duration + a.warmup + 120)
    for k, u in (("ops_per_s", "ops/s"), ("p50_ms", "ms"), ("p99_ms", "ms")):
        ctx.emit(f"read_{k}", res.get(k), u)
    return res


def phase_bulk_query(ctx, do_bulk, do_query):
    import load
    a = ctx.a
    out = {}
    sizes = [int(x) for x in a.query_sizes.split(",")]
    with ctx.emulator("bulk") as emu:
        emu.start()
        api = Api(emu.base, a.project)
        preloaded = {}
        if do_bulk:
            coll = f"q{a.bulk_docs}"
            res = _measured(ctx, emu, lambda: load.phase_bulk(
                api, a.bulk_docs, 500, a.bulk_cap, coll=coll, emit=ctx.emit,
                slice_docs=a.bulk_slice),
                a.bulk_cap + 60)
            ctx.emit("bulk_docs_per_s_overall", res.get("docs_per_s_overall"), "docs/s")
            ctx.emit("bulk_docs_written", res.get("docs_written"), "docs")
            ctx.emit("rss_mib_after_bulk", res.get("rss_mib_after"), "MiB")
            if res.get("docs_written"):
                preloaded[a.bulk_docs] = res["docs_written"]
            out["bulk"] = res
            ctx.rep.phase("bulk", res)
        if do_query:
            res = _measured(ctx, emu, lambda: load.phase_query(
                api, sizes, a.query_repeats, preloaded=preloaded,
                ingest_cap=a.bulk_cap, emit=ctx.emit), a.bulk_cap * len(sizes) + 600)
            ctx.emit("rss_mib_after_query", res.get("rss_mib_after"), "MiB")
            out["query"] = res
            ctx.rep.phase("query", res)
    return out


def phase_txn(ctx):
    import load
    a = ctx.a
    with ctx.emulator("txn") as emu:
        emu.start()
        api = Api(emu.base, a.project)
        res = _measured(ctx, emu, lambda: load.phase_txn(
            api, a.txn_clients, a.txn_increments, read_mode=a.txn_read,
            time_cap=a.txn_cap, backoff_base=a.txn_backoff[0],
            backoff_cap=a.txn_backoff[1]), a.txn_cap + 60)
    ctx.emit("txn_wall_s", res.get("wall_s"), "s")
    ctx.emit("txn_final_value", res.get("final_value"), "count")
    ctx.emit("txn_aborts", res.get("aborts"), "count")
    ctx.emit("txn_p99_ms", res.get("txn_p99_ms"), "ms")
    ctx.emit("txn_p50_ms", res.get("txn_p50_ms"), "ms")
    return res


def phase_grpc(ctx):
    import grpcload
    a = ctx.a
    with ctx.emulator("grpc") as emu:
        emu.start()
        res = _accounted(emu, lambda: grpcload.phase_grpc(
            emu, a.project, threads=a.grpc_threads, n_ops=a.grpc_ops,
            warmup_ops=a.grpc_warmup_ops, read_docs=a.read_docs, time_cap=a.grpc_cap,
            log=log))
    for part, prefix in (("writes", "grpc_write"), ("reads", "grpc_read")):
        r = res.get(part) or {}
        for k, u in (("ops_per_s", "ops/s"), ("cpu_ms_per_op", "ms"), ("p50_ms", "ms"),
                     ("p99_ms", "ms")):
            ctx.emit(f"{prefix}_{k}", r.get(k), u)
    return res


def phase_listen(ctx):
    import grpcload
    a = ctx.a
    with ctx.emulator("listen") as emu:
        emu.start()
        res = _accounted(emu, lambda: grpcload.phase_listen(
            emu, a.project, n=a.listen_writes, warmup=a.listen_warmup, log=log))
    for part, key, prefix in (("raw", "from_ack", "listen_ack_to_message"),
                              ("raw", "from_send", "listen_send_to_message"),
                              ("on_snapshot", "from_ack", "listen_ack_to_callback")):
        r = res.get(part) or {}
        if r.get("error"):
            ctx.emit(f"{prefix}_p50_ms", r["error"], "")
            continue
        for k in ("p50_ms", "p99_ms"):
            ctx.emit(f"{prefix}_{k}", (r.get(key) or {}).get(k), "ms")
    return res


def phase_webchannel(ctx):
    import webchannel
    a = ctx.a
    with ctx.emulator("webchannel") as emu:
        emu.start()
        res = _accounted(emu, lambda: webchannel.phase_webchannel(
            emu, a.project, n=a.webchannel_writes, warmup=a.webchannel_warmup,
            sessions=a.webchannel_sessions, writes_per_session=a.webchannel_session_writes,
            churn=a.webchannel_churn, log=log))
    rt, w, c = (res.get(k) or {} for k in ("round_trip", "writes", "churn"))
    ctx.emit("webchannel_listen_p50_ms", rt.get("p50_ms"), "ms")
    ctx.emit("webchannel_listen_p99_ms", rt.get("p99_ms"), "ms")
    ctx.emit("webchannel_writes_per_s", w.get("writes_per_s"), "ops/s")
    ctx.emit("webchannel_rss_after_over_idle", c.get("rss_after_over_idle"), "ratio")
    return res


def phase_vector(ctx):
    import vector
    a = ctx.a
    with ctx.emulator("vector") as emu:
        emu.start()
        api = Api(emu.base, a.project)
        res = _measured(ctx, emu, lambda: vector.phase_vector(
            api, n_docs=a.vector_docs, dims=a.vector_dims, categories=a.vector_categories,
            ingest_cap=a.vector_ingest_cap, repeats=a.vector_repeats, emit=ctx.emit),
            a.vector_ingest_cap + 600)
    ctx.emit("rss_mib_after_vector", res.get("rss_mib_after"), "MiB")
    return res


def phase_triggers(ctx):
    import triggers
    a = ctx.a
    out = {}
    caps = {}
    for gen in ("gen1", "gen2"):
        log(f"triggers {gen}")
        r = triggers.run_gen(gen, a.trigger_cmd, a.ready_url, a.project,
                             n_orders=a.trigger_orders, env=a.env, log=log)
        out[gen] = r
        caps[gen] = r.pop("captures", {})
        lat = r.get("latency_from_write_response", {})
        ctx.emit(f"trigger_{gen}_p50_ms", lat.get("p50_ms"), "ms")
        ctx.emit(f"trigger_{gen}_p99_ms", lat.get("p99_ms"), "ms")
        sr = r.get("slow_receiver", {})
        ctx.emit(f"trigger_{gen}_max_inflight", sr.get("max_inflight_at_receiver"), "requests")
        ctx.emit(f"trigger_{gen}_in_order", int(bool(sr.get("distinct_docs_in_order"))), "bool")
    path = os.path.join(a.captures, f"{a.label}-trigger-payloads.json")
    with open(path, "w") as f:
        json.dump({"label": a.label, "cmd": a.trigger_cmd, "project": a.project,
                   "registration": {g: out[g].get("registration") for g in out},
                   "captures": caps}, f, indent=2)
    out["captures_file"] = path
    log(f"trigger payloads -> {path}")
    return out


def phase_errors(ctx):
    import errors
    a = ctx.a
    with ctx.emulator("errors") as emu:
        emu.start()
        res = errors.run_errors(Api(emu.base, a.project))
    path = os.path.join(a.captures, f"{a.label}-errors.json")
    with open(path, "w") as f:
        json.dump({"label": a.label, "cmd": a.cmd, "project": a.project, "cases": res},
                  f, indent=2)
    log(f"error captures -> {path}")
    for k, v in res.items():
        if not k.startswith("_"):
            ctx.emit(f"error_{k}_status", v["response"].get("status"), "http")
    return {"captures_file": path,
            "statuses": {k: v["response"].get("status") for k, v in res.items()}}


# ------------------------------------------------------------------ main

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("phases", nargs="*", default=["all"],
                   help=f"phases to run: {' '.join(PHASES)} | all")
    p.add_argument("--cmd", required=True,
                   help="emulator start command; placeholders {port} {project}")
    p.add_argument("--trigger-cmd",
                   help="command for the triggers phase; placeholders {port} {fport} "
                        "{project}; default: --cmd + ' --functions_emulator=127.0.0.1:{fport}'")
    p.add_argument("--ready-url", default=DEFAULT_READY,
                   help="GET this until it answers 200/404 (placeholders {port} {project})")
    p.add_argument("--env", action="append", default=[], metavar="K=V",
                   help="extra environment for the emulator (repeatable)")
    p.add_argument("--project", default="bench")
    p.add_argument("--label", default="emu", help="name used for capture files")
    p.add_argument("--out", help="JSON results file")
    p.add_argument("--captures", default=os.path.join(HERE, "captures"))
    p.add_argument("--note", action="append", default=[], metavar="K=V",
                   help="free-form metadata stored in the JSON (repeatable)")
    p.add_argument("--startup-runs", type=int, default=5)
    p.add_argument("--startup-timeout", type=float, default=120.0)
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--duration", type=float, default=10.0)
    p.add_argument("--warmup", type=float, default=2.0)
    p.add_argument("--read-docs", type=int, default=1000)
    p.add_argument("--bulk-docs", type=int, default=100000)
    p.add_argument("--bulk-cap", type=float, default=120.0, help="seconds")
    p.add_argument("--bulk-slice", type=int, default=None,
                   help="docs per reported rate slice (default 10000; 1000 with --quick)")
    p.add_argument("--query-sizes", default="1000,10000,100000")
    p.add_argument("--query-repeats", type=int, default=30)
    p.add_argument("--txn-clients", type=int, default=8)
    p.add_argument("--txn-increments", type=int, default=25)
    p.add_argument("--txn-read", choices=["auto", "get", "batchget"], default="auto",
                   help="how to read inside a transaction; auto probes GET ?transaction=")
    p.add_argument("--txn-cap", type=float, default=240.0, help="seconds")
    p.add_argument("--txn-backoff", default="50:5000", metavar="BASE_MS:CAP_MS",
                   help="full-jitter exponential backoff between ABORTED retries")
    p.add_argument("--trigger-orders", type=int, default=50)
    p.add_argument("--grpc-threads", type=int, default=16,
                   help="SDK threads sharing one client in the grpc phase")
    p.add_argument("--grpc-ops", type=int, default=20000,
                   help="measured doc.set() calls, then as many doc.get() calls")
    p.add_argument("--grpc-warmup-ops", type=int, default=2000,
                   help="unmeasured operations before each grpc measurement")
    p.add_argument("--grpc-cap", type=float, default=180.0,
                   help="seconds per grpc measurement (then counted as capped)")
    p.add_argument("--listen-writes", type=int, default=500,
                   help="measured sequential writes per listener")
    p.add_argument("--listen-warmup", type=int, default=100)
    p.add_argument("--webchannel-writes", type=int, default=300,
                   help="measured sequential write → listener round trips over WebChannel")
    p.add_argument("--webchannel-warmup", type=int, default=30)
    p.add_argument("--webchannel-sessions", type=int, default=4, help="Write sessions writing at once")
    p.add_argument("--webchannel-session-writes", type=int, default=250, help="writes per Write session")
    p.add_argument("--webchannel-churn", type=int, default=1000,
                   help="sessions opened and closed for the memory figure")
    p.add_argument("--vector-docs", type=int, default=100000,
                   help="documents loaded by the vector phase")
    p.add_argument("--vector-dims", type=int, default=256, help="dimension of their vectors")
    p.add_argument("--vector-categories", type=int, default=10,
                   help="distinct values of the pre-filtered field")
    p.add_argument("--vector-repeats", type=int, default=50, help="measured findNearest queries")
    p.add_argument("--vector-ingest-cap", type=float, default=900.0,
                   help="seconds the vector phase may spend loading")
    p.add_argument("--quick", action="store_true",
                   help="smoke-test sizes (2 startups, 3 s loads, 5k bulk, small queries)")
    a = p.parse_args(argv)

    phases = PHASES if "all" in a.phases else a.phases
    bad = [x for x in phases if x not in PHASES]
    if bad:
        p.error(f"unknown phase(s): {bad}")
    if a.quick:
        a.startup_runs, a.duration, a.warmup = 2, 3.0, 1.0
        a.bulk_docs, a.bulk_cap, a.query_sizes = 5000, 30.0, "1000,5000"
        a.bulk_slice = a.bulk_slice or 1000
        a.query_repeats, a.trigger_orders = 10, 10
        a.grpc_ops, a.grpc_warmup_ops, a.listen_writes, a.listen_warmup = 3000, 500, 50, 5
        a.webchannel_writes, a.webchannel_warmup, a.webchannel_session_writes = 50, 5, 50
        a.webchannel_churn = 200
        a.vector_docs, a.vector_repeats, a.vector_ingest_cap = 5000, 20, 120.0
        if a.bulk_docs not in [int(x) for x in a.query_sizes.split(",")]:
            a.query_sizes += f",{a.bulk_docs}"
    a.bulk_slice = a.bulk_slice or 10000
    a.txn_backoff = tuple(float(x) / 1000.0 for x in a.txn_backoff.split(":"))
    a.trigger_cmd = a.trigger_cmd or (a.cmd + " --functions_emulator=127.0.0.1:{fport}")
    a.env = dict(kv.split("=", 1) for kv in a.env)
    assert_loopback_url(a.ready_url.format(port=1, fport=1, project=a.project))
    os.makedirs(a.captures, exist_ok=True)

    meta = {"label": a.label, "cmd": a.cmd, "trigger_cmd": a.trigger_cmd,
            "ready_url": a.ready_url, "project": a.project, "phases": phases,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "host": {"nproc": os.cpu_count(), "platform": platform.platform(),
                     "python": platform.python_version(),
                     "loadavg_start": os.getloadavg()},
            "settings": {k: getattr(a, k) for k in (
                "clients", "duration", "warmup", "read_docs", "bulk_docs", "bulk_cap",
                "bulk_slice", "query_sizes", "query_repeats", "txn_clients", "txn_increments",
                "txn_read", "txn_cap", "txn_backoff", "trigger_orders",
                "grpc_threads", "grpc_ops", "grpc_warmup_ops", "grpc_cap", "listen_writes",
                "listen_warmup", "webchannel_writes", "webchannel_sessions", "webchannel_session_writes",
                "webchannel_churn", "startup_runs", "vector_docs", "vector_dims", "vector_categories",
                "vector_repeats", "vector_ingest_cap", "quick")},
            "notes": dict((kv.split("=", 1) + [""])[:2] if "=" in kv else ("note", kv)
                          for kv in a.note)}
    rep = Report(a.out, meta)
    ctx = Ctx(a, rep)
    simple = {"startup": phase_startup, "writes": phase_writes, "reads": phase_reads,
              "txn": phase_txn, "triggers": phase_triggers, "errors": phase_errors,
              "grpc": phase_grpc, "listen": phase_listen, "vector": phase_vector,
              "webchannel": phase_webchannel}
    done_bq = False
    for ph in phases:
        if ph in ("bulk", "query") and done_bq:
            continue
        log(f"phase {ph} (loadavg {os.getloadavg()[0]:.2f})")
        t = time.perf_counter()
        try:
            if ph in ("bulk", "query"):
                done_bq = True
                ph = "+".join(x for x in ("bulk", "query") if x in phases)
                phase_bulk_query(ctx, "bulk" in phases, "query" in phases)
            else:
                rep.phase(ph, simple[ph](ctx))
        except Exception as e:  # record and go on with the next phase
            log(f"phase {ph} failed: {type(e).__name__}: {e}")
            rep.phase(ph, {"error": f"{type(e).__name__}: {e}"})
        log(f"phase {ph} took {time.perf_counter() - t:.1f}s")
    rep.data["meta"]["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    rep.data["meta"]["host"]["loadavg_end"] = os.getloadavg()
    rep.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
