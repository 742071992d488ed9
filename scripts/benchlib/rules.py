"""The security rules phase: REST reads and writes, 16 clients, with rules/firestore.rules loaded.

One Flint process serves two projects — one without rules, one with the blueprint rule set
(loaded with PUT :securityRules, so the same binary and warm process serve both) — and the
official emulator serves the same rule set.  Every client is a different customer signed in by
phone (an unsigned mock token), reading their own profile and creating orders for themselves,
so every request is judged and allowed.

This 2-core machine loses CPU to its neighbours in bursts (the same fixed loop can take 1.7× as
long from one moment to the next), which decided earlier versions of this phase that compared
whole 10 s rounds.  So the three sides are measured in short paired slices instead: both servers
run throughout, and each cycle measures Flint without and with rules (their order swapped every
other cycle) and then the official emulator, 2 s each.  Before each slice the server not being
measured must be quiet (under 5 % of a core for half a second): after its load stops the JVM goes
on collecting and compiling for seconds, and after a fixed one-second pause it still used up to
1.8 CPU-seconds during the 3 s Flint slice that followed.  What the other server used during
each slice is recorded (`others_cpu_s`).  A ratio is the median over cycles of the ratio within
a cycle, so a burst moves one ratio, not the result.  The official emulator is first warmed up with two minutes of the same reads and writes
in turn: after 10 s of one kind alone its JVM still got faster from cycle to cycle, and its reads
ran twice as fast once its writes had warmed it too.  Both servers are driven by wrk (rules.lua).
Figures: ops/s
for each side (median of its slices), the throughput Flint keeps with rules (target ≥ 85 %), and
Flint with rules against the official emulator with rules (target ≥ 5×).
"""

import asyncio
import base64
import itertools
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
import urllib.parse

import yarl

from load import _session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "rules", "firestore.rules")
LUA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules.lua")
OWNER = {"Authorization": "Bearer owner"}


def mock_token(phone):
    def b64(o):
        return base64.urlsafe_b64encode(json.dumps(o).encode()).rstrip(b"=").decode()
    claims = {"iss": "https://securetoken.google.com/bench", "aud": "bench", "iat": 1700000000,
              "exp": 4102444800, "sub": f"user-{phone}", "user_id": f"user-{phone}", "phone_number": "+91" + phone,
              "firebase": {"sign_in_provider": "phone", "identities": {}}}
    return f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."


def phone(w):
    return f"90000{w:05d}"


