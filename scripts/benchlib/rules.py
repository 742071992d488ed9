"""The security rules phase: REST reads and writes, 16 clients, with rules/firestore.rules loaded.

One Flint process serves two projects — one without rules, one with the blueprint rule set
(loaded with PUT :securityRules, so the same binary and warm process serve both) — and the
official emulator serves the same rule set.  Every client is a different customer signed in by
phone (an unsigned mock token), reading their own profile and creating orders for themselves,
so every request is judged and allowed.  Each is measured in three interleaved rounds and the best
round counts (the same for every side).  Figures: ops/s for each, the throughput Flint keeps
with rules (target ≥ 85 %), and Flint with rules against the official emulator with rules
(target ≥ 5×).
"""

import asyncio
import base64
import itertools
import json
import os
import urllib.parse

import yarl

from keepalive import KeepAlive
from load import _timed_workers, _session

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RULES = os.path.join(ROOT, "rules", "firestore.rules")
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


async def measure(base, project, clients, duration, warmup, cpu):
    """Reads and writes on lean keep-alive connections (keepalive.py): with aiohttp the Python
    client used more than half a core at Flint's rates, which the server then lacked.  `cpu()`
    gives the server's CPU seconds, for its CPU per request (warm-up included)."""
    root = urllib.parse.urlsplit(base).path.rstrip("/") + f"/v1/projects/{project}/databases/(default)/documents"
    headers = {w: f"Authorization: Bearer {mock_token(phone(w))}\r\n".encode() for w in range(clients)}
    run_id = next(_runs)  # every round creates new orders

    def read(c, w, seq):
        return c.request("GET", f"{root}/customers/{phone(w)}", headers[w])

    def order(w):
        return json.dumps({"fields": {
            "customerPhone": {"stringValue": phone(w)}, "total": {"integerValue": "249"},
            "source": {"stringValue": "website"}, "internalStatus": {"stringValue": "created_pending"},
            "items": {"arrayValue": {"values": [{"mapValue": {"fields": {
                "productId": {"stringValue": "PROD_001"}, "qty": {"integerValue": "1"},
                "price": {"integerValue": "249"}}}}]}}}}).encode()
    bodies = {w: order(w) for w in range(clients)}

    def write(c, w, seq):
        return c.request("POST", f"{root}/orders?documentId=o-{run_id}-{w:02d}-{seq:08d}", headers[w], bodies[w])

    def connect():
        return KeepAlive(base)

    async def timed(make):
        before = cpu()
        r = await _timed_workers(clients, duration, warmup, make, connect)
        if r["completed"]:
            r["cpu_ms_per_op"] = round((cpu() - before) * 1000 / r["completed"], 4)
        return r

    reads = await timed(read)
    writes = await timed(write)
    return {"reads": reads, "writes": writes}


ROUNDS = 3
_runs = itertools.count()


def best(rounds):
    """Per kind (reads, writes), the round with the most ops/s; every round's figure is kept too,
    and the median of the rounds' CPU per request.  A round with errors does not count."""
    out = {}
    for kind in rounds[0]:
        clean = [r for r in rounds if not r[kind].get("errors")] or rounds
        top = max(clean, key=lambda r: r[kind].get("ops_per_s") or 0)[kind]
        cpu = sorted(r[kind]["cpu_ms_per_op"] for r in clean if r[kind].get("cpu_ms_per_op"))
        out[kind] = {**top, "rounds_ops_per_s": [r[kind].get("ops_per_s") for r in rounds],
                     "median_cpu_ms_per_op": cpu[len(cpu) // 2] if cpu else None}
    return out


def run(flint_cmd, official_cmd, quick=False, clients=16):
    """Returns table rows (figure, official, flint, ratio, target, met) and the raw figures."""
    from emuproc import Emulator
    duration, warmup = (3.0, 1.0) if quick else (10.0, 2.0)
    rules = open(RULES).read()
    raw = {}
    with Emulator(flint_cmd.replace(" --no-engine", "") + " --no-engine", "http://127.0.0.1:{port}/", label="flint-rules") as fl:
        fl.start()
        asyncio.run(prepare(fl.base, "bench-open", clients, None))
        asyncio.run(prepare(fl.base, "bench-rules", clients, rules))
        # Interleaved rounds, best of each kept: on a small machine one 10 s run can lose a third
        # of its throughput to something else running, and the order of two runs would bias them.
        runs = {"flint_open": [], "flint_rules": []}
        for _ in range(ROUNDS):
            runs["flint_open"].append(asyncio.run(measure(fl.base, "bench-open", clients, duration, warmup, fl.cpu_s)))
            runs["flint_rules"].append(asyncio.run(measure(fl.base, "bench-rules", clients, duration, warmup, fl.cpu_s)))
        raw.update({side: best(r) for side, r in runs.items()})
    if official_cmd:
        with Emulator(official_cmd, "http://127.0.0.1:{port}/", label="official-rules") as off:
            off.start()
            asyncio.run(prepare(off.base, "bench-rules", clients, rules))
            raw["official_rules"] = best([asyncio.run(measure(off.base, "bench-rules", clients, duration, warmup, off.cpu_s))
                                          for _ in range(ROUNDS)])
    rows = []
    for kind in ("reads", "writes"):
        fo = raw["flint_open"][kind].get("ops_per_s")
        fr = raw["flint_rules"][kind].get("ops_per_s")
        of = raw.get("official_rules", {}).get(kind, {}).get("ops_per_s")
        kept = fr / fo if fo and fr else None
        rows.append((f"rules: REST {kind}, {clients} clients, Flint without → with rules", f"{fo:,.0f} ops/s" if fo else "—",
                     f"{fr:,.0f} ops/s" if fr else "—", f"{kept:.2f}×" if kept else "—", "≥ 0.85×",
                     "yes" if kept and kept >= 0.85 else "**no**"))
        r = fr / of if fr and of else None
        rows.append((f"rules: REST {kind}, {clients} clients, both with rules", f"{of:,.0f} ops/s" if of else "—",
                     f"{fr:,.0f} ops/s" if fr else "—", f"{r:.2f}×" if r else "—", "≥ 5×",
                     ("yes" if r >= 5 else "**no**") if r else "n/a"))
        # CPU per request: Flint's capacity with and without rules, whatever else the machine ran.
        co, cr = (raw[side][kind].get("median_cpu_ms_per_op") for side in ("flint_open", "flint_rules"))
        oc = raw.get("official_rules", {}).get(kind, {}).get("median_cpu_ms_per_op")
        if co and cr:
            rows.append((f"rules: Flint CPU per REST {kind} (median of rounds), without → with rules", f"{co:.3f} ms",
                         f"{cr:.3f} ms", f"{co / cr:.2f}×", "info", ""))
        if oc and cr:
            rows.append((f"rules: CPU per REST {kind} (median of rounds), both with rules", f"{oc:.3f} ms",
                         f"{cr:.3f} ms", f"{oc / cr:.2f}×", "info", ""))
        for side in ("flint_open", "flint_rules", "official_rules"):
            errs = raw.get(side, {}).get(kind, {}).get("errors")
            if errs:
                rows.append((f"rules: {side} {kind} errors", "", json.dumps(errs), "", "info", ""))
    return rows, raw
