"""The export phase: import and export of many documents, and snapshot restores, Flint against
the official emulator in one run (this phase starts its own processes, since it moves data
between them).

1. Loads `n_docs` documents (strings, integers, doubles, timestamps, a map and an array each)
   into Flint with :commit requests of 500, and exports them with
   `POST /emulator/v1/projects/{p}:export` into a firebase-tools layout directory.
2. Import: starts each emulator on that export (`flint start --import DIR`, the official
   emulator's `--seed_from_export FILE`) and times launch → the last document readable; the
   import's time is that minus the same launch without an import (median of `runs` each).
3. Export: `POST …:export` on each emulator holding the documents, timed (median of
   `export_runs`: a Flint export takes a few tenths of a second, so two runs let one noisy
   moment decide).
4. Snapshots: with `snap_docs` documents in Flint, saves a snapshot, changes documents, and
   times `POST /emulator/v1/snapshots/{name}:restore` (median of `restores`), against clearing
   the database (`DELETE /emulator/v1/projects/{p}/databases/(default)/documents`) and writing
   the documents again through :commit (the official emulator's way to reset, and Flint's own).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from emuproc import free_port

PROJECT = "bench-export"
OWNER = {"Authorization": "Bearer owner", "Content-Type": "application/json"}


def call(base, method, path, body=None, timeout=600):
    req = urllib.request.Request(base + path, method=method, headers=OWNER,
                                 data=None if body is None else json.dumps(body).encode())
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return None, b""


def doc_fields(i):
    return {
        "i": {"integerValue": str(i)}, "name": {"stringValue": f"customer number {i}"},
        "score": {"doubleValue": i / 7}, "at": {"timestampValue": f"2025-01-01T00:00:{i % 60:02d}.{i % 1000000:06d}Z"},
        "address": {"mapValue": {"fields": {"city": {"stringValue": f"city{i % 100}"}, "zip": {"integerValue": str(i % 99999)}}}},
        "tags": {"arrayValue": {"values": [{"stringValue": f"t{i % 10}"}, {"stringValue": f"u{i % 7}"}]}},
    }


def load(base, n, coll="items", batch=500):
    for start in range(0, n, batch):
        writes = [{"update": {"name": f"projects/{PROJECT}/databases/(default)/documents/{coll}/d{i:07d}",
                              "fields": doc_fields(i)}} for i in range(start, min(n, start + batch))]
        st, raw = call(base, "POST", f"/v1/projects/{PROJECT}/databases/(default)/documents:commit",
                       {"writes": writes})
        if st != 200:
            raise RuntimeError(f"commit {st}: {raw[:200]!r}")


class Proc:
    def __init__(self, argv):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL, start_new_session=True)

    def wait_for(self, path, timeout=900):
        """Seconds from launch until GET path answers 200."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}")
            st, _ = call(self.base, "GET", path, timeout=5)
            if st == 200:
                return time.perf_counter() - self.t0
            time.sleep(0.01)
        raise RuntimeError(f"{path} not readable within {timeout} s")

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=60)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=10)


def median(xs):
    return statistics.median(xs) if xs else None


