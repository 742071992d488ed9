#!/usr/bin/env python3
r"""Flint vs the official Firestore emulator, measured in the same run.

For each selected phase group the official emulator is measured first and Flint
right after it, each by its own emubench process that starts fresh emulators.
The figures are compared with the project's targets in one markdown table,
printed and written to bench-results/summary.md (and to the run's folder).

Ratios are oriented so that a value above 1 means Flint is better:
official_time / flint_time, flint_ops / official_ops, official_rss / flint_rss.

Run it through scripts/bench, which prepares .venv-bench (aiohttp) first.
Options not listed here (e.g. --duration 20, --bulk-cap 180) go to emubench.py.

Debug options: --flint-cmd TEMPLATE replaces Flint's command
("{flint_bin} start --host 127.0.0.1 --port {port}"; no build unless it
contains {flint_bin}), --flint-trigger-cmd TEMPLATE (adds {fport}),
--official-bin PATH and --official-cmd TEMPLATE for the official side.
"""

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EMUBENCH = os.path.join(HERE, "emubench.py")
RESULTS = os.path.join(ROOT, "bench-results")

TARGET_QUERY = 50
TARGET_TXN = 10
TARGET_TRIGGER_P50_MS, TARGET_TRIGGER_BURST = 5.0, 10.0
ALL_PHASES = ["startup", "writes", "reads", "bulk", "query", "txn", "triggers", "errors", "grpc",
              "listen", "vector", "export", "rules", "webchannel"]
DEFAULT_PHASES = "startup,writes,reads,bulk"
# Names for several phases at once.
PHASE_ALIASES = {"rest": ["writes", "reads"]}
FLINT_CMD = "{flint_bin} start --host 127.0.0.1 --port {port}"
# The engine watches orders/* too; off here so the trigger phase measures delivery alone.
FLINT_TRIGGER_SUFFIX = " --functions-emulator 127.0.0.1:{fport} --no-engine"
OFFICIAL_CMD = "{official_bin} start --host=127.0.0.1 --port={port}"
OFFICIAL_REL = "platform/cloud-firestore-emulator/cloud_firestore_emulator"

# Hard wall-clock budget per emubench run (phase caps are enforced inside it;
# this only guards against a hung process).  Seconds.
BUDGET = {"startup": 900, "writes": 600, "reads": 900, "bulk": 900, "query": 1800,
          "txn": 900, "triggers": 1200, "errors": 600, "grpc": 900, "listen": 600,
          # loading 100k x 256-dimension vectors (--vector-ingest-cap, 900 s) and the queries
          "vector": 1800, "webchannel": 900,
          # loading 100k documents, then imports, exports and restores on both sides
          "export": 2400}

# Targets from the project's issue: ratio >= value (flint better by that factor).
TARGET_STARTUP, TARGET_RSS, TARGET_WRITES, TARGET_READS = 20.0, 10.0, 5.0, 5.0
TARGET_BULK, TARGET_BULK_FLAT = 10.0, 0.80
TARGET_GRPC_CPU, TARGET_LISTEN = 5.0, 10.0
TARGET_IMPORT_EXPORT, TARGET_RESTORE_MS, TARGET_RESTORE_VS_RESEED = 10.0, 20.0, 50.0
TARGET_WEBCHANNEL, TARGET_WEBCHANNEL_RSS = 5.0, 1.10


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ discovery

def find_official(explicit=None):
    """Path of the official emulator launcher, or None."""
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    cands = []
    if shutil.which("gcloud"):
        try:
            r = subprocess.run(["gcloud", "info", "--format=value(installation.sdk_root)"],
                               capture_output=True, text=True, timeout=60)
            if r.returncode == 0 and r.stdout.strip():
                cands.append(os.path.join(r.stdout.strip(), OFFICIAL_REL))
        except (OSError, subprocess.TimeoutExpired):
            pass
    for root in ("/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk",
                 "/opt/google-cloud-sdk", os.path.expanduser("~/google-cloud-sdk")):
        cands.append(os.path.join(root, OFFICIAL_REL))
    for c in cands:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