async def _call(s, method, url, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data is not None:
        h["Content-Type"] = "application/json"
    async with s.request(method, yarl.URL(url, encoded=True), data=data, headers=h) as r:
        return r.status, await r.read()


async def prepare(base, project, clients, rules):
    async with _session() as s:
        if rules is not None:
            st, raw = await _call(s, "PUT", f"{base}/emulator/v1/projects/{project}:securityRules",
                                  {"rules": {"files": [{"name": "firestore.rules", "content": rules}]}})
            if st != 200:
                raise RuntimeError(f"loading rules failed: {st} {raw[:300]!r}")
        root = f"{base}/v1/projects/{project}/databases/(default)/documents"
        for w in range(clients):
            p = phone(w)
            st, raw = await _call(s, "PATCH", f"{root}/customers/{p}", {"fields": {
                "phone": {"stringValue": p}, "name": {"stringValue": f"Customer {w}"},
                "trustScore": {"integerValue": "50"}, "loyaltyTier": {"stringValue": "new"}}}, OWNER)
            if st != 200:
                raise RuntimeError(f"seeding failed: {st} {raw[:300]!r}")


def measure(base, project, clients, kind, duration, warmup, cpu):
    """One slice of `kind` (reads or writes): wrk (rules.lua), one thread and keep-alive
    connection per client, first `warmup` seconds unmeasured, then `duration` seconds measured.
    The load generator shares this 2-core machine with the server it measures, so it must cost
    little: the lean Python asyncio client it replaced used 0.064 ms of CPU per read, wrk 0.028 ms.
    `cpu()` gives the server's CPU seconds, for its CPU per request (warm-up included)."""
    root = urllib.parse.urlsplit(base).path.rstrip("/") + f"/v1/projects/{project}/databases/(default)/documents"

    def order(w):
        return json.dumps({"fields": {
            "customerPhone": {"stringValue": phone(w)}, "total": {"integerValue": "249"},
            "source": {"stringValue": "website"}, "internalStatus": {"stringValue": "created_pending"},
            "items": {"arrayValue": {"values": [{"mapValue": {"fields": {
                "productId": {"stringValue": "PROD_001"}, "qty": {"integerValue": "1"},
                "price": {"integerValue": "249"}}}}]}}}})

    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as f:
        for w in range(clients):
            path, body = (f"{root}/orders", order(w)) if kind == "writes" else (f"{root}/customers/{phone(w)}", "")
            f.write(f"{mock_token(phone(w))}\t{path}\t{body}\n")
    try:
        before = cpu()
        results = [_wrk(base, clients, seconds, kind, f.name) for seconds in (warmup, duration)]
        cpu_s = cpu() - before
    finally:
        os.unlink(f.name)
    warm, r = results
    seconds = r["duration_us"] / 1e6
    ok = r["requests"] - r["status_errors"]
    errors = {k: v for k, v in (("status ≥ 400", r["status_errors"]), ("socket", r["socket_errors"])) if v}
    return {"clients": clients, "duration_s": round(seconds, 3), "ok": ok,
            "completed": ok + warm["requests"] - warm["status_errors"], "errors": errors,
            "ops_per_s": round(ok / seconds, 1) if seconds > 0 else None,
            "p50_ms": r["p50_ms"], "p99_ms": r["p99_ms"], "cpu_s": cpu_s}


def _wrk(base, clients, seconds, kind, clients_file):
    out = subprocess.run(
        ["wrk", "-t", str(clients), "-c", str(clients), "-d", f"{seconds}s", "-s", LUA, base + "/",
         "--", kind, str(next(_runs)), clients_file],
        capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


_runs = itertools.count()


def settle(emus, quiet=0.05, window=0.5, cap=30.0):
    """Waits until every server in `emus` uses under `quiet` of a core for `window` seconds (at
    most `cap` seconds); returns the seconds waited."""
    start = time.monotonic()
    while emus and time.monotonic() - start < cap:
        before = [e.cpu_s() for e in emus]
        time.sleep(window)
        if all(e.cpu_s() - b < quiet * window for e, b in zip(emus, before)):
            break
    return time.monotonic() - start


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def summary(slices):
    """A side's slices of one kind: median ops/s, every slice's figure, CPU per request over all
    of them, and the errors of all of them."""
    errors = {}
    for r in slices:
        for k, v in (r.get("errors") or {}).items():
            errors[k] = errors.get(k, 0) + v
    completed = sum(r["completed"] for r in slices)
    return {"ops_per_s": median([r.get("ops_per_s") for r in slices]),
            "slices_ops_per_s": [r.get("ops_per_s") for r in slices],
            "others_cpu_s": [round(r["others_cpu_s"], 2) for r in slices],
            "settled_s": round(sum(r["settled_s"] for r in slices), 1),
            "cpu_ms_per_op": round(sum(r["cpu_s"] for r in slices) * 1000 / completed, 4) if completed else None,
            "errors": errors}


def run(flint_cmd, official_cmd, quick=False, clients=16):
    """Returns table rows (figure, official, flint, ratio, target, met) and the raw figures."""
    from emuproc import Emulator
    if not shutil.which("wrk"):
        raise RuntimeError("the rules phase drives both servers with wrk: apt-get install wrk")
    # wrk takes whole seconds.
    cycles, duration, warmup, official_warmup = (3, 1, 1, 20) if quick else (10, 2, 1, 120)
    rules = open(RULES).read()
    slices = {}
    fl = Emulator(flint_cmd.replace(" --no-engine", "") + " --no-engine", "http://127.0.0.1:{port}/", label="flint-rules")
    off = Emulator(official_cmd, "http://127.0.0.1:{port}/", label="official-rules") if official_cmd else None
    try:
        fl.start()
        asyncio.run(prepare(fl.base, "bench-open", clients, None))
        asyncio.run(prepare(fl.base, "bench-rules", clients, rules))
        if off:
            off.start()
            asyncio.run(prepare(off.base, "bench-rules", clients, rules))
            # The JVM compiles its hot paths over the first minute or more of load (its writes
            # reached their plateau after about 70 s here): reads and writes in turn until then.
            for i in range(official_warmup // 10):
                measure(off.base, "bench-rules", clients, ("reads", "writes")[i % 2], 9, 1, off.cpu_s)
        pair = [("flint_open", fl, "bench-open"), ("flint_rules", fl, "bench-rules")]
        for kind in ("reads", "writes"):
            for cycle in range(cycles):
                # Flint without and with rules back to back, their order swapped every other cycle,
                # then the official emulator; each slice starts once the other server is quiet.
                order = (pair if cycle % 2 == 0 else pair[::-1]) + ([("official_rules", off, "bench-rules")] if off else [])
                for side, emu, project in order:
                    others = [e for e in (fl, off) if e is not None and e is not emu]
                    waited = settle(others)
                    before = sum(e.cpu_s() for e in others)
                    r = measure(emu.base, project, clients, kind, duration, warmup, emu.cpu_s)
                    r["others_cpu_s"] = sum(e.cpu_s() for e in others) - before
                    r["settled_s"] = waited
                    slices.setdefault(side, {}).setdefault(kind, []).append(r)
    finally:
        fl.stop()
        if off:
            off.stop()

    def ops(side, kind):
        return [r.get("ops_per_s") for r in slices.get(side, {}).get(kind, [])]

    def paired(a, b, kind):
        """Median over cycles of side a's ops/s over side b's in the same cycle."""
        return median([x / y for x, y in zip(ops(a, kind), ops(b, kind)) if x and y])

    raw = {side: {kind: summary(s) for kind, s in kinds.items()} for side, kinds in slices.items()}
    rows = []
    for kind in ("reads", "writes"):
        fo = raw["flint_open"][kind]["ops_per_s"]
        fr = raw["flint_rules"][kind]["ops_per_s"]
        of = raw.get("official_rules", {}).get(kind, {}).get("ops_per_s")
        k = paired("flint_rules", "flint_open", kind)
        raw.setdefault("ratios", {})[f"{kind}_kept"] = k
        rows.append((f"rules: REST {kind}, {clients} clients, Flint without → with rules", f"{fo:,.0f} ops/s" if fo else "—",
                     f"{fr:,.0f} ops/s" if fr else "—", f"{k:.2f}×" if k else "—", "≥ 0.85×",
                     "yes" if k and k >= 0.85 else "**no**"))
        r = paired("flint_rules", "official_rules", kind) if of else None
        raw["ratios"][f"{kind}_vs_official"] = r
        rows.append((f"rules: REST {kind}, {clients} clients, both with rules", f"{of:,.0f} ops/s" if of else "—",
                     f"{fr:,.0f} ops/s" if fr else "—", f"{r:.2f}×" if r else "—", "≥ 5×",
                     ("yes" if r >= 5 else "**no**") if r else "n/a"))
        # CPU per request: Flint's capacity with and without rules, whatever else the machine ran.
        co, cr = (raw[side][kind]["cpu_ms_per_op"] for side in ("flint_open", "flint_rules"))
        oc = raw.get("official_rules", {}).get(kind, {}).get("cpu_ms_per_op")
        if co and cr:
            rows.append((f"rules: Flint CPU per REST {kind}, without → with rules", f"{co:.3f} ms",
                         f"{cr:.3f} ms", f"{co / cr:.2f}×", "info", ""))
        if oc and cr:
            rows.append((f"rules: CPU per REST {kind}, both with rules", f"{oc:.3f} ms",
                         f"{cr:.3f} ms", f"{oc / cr:.2f}×", "info", ""))
        # The neighbour's leftovers: what the server not measured still used during the slices.
        for side in ("flint_open", "flint_rules", "official_rules"):
            used = raw.get(side, {}).get(kind, {}).get("others_cpu_s")
            if used:
                rows.append((f"rules: CPU the other server used during {side} {kind} slices (max, total)", "",
                             f"{max(used):.2f} s, {sum(used):.2f} s", "", "info", ""))
        for side in ("flint_open", "flint_rules", "official_rules"):
            errs = raw.get(side, {}).get(kind, {}).get("errors")
            if errs:
                rows.append((f"rules: {side} {kind} errors", "", json.dumps(errs), "", "info", ""))
    return rows, raw