def run(flint_bin, official_bin, quick=False, emit=print):
    n = 5_000 if quick else 100_000
    snap_n = 1_000 if quick else 10_000
    runs = 1 if quick else 2
    export_runs = 1 if quick else 5
    restores = 5 if quick else 20
    flint_cmd = [flint_bin, "start", "--host", "127.0.0.1", "--port", "{port}", "--no-engine"]
    official_cmd = [official_bin, "start", "--host=127.0.0.1", "--port={port}"] if official_bin else None
    last = f"/v1/projects/{PROJECT}/databases/(default)/documents/items/d{n - 1:07d}"
    out = {"docs": n, "snapshot_docs": snap_n, "runs": runs, "export_runs": export_runs, "restores": restores}
    work = tempfile.mkdtemp(prefix="flint-exportbench-")
    try:
        # 1. the data, and an export of it made by Flint
        src = Proc(flint_cmd)
        try:
            src.wait_for("/")
            t = time.perf_counter()
            load(src.base, n)
            emit(f"export: loaded {n} documents into Flint in {time.perf_counter() - t:.1f} s")
            st, raw = call(src.base, "POST", f"/emulator/v1/projects/{PROJECT}:export",
                           {"database": f"projects/{PROJECT}/databases/(default)", "export_directory": work,
                            "export_name": "firestore_export"})
            if st != 200:
                raise RuntimeError(f"export {st}: {raw[:200]!r}")
        finally:
            src.stop()
        export_dir = os.path.join(work, "firestore_export")
        metadata = os.path.join(export_dir, "firestore_export.overall_export_metadata")

        # 2. import: launch with the export until the last document is readable, minus a bare launch
        def import_time(cmd, extra):
            bare, loaded = [], []
            for _ in range(runs):
                p = Proc(cmd)
                try:
                    bare.append(p.wait_for("/"))
                finally:
                    p.stop()
                p = Proc(cmd + extra)
                try:
                    loaded.append(p.wait_for(last))
                finally:
                    p.stop()
            return median(loaded), median(bare)

        for side, cmd, extra in (("flint", flint_cmd, ["--import", export_dir]),
                                 ("official", official_cmd, [f"--seed_from_export={metadata}"])):
            if cmd is None:
                continue
            loaded, bare = import_time(cmd, extra)
            out[f"{side}_import_launch_s"] = loaded
            out[f"{side}_bare_launch_s"] = bare
            out[f"{side}_import_s"] = max(loaded - bare, 1e-3)
            emit(f"export: {side} import of {n}: launch with it {loaded:.2f} s, without {bare:.2f} s")

        # 3. export: each side holding the documents exports them
        for side, cmd, extra in (("flint", flint_cmd, ["--import", export_dir]),
                                 ("official", official_cmd, [f"--seed_from_export={metadata}"])):
            if cmd is None:
                continue
            p = Proc(cmd + extra)
            try:
                p.wait_for(last)
                times = []
                for k in range(export_runs):
                    target = os.path.join(work, f"{side}-out")
                    os.makedirs(target, exist_ok=True)
                    t = time.perf_counter()
                    st, raw = call(p.base, "POST", f"/emulator/v1/projects/{PROJECT}:export",
                                   {"database": f"projects/{PROJECT}/databases/(default)",
                                    "export_directory": target, "export_name": f"e{k}"})
                    times.append(time.perf_counter() - t)
                    if st != 200:
                        raise RuntimeError(f"{side} export {st}: {raw[:200]!r}")
                    shutil.rmtree(target, ignore_errors=True)
                out[f"{side}_export_s"] = median(times)
                out[f"{side}_export_runs_s"] = times
                emit(f"export: {side} export of {n}: {median(times):.2f} s "
                     f"(runs: {', '.join(f'{t:.2f}' for t in times)})")
            finally:
                p.stop()

        # 4. snapshots vs clearing and re-seeding through the API
        def reseed(base):
            t = time.perf_counter()
            st, _ = call(base, "DELETE", f"/emulator/v1/projects/{PROJECT}/databases/(default)/documents")
            if st != 200:
                raise RuntimeError(f"clear {st}")
            load(base, snap_n, coll="snap")
            return time.perf_counter() - t

        for side, cmd in (("flint", flint_cmd), ("official", official_cmd)):
            if cmd is None:
                continue
            p = Proc(cmd)
            try:
                p.wait_for("/")
                load(p.base, snap_n, coll="snap")
                out[f"{side}_reseed_s"] = median([reseed(p.base) for _ in range(runs)])
                emit(f"export: {side} clear + re-seed {snap_n} through the API: {out[f'{side}_reseed_s']:.3f} s")
                if side == "flint":
                    st, raw = call(p.base, "POST", "/emulator/v1/snapshots/seed")
                    if st != 200:
                        raise RuntimeError(f"snapshot {st}: {raw[:200]!r}")
                    times = []
                    for k in range(restores):
                        load(p.base, 100, coll="snap", batch=100)  # a test's changes
                        t = time.perf_counter()
                        st, raw = call(p.base, "POST", "/emulator/v1/snapshots/seed:restore")
                        times.append(time.perf_counter() - t)
                        if st != 200:
                            raise RuntimeError(f"restore {st}: {raw[:200]!r}")
                    out["flint_restore_s"] = median(times)
                    out["flint_restore_max_s"] = max(times)
                    emit(f"export: flint restore of {snap_n}: median {median(times) * 1000:.1f} ms")
            finally:
                p.stop()
    except RuntimeError as e:
        out["error"] = str(e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out