def build_flint():
    """swift build -c release --product flint in .build-release (apart from the debug build in
    .build, which a release build there would otherwise make rebuild); returns the binary path."""
    build = ["swift", "build", "-c", "release", "--scratch-path", ".build-release"]
    log(f"building Flint: {' '.join(build)} --product flint")
    t = time.monotonic()
    r = subprocess.run([*build, "--product", "flint"], cwd=ROOT, timeout=3600)
    if r.returncode != 0:
        raise SystemExit(f"bench: swift build failed (rc={r.returncode})")
    binp = subprocess.run([*build, "--show-bin-path"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600).stdout.strip()
    path = os.path.join(binp, "flint")
    log(f"built {path} in {time.monotonic() - t:.0f}s")
    return path


def git_rev():
    try:
        r = subprocess.run(["git", "-C", ROOT, "describe", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.strip() or None
    except (OSError, subprocess.TimeoutExpired):
        return None


# ------------------------------------------------------------------ running

def phase_groups(phases):
    """Canonical order; bulk and query share one emulator, so one run."""
    groups, seen_bq = [], False
    for ph in ALL_PHASES:
        if ph not in phases or ph == "rules":  # rules.py runs its own processes
            continue
        if ph in ("bulk", "query"):
            if not seen_bq:
                groups.append([x for x in ("bulk", "query") if x in phases])
                seen_bq = True
        else:
            groups.append([ph])
    return groups


def run_emubench(side, cmd, trigger_cmd, group, a, extra, run_dir):
    """One emubench process for one side and one phase group; returns its JSON."""
    name = "+".join(group)
    out = os.path.join(run_dir, f"{side}-{name}.json")
    argv = [sys.executable, EMUBENCH, "--cmd", cmd, "--label", side, "--out", out,
            "--captures", os.path.join(run_dir, "captures"), "--note", f"side={side}"]
    if trigger_cmd:
        argv += ["--trigger-cmd", trigger_cmd]
    if a.quick:
        argv.append("--quick")
    argv += extra + group
    budget = sum(BUDGET[g] for g in group)
    log(f"{side}: {name} (loadavg {os.getloadavg()[0]:.2f}, budget {budget}s)")
    logf = open(os.path.join(run_dir, f"{side}-{name}.log"), "w")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, text=True, bufsize=1)

    def pump():
        for line in proc.stdout:
            logf.write(line)
            print(f"  [{side}] {line}", end="", flush=True)

    th = threading.Thread(target=pump, daemon=True)
    th.start()
    try:
        proc.wait(timeout=budget)
    except subprocess.TimeoutExpired:
        log(f"{side}: {name} exceeded {budget}s; interrupting it (its emulators stop on SIGINT)")
        _interrupt(proc)
    except KeyboardInterrupt:
        _interrupt(proc)
        raise
    finally:
        th.join(timeout=5)
        logf.close()
    if proc.returncode == 2 and not os.path.exists(out):
        raise SystemExit("bench: emubench rejected its arguments (see above)")
    try:
        with open(out) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        return {"phases": {g: {"error": f"no results ({type(e).__name__}), rc={proc.returncode}"}
                           for g in group}, "metrics": []}


def _interrupt(proc):
    """SIGINT (emubench stops its emulators in finally blocks), then SIGKILL."""
    for sig, wait in ((signal.SIGINT, 30), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass


# ------------------------------------------------------------------ table

def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def fmt(v, unit="", nd=None):
    if v is None:
        return "—"
    if isinstance(v, str):
        return v
    if nd is None:
        nd = 3 if abs(v) < 1 else 2 if abs(v) < 10 else 1 if abs(v) < 1000 else 0
    s = f"{v:,.{nd}f}"
    return f"{s} {unit}".strip()


def ratio(off, fl, higher_is_better):
    if not (_num(off) and _num(fl)) or off <= 0 or fl <= 0:
        return None
    return fl / off if higher_is_better else off / fl


def fmt_ratio(r):
    return "—" if r is None else f"{r:,.2f}×" if r < 100 else f"{r:,.0f}×"


def met(r, target, official_present=True):
    if not official_present:
        return "n/a"
    if r is None:
        return "—"
    return "yes" if r >= target else "**no**"


class Side:
    """Phase results of one emulator, merged over its emubench runs."""

    def __init__(self):
        self.phases, self.meta = {}, []

    def add(self, data):
        self.phases.update(data.get("phases", {}))
        if data.get("meta"):
            self.meta.append(data["meta"])

    def ph(self, name):
        p = self.phases.get(name)
        return p if isinstance(p, dict) else {}

    def get(self, name, key):
        return self.ph(name).get(key)


def flatness(bulk):
    sl = bulk.get("slices") or []
    if len(sl) < 2 or not sl[0].get("docs_per_s"):
        return None, sl
    return sl[-1]["docs_per_s"] / sl[0]["docs_per_s"], sl


def build_rows(off, fl, phases, have_official):
    """Rows: (figure, official, flint, ratio, target, met)."""
    rows = []
    o = off if have_official else Side()

    def add(fig, ov, fv, unit, higher_better, target=None, nd=None):
        r = ratio(ov, fv, higher_better)
        tgt = f"≥ {target:g}×" if target else "info"
        m = met(r, target, have_official) if target else ""
        rows.append((fig, fmt(ov, unit, nd), fmt(fv, unit, nd), fmt_ratio(r), tgt, m))

    def cpu(phase, label):
        def cell(side):
            p = side.ph(phase)
            c, w = p.get("emulator_cpu_s"), p.get("phase_wall_s")
            if c is None:
                return None
            return f"{c:.2f} s" + (f" ({c / w:.2f} cores)" if w else "")
        ov, fv = o.get(phase, "emulator_cpu_s"), fl.get(phase, "emulator_cpu_s")
        r = ratio(ov, fv, False)
        rows.append((f"{label}: emulator CPU", cell(o) or "—", cell(fl) or "—",
                     fmt_ratio(r), "info", ""))

    if "startup" in phases:
        n = fl.get("startup", "runs") or o.get("startup", "runs")
        add(f"start → first served request (median of {n})", o.get("startup", "startup_s_median"),
            fl.get("startup", "startup_s_median"), "s", False, TARGET_STARTUP, 3)
        add("idle RSS 1 s after ready (median)", o.get("startup", "idle_rss_mib_median"),
            fl.get("startup", "idle_rss_mib_median"), "MiB", False, TARGET_RSS, 1)
        ov, fv = o.get("startup", "emulator_cpu_s"), fl.get("startup", "emulator_cpu_s")
        add("startup: emulator CPU, launch → ready + 1 s (median)", ov, fv, "s", False, None, 2)
    for ph, what, tgt in (("writes", "single-doc REST writes", TARGET_WRITES),
                          ("reads", "single-doc REST reads", TARGET_READS)):
        if ph not in phases:
            continue
        c = fl.get(ph, "clients") or o.get(ph, "clients") or 16
        add(f"{what}, {c} clients", o.get(ph, "ops_per_s"), fl.get(ph, "ops_per_s"),
            "ops/s", True, tgt)
        add(f"{ph}: p50 latency", o.get(ph, "p50_ms"), fl.get(ph, "p50_ms"), "ms", False)
        add(f"{ph}: p99 latency", o.get(ph, "p99_ms"), fl.get(ph, "p99_ms"), "ms", False)
        cpu(ph, ph)
    if "bulk" in phases:
        ob, fb = o.ph("bulk"), fl.ph("bulk")
        n = fb.get("target_docs") or ob.get("target_docs") or 100000

        def docs_cell(b):
            v = b.get("docs_per_s_overall")
            if v is None:
                return None
            return v if not b.get("capped") else \
                f"{fmt(v, 'docs/s')} (capped: {b.get('docs_written', 0):,} docs)"
        r = ratio(ob.get("docs_per_s_overall"), fb.get("docs_per_s_overall"), True)
        rows.append((f"bulk ingest of {n:,} docs, commits of 500",
                     fmt(docs_cell(ob), "docs/s"), fmt(docs_cell(fb), "docs/s"), fmt_ratio(r),
                     f"≥ {TARGET_BULK:g}×", met(r, TARGET_BULK, have_official)))

        def flat_cell(b):
            f, sl = flatness(b)
            if f is None:
                return None
            return (f"{f * 100:.0f}% ({sl[-1]['docs_per_s']:,.0f} / "
                    f"{sl[0]['docs_per_s']:,.0f} docs/s)")
        ff, fsl = flatness(fb)
        k = (fb.get("slice_docs") or ob.get("slice_docs") or 10000) // 1000
        rows.append((f"bulk flatness: rate of last {k}k slice / first {k}k slice",
                     fmt(flat_cell(ob)), fmt(flat_cell(fb)), "—",
                     f"≥ {TARGET_BULK_FLAT * 100:.0f}%",
                     "—" if ff is None else "yes" if ff >= TARGET_BULK_FLAT else "**no**"))
        add("RSS after bulk", ob.get("rss_mib_after"), fb.get("rss_mib_after"), "MiB", False,
            None, 1)
        cpu("bulk", "bulk")
    if "query" in phases:
        oq, fq = o.ph("query").get("sizes", {}), fl.ph("query").get("sizes", {})
        queries = ("eq_status", "range_amount", "array_contains", "group_eq_status", "count_all")
        sizes = sorted(set(oq) | set(fq), key=int)
        largest = sizes[-1] if sizes else None
        for size in sizes:
            for q in queries:
                ov = (oq.get(size, {}).get(q) or {}).get("p50_ms")
                fv = (fq.get(size, {}).get(q) or {}).get("p50_ms")
                # Target: at the largest size, at least 50x faster than the official emulator.
                add(f"query {q} on {int(size):,} docs: p50", ov, fv, "ms", False,
                    TARGET_QUERY if size == largest and int(size) >= 100000 else None)
        if sizes and len(sizes) > 1:
            for q in queries:
                small = (fq.get(sizes[0], {}).get(q) or {}).get("p50_ms")
                big = (fq.get(largest, {}).get(q) or {}).get("p50_ms")
                if small and big:
                    growth = big / small
                    rows.append((f"flint query {q}: p50 at {int(largest):,} / at {int(sizes[0]):,} docs",
                                 "—", f"{growth:.2f}×", "—", "≤ 2×", "yes" if growth <= 2 else "**no**"))
        cpu("query", "query")
    if "txn" in phases:
        add("txn: 8×25 contended increments: wall time", o.get("txn", "wall_s"),
            fl.get("txn", "wall_s"), "s", False, TARGET_TXN)
        add("txn: p99 per transaction", o.get("txn", "txn_p99_ms"),
            fl.get("txn", "txn_p99_ms"), "ms", False)
        p99 = fl.get("txn", "txn_p99_ms")
        if p99 is not None:
            rows.append(("flint txn p99 per transaction", "—", f"{p99:.1f} ms", "—", "< 100 ms",
                         "yes" if p99 < 100 else "**no**"))

        def final(s):
            v, e = s.get("txn", "final_value"), s.get("txn", "expected_value")
            return None if e is None else f"{v}/{e}"
        rows.append(("txn: final counter / expected", fmt(final(o)), fmt(final(fl)), "—",
                     "info", ""))
        cpu("txn", "txn")
    if "triggers" in phases:
        for gen in ("gen1", "gen2"):
            def lat(s, k):
                g = s.ph("triggers").get(gen) or {}
                return (g.get("latency_from_write_response") or {}).get(k)
            p50 = lat(fl, "p50_ms")
            rows.append((f"trigger {gen}: delivery after write response, p50 / p99 ms",
                         _pair(lat(o, "p50_ms"), lat(o, "p99_ms")),
                         _pair(p50, lat(fl, "p99_ms")), "—", f"p50 < {TARGET_TRIGGER_P50_MS:g} ms",
                         "—" if p50 is None else "yes" if p50 < TARGET_TRIGGER_P50_MS else "**no**"))

            def burst(s, k):
                return ((s.ph("triggers").get(gen) or {}).get("burst") or {}).get(k)
            n = burst(fl, "writes") or burst(o, "writes")
            add(f"trigger {gen}: burst of {n} writes (8 writers, 20 ms function) drained",
                burst(o, "drained_s"), burst(fl, "drained_s"), "s", False, TARGET_TRIGGER_BURST)

            def delivered(s):
                d, w = burst(s, "distinct_events"), burst(s, "writes")
                if d is None:
                    return None
                return f"{d}/{w}" + ("" if burst(s, "per_document_in_order") else ", out of order")
            ok = burst(fl, "all_delivered") and burst(fl, "per_document_in_order")
            rows.append((f"trigger {gen}: burst events delivered (per-document order)", fmt(delivered(o)),
                         fmt(delivered(fl)), "—", "all, in order",
                         "—" if burst(fl, "writes") is None else "yes" if ok else "**no**"))

            def ack(s):
                return (burst(s, "ack_to_event") or {}).get("p50_ms")
            add(f"trigger {gen}: burst write ack → event p50", ack(o), ack(fl), "ms", False)
    if "grpc" in phases:
        for part, what in (("writes", "write (doc.set → Commit)"),
                           ("reads", "read (doc.get → BatchGetDocuments)")):
            op, fp = o.ph("grpc").get(part) or {}, fl.ph("grpc").get(part) or {}
            th = fp.get("threads") or op.get("threads") or 16

            def cell(p, key):
                if p.get("error") and p.get(key) is None:
                    return _failed(p["error"])
                return p.get(key)
            r = ratio(op.get("cpu_ms_per_op"), fp.get("cpu_ms_per_op"), False)
            rows.append((f"gRPC SDK: emulator CPU per {what}, {th} threads",
                         fmt(cell(op, "cpu_ms_per_op"), "ms", 3),
                         fmt(cell(fp, "cpu_ms_per_op"), "ms", 3), fmt_ratio(r),
                         f"≥ {TARGET_GRPC_CPU:g}×", met(r, TARGET_GRPC_CPU, have_official)))
            add(f"gRPC SDK {part}: throughput (client-bound)", op.get("ops_per_s"),
                fp.get("ops_per_s"), "ops/s", True)
            add(f"gRPC SDK {part}: p50 latency", op.get("p50_ms"), fp.get("p50_ms"), "ms", False)
            add(f"gRPC SDK {part}: p99 latency", op.get("p99_ms"), fp.get("p99_ms"), "ms", False)

            def load(p):
                if p.get("emulator_cores") is None:
                    return "—"
                return f"{p['emulator_cores']:.2f} / {p.get('client_cores', 0):.2f} cores"
            rows.append((f"gRPC SDK {part}: emulator / client CPU while measured", load(op),
                         load(fp), "—", "info", ""))
    if "listen" in phases:
        def part(side, name):
            return side.ph("listen").get(name) or {}

        def lat(side, name, key, q):
            p = part(side, name)
            if p.get("error"):
                return _failed(p["error"])
            return (p.get(key) or {}).get(q)
        # The official emulator sends the Listen message before (or with) the commit response,
        # so "commit ack → message" is about zero or negative there and no ratio of it means
        # anything; the target is judged on "write sent → message", which is always positive.
        for q, target in (("p50_ms", TARGET_LISTEN), ("p99_ms", None)):
            ov, fv = lat(o, "raw", "from_send", q), lat(fl, "raw", "from_send", q)
            r = ratio(ov, fv, False)
            m = met(r, target, have_official) if target else ""
            if target and have_official and isinstance(fv, str):
                m = "**no**"                                  # Flint's listener failed
            rows.append((f"listen: raw Commit sent → Listen documentChange arrives, "
                         f"{q[:3]}", fmt(ov, "ms", 3), fmt(fv, "ms", 3), fmt_ratio(r),
                         f"≥ {target:g}×" if target else "info", m))

        def rtt_cell(side):
            p = part(side, "raw")
            if p.get("error"):
                return _failed(p["error"])
            rt = p.get("commit_round_trip") or {}
            return _pair3(rt.get("p50_ms"), rt.get("p99_ms"))
        rows.append(("listen: the same raw Commit's round trip, p50 / p99 ms", rtt_cell(o),
                     rtt_cell(fl), "—", "info", ""))

        def ack_cell(side):
            p = part(side, "raw")
            if p.get("error"):
                return _failed(p["error"])
            fa = p.get("from_ack") or {}
            if not fa.get("n"):
                return None
            early = p.get("arrived_before_ack", 0) * 100.0 / fa["n"]
            return (f"{fa['p50_ms']:.3f} / {fa['p99_ms']:.3f} ms "
                    f"({early:.0f}% before the ack)")
        rows.append(("listen: commit ack → Listen documentChange, p50 / p99", fmt(ack_cell(o)),
                     fmt(ack_cell(fl)), "—", "info", ""))

        def cb_cell(side):
            p = part(side, "on_snapshot")
            if p.get("error"):
                return _failed(p["error"])
            fa = p.get("from_ack") or {}
            return _pair3(fa.get("p50_ms"), fa.get("p99_ms"))
        rows.append(("listen: SDK set() returns → on_snapshot callback, p50 / p99 ms",
                     cb_cell(o), cb_cell(fl), "—", "info", ""))
    if "webchannel" in phases:
        def wc(side, part, key):
            p = side.ph("webchannel")
            if p.get("error"):
                return _failed(p["error"])
            q = p.get(part) or {}
            return _failed(q["error"]) if q.get("error") else q.get(key)
        for q in ("p50_ms", "p99_ms"):
            ov, fv = wc(o, "round_trip", q), wc(fl, "round_trip", q)
            r = ratio(ov, fv, False)
            rows.append((f"webchannel: write (Write channel) → listener's documentChange, {q[:3]}",
                         fmt(ov, "ms", 3), fmt(fv, "ms", 3), fmt_ratio(r), f"≥ {TARGET_WEBCHANNEL:g}×",
                         met(r, TARGET_WEBCHANNEL, have_official)))
        ov, fv = wc(o, "writes", "writes_per_s"), wc(fl, "writes", "writes_per_s")
        r = ratio(ov, fv, True)
        rows.append(("webchannel: writes/s (4 sessions, one write at a time each)", fmt(ov, "/s", 1),
                     fmt(fv, "/s", 1), fmt_ratio(r), f"≥ {TARGET_WEBCHANNEL:g}×",
                     met(r, TARGET_WEBCHANNEL, have_official)))

        def rss_cell(side):
            p = side.ph("webchannel")
            c = (p.get("churn") or {}) if not p.get("error") else {}
            if c.get("error") or p.get("error"):
                return _failed(c.get("error") or p.get("error"))
            if c.get("rss_idle_mib") is None:
                return None
            failed = f", {c['failed']} failed" if c.get("failed") else ""
            return (f"{c['rss_idle_mib']:.0f} → {c['rss_open_mib']:.0f} → {c['rss_after_mib']:.0f} MiB "
                    f"(×{c['rss_after_over_idle']:.2f}{failed})")
        fr = wc(fl, "churn", "rss_after_over_idle")
        ok = "yes" if isinstance(fr, (int, float)) and fr <= TARGET_WEBCHANNEL_RSS else "**no**"
        n = wc(fl, "churn", "sessions")
        w = wc(fl, "churn", "warmup_sessions")
        rows.append((f"webchannel: RSS idle (after {w if isinstance(w, int) else 'a few'} sessions) → "
                     f"{n if isinstance(n, int) else 'N'} sessions open → all closed",
                     fmt(rss_cell(o)), fmt(rss_cell(fl)), "—", f"closed ≤ {TARGET_WEBCHANNEL_RSS:.2f}× idle", ok))
    if "vector" in phases:
        ov, fv = o.ph("vector"), fl.ph("vector")

        def loaded(p):
            if p.get("docs_written") is None:
                return None
            return (f"{p['docs_written']:,} × {p.get('dims')} dims, {p.get('ingest_docs_per_s') or 0:,.0f} docs/s"
                    + (" (capped)" if p.get("capped") else ""))
        rows.append(("vector: documents loaded (commits of 500)", fmt(loaded(ov)), fmt(loaded(fv)), "—",
                     "info", ""))
        n = fv.get("docs_written") or ov.get("docs_written") or 0
        k = fv.get("categories") or ov.get("categories") or 10
        for q in ("p50_ms", "p99_ms"):
            add(f"vector: findNearest 10 nearest, category == x (1 of {k}), {n:,} docs: {q[:3]}",
                (ov.get("query") or {}).get(q), (fv.get("query") or {}).get(q), "ms", False)
        oa, fa = ov.get("answers") or [], fv.get("answers") or []
        if oa and fa:
            same = sum(1 for x, y in zip(oa, fa) if x == y)
            rows.append(("vector: queries answered with the official emulator's ids, in order", "—",
                         f"{same}/{min(len(oa), len(fa))}", "—", "info", ""))
        add("RSS after vector", ov.get("rss_mib_after"), fv.get("rss_mib_after"), "MiB", False, None, 1)
        cpu("vector", "vector")
    if "export" in phases:
        e = fl.ph("export")
        n = e.get("docs") or 100000
        add(f"export: import of {n:,} documents (launch with it − bare launch)", e.get("official_import_s"),
            e.get("flint_import_s"), "s", False, TARGET_IMPORT_EXPORT, 2)
        add(f"export: export of {n:,} documents (POST :export)", e.get("official_export_s"),
            e.get("flint_export_s"), "s", False, TARGET_IMPORT_EXPORT, 2)
        sn = e.get("snapshot_docs") or 10000
        restore_ms = e.get("flint_restore_s") * 1000 if _num(e.get("flint_restore_s")) else None
        rows.append((f"export: snapshot restore, {sn:,} documents (median)", "—", fmt(restore_ms, "ms", 1), "—",
                     f"≤ {TARGET_RESTORE_MS:g} ms",
                     "—" if restore_ms is None else ("yes" if restore_ms <= TARGET_RESTORE_MS else "**no**")))
        add(f"export: official clear + re-seed {sn:,} through the API vs Flint's restore",
            e.get("official_reseed_s"), e.get("flint_restore_s"), "s", False, TARGET_RESTORE_VS_RESEED, 3)
        rows.append((f"export: Flint's own clear + re-seed {sn:,} through the API", "—",
                     fmt(e.get("flint_reseed_s"), "s", 3), "—", "info", ""))
        if e.get("error"):
            rows.append(("export: error", "—", e["error"], "—", "", ""))
    if "errors" in phases:
        os_, fs = o.get("errors", "statuses") or {}, fl.get("errors", "statuses") or {}
        keys = [k for k in os_ if not k.startswith("_")]
        same = sum(1 for k in keys if os_.get(k) == fs.get(k))
        rows.append(("error cases answering the official emulator's HTTP status",
                     f"{len(keys)} cases" if keys else "—",
                     f"{same}/{len(keys)}" if keys and fs else "—", "—", "info", ""))
    return rows


def _failed(err):
    err = str(err)
    err = err if err.startswith("failed") else f"failed: {err}"
    return err if len(err) <= 90 else err[:87] + "..."


def _pair3(a, b):
    return "—" if a is None else f"{a:.3f} / {b:.3f}" if b is not None else f"{a:.3f}"


def _pair(a, b):
    return "—" if a is None else f"{a:.1f} / {b:.1f}" if b is not None else f"{a:.1f}"


def notes(off, fl, have_official):
    out = []
    for label, side in (("official", off), ("flint", fl)):
        if label == "official" and not have_official:
            continue
        for ph, p in side.phases.items():
            if not isinstance(p, dict):
                continue
            if p.get("error"):
                out.append(f"{label} {ph}: ERROR {p['error']}")
            if p.get("errors") and isinstance(p["errors"], dict):
                out.append(f"{label} {ph}: failed requests {p['errors']}")
            for sub in ("writes", "reads", "raw", "on_snapshot"):
                q = p.get(sub)
                if isinstance(q, dict) and q.get("error"):
                    out.append(f"{label} {ph} {sub}: {q['error']}")
                elif isinstance(q, dict) and q.get("errors"):
                    out.append(f"{label} {ph} {sub}: failed requests {q['errors']}")
            busy = p.get("other_cores_avg")
            if isinstance(busy, list):
                busy = max(busy) if busy else None
            if _num(busy) and busy > 0.3:
                out.append(f"{label} {ph}: other processes used {busy:.2f} cores on average "
                           "(noisy machine)")
            cc, w = p.get("client_cpu_s"), p.get("phase_wall_s")
            if _num(cc) and w and cc / w > 0.7:
                out.append(f"{label} {ph}: the client used {cc / w:.2f} cores; "
                           "the figure may be client-bound")
    return out


def render(rows, header, foot):
    cols = ("figure", "official", "flint", "ratio", "target", "met?")
    lines = header + ["", "| " + " | ".join(cols) + " |",
                      "|" + "|".join(["---", "---:", "---:", "---:", "---", "---"]) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(str(c).replace("|", "/") for c in r) + " |")
    return "\n".join(lines + [""] + foot) + "\n"


# ------------------------------------------------------------------ main

def parse(argv):
    p = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke-test sizes (2 startups, 3 s loads, 5k bulk); "
                        "figures are not meaningful for the targets")
    p.add_argument("--phases", default=DEFAULT_PHASES,
                   help=f"comma list of {','.join(ALL_PHASES)}, 'rest' (writes,reads) or 'all' "
                        f"(default {DEFAULT_PHASES})")
    p.add_argument("--skip-official", action="store_true",
                   help="measure Flint alone")
    p.add_argument("--flint-bin", help="use this flint binary instead of building one")
    p.add_argument("--flint-cmd", default=FLINT_CMD, help=argparse.SUPPRESS)
    p.add_argument("--flint-trigger-cmd", help=argparse.SUPPRESS)
    p.add_argument("--official-bin", help=argparse.SUPPRESS)
    p.add_argument("--official-cmd", help=argparse.SUPPRESS)
    a, extra = p.parse_known_args(argv)
    a.phases = ALL_PHASES if a.phases.strip() == "all" else \
        [y for x in a.phases.split(",") if x.strip() for y in PHASE_ALIASES.get(x.strip(), [x.strip()])]
    bad = [x for x in a.phases if x not in ALL_PHASES]
    if bad or not a.phases:
        p.error(f"unknown phase(s) {bad}; choose from {','.join(ALL_PHASES)} or all")
    stray = [x for i, x in enumerate(extra) if not x.startswith("-") and not (
        i and extra[i - 1].startswith("--") and "=" not in extra[i - 1])]
    if stray:
        p.error(f"unexpected argument(s) {stray}")
    return a, extra


def main(argv=None):
    a, extra = parse(sys.argv[1:] if argv is None else argv)

    # official emulator command
    official_cmd, official_note = None, None
    if not a.skip_official:
        if a.official_cmd:
            official_cmd = a.official_cmd
        else:
            ob = find_official(a.official_bin)
            if ob:
                official_cmd = OFFICIAL_CMD.replace("{official_bin}", shlex.quote(ob))
            else:
                official_note = "official emulator not installed: reporting Flint alone"
                log(official_note)
    else:
        official_note = "official emulator skipped (--skip-official)"

    # flint command
    flint_cmd = a.flint_cmd
    trig = a.flint_trigger_cmd or (flint_cmd + FLINT_TRIGGER_SUFFIX)
    if "{flint_bin}" in flint_cmd or ("triggers" in a.phases and "{flint_bin}" in trig):
        fb = a.flint_bin or build_flint()
        if not (os.path.isfile(fb) and os.access(fb, os.X_OK)):
            raise SystemExit(f"bench: flint binary {fb!r} is missing or not executable")
        fbq = shlex.quote(os.path.abspath(fb))
        flint_cmd = flint_cmd.replace("{flint_bin}", fbq)
        trig = trig.replace("{flint_bin}", fbq)

    stamp = time.strftime("%Y%m%d-%H%M%S") + ("-quick" if a.quick else "")
    run_dir = os.path.join(RESULTS, stamp)
    os.makedirs(os.path.join(run_dir, "captures"), exist_ok=True)
    log(f"results -> {os.path.relpath(run_dir, ROOT)}/")
    load0, t0 = os.getloadavg(), time.monotonic()

    off, fl = Side(), Side()
    try:
        for group in phase_groups(a.phases):
            if group == ["export"]:
                # Moves data between the two emulators, so it runs both itself.
                import exportbench
                fb = a.flint_bin or (shlex.split(flint_cmd)[0] if flint_cmd else None)
                ob = find_official(a.official_bin) if official_cmd else None
                result = exportbench.run(fb, ob, quick=a.quick, emit=log)
                off.phases["export"], fl.phases["export"] = result, result
                continue
            if official_cmd:
                off.add(run_emubench("official", official_cmd, None, group, a, extra, run_dir))
            fl.add(run_emubench("flint", flint_cmd, trig, group, a, extra, run_dir))
    except KeyboardInterrupt:
        log("interrupted; partial results are in " + os.path.relpath(run_dir, ROOT))
        return 130

    have_official = bool(official_cmd)
    rows = build_rows(off, fl, a.phases, have_official)
    if "rules" in a.phases:
        import rules as rules_phase
        rules_rows, rules_raw = rules_phase.run(flint_cmd, official_cmd, quick=a.quick)
        rows += rules_rows
        with open(os.path.join(run_dir, "rules.json"), "w") as f:
            json.dump(rules_raw, f, indent=2)
    header = [f"# Flint vs official Firestore emulator — {stamp}", "",
              f"- phases: {','.join(a.phases)}; mode: "
              f"{'QUICK smoke test (sizes too small for the targets)' if a.quick else 'full'}"
              + (f"; extra emubench args: {' '.join(extra)}" if extra else ""),
              f"- official: `{official_cmd}`" if official_cmd else f"- official: {official_note}",
              f"- flint: `{flint_cmd}` (tree {git_rev() or '?'})",
              f"- host: {os.cpu_count()} cores; loadavg at start {load0[0]:.2f}, at end "
              f"{os.getloadavg()[0]:.2f}; wall {time.monotonic() - t0:.0f} s",
              f"- raw results: bench-results/{stamp}/ (per side and phase: JSON and log)"]
    foot = ["ratio > 1 means Flint is better (official_time/flint_time, "
            "flint_ops/official_ops, official_rss/flint_rss, official_cpu/flint_cpu). "
            "Phases ran back to back, official first, each in fresh processes."]
    ns = notes(off, fl, have_official)
    if ns:
        foot += ["", "Notes:"] + [f"- {n}" for n in ns]
    text = render(rows, header, foot)
    for path in (os.path.join(run_dir, "summary.md"), os.path.join(RESULTS, "summary.md")):
        with open(path, "w") as f:
            f.write(text)
    with open(os.path.join(run_dir, "summary.json"), "w") as f:
        json.dump({"official_cmd": official_cmd, "flint_cmd": flint_cmd, "phases": a.phases,
                   "quick": a.quick, "rows": rows, "notes": ns,
                   "official": off.phases, "flint": fl.phases}, f, indent=2, default=str)
    print("\n" + text, flush=True)
    log(f"table written to bench-results/summary.md and bench-results/{stamp}/summary.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
