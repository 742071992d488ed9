"""Helpers of the export and snapshot suites: the shared documents, writing and reading them over
REST, and starting the official emulator with extra flags (``--seed_from_export``)."""
import os
import subprocess
import sys
import threading
import time
from collections import deque

import pytest
import requests

import conftest

EXPORTS = os.path.join(conftest.REPO_ROOT, "testdata", "exports")
sys.path.insert(0, EXPORTS)
import values  # noqa: E402

PROJECT = values.PROJECT


def docs_url(base, database, path="", project=PROJECT):
    return f"{base}/v1/projects/{project}/databases/{database}/documents" + (f"/{path}" if path else "")


def write_values(base, project=PROJECT):
    for database, path, fields in values.documents():
        name = f"projects/{project}/databases/{database}/documents/{path}"
        if project != PROJECT:
            fields = retarget(fields, project)
        r = requests.post(docs_url(base, database, project=project) + ":commit", headers=conftest.OWNER,
                          json={"writes": [{"update": {"name": name, "fields": fields}}]}, timeout=30)
        assert r.status_code == 200, r.text


def retarget(obj, project):
    """References into PROJECT moved to `project`."""
    if isinstance(obj, dict):
        return {k: (v.replace(f"projects/{PROJECT}/", f"projects/{project}/") if k == "referenceValue" else retarget(v, project))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [retarget(v, project) for v in obj]
    return obj


def served(base, project=PROJECT):
    """What a server holds for each document of values.py: {database/path: fields} (None when absent)."""
    out = {}
    for database, path, _ in values.documents():
        r = requests.get(docs_url(base, database, path, project=project), headers=conftest.OWNER, timeout=30)
        out[f"{database}/{path}"] = r.json().get("fields", {}) if r.status_code == 200 else None
    return out


def normalized(obj):
    """JSON values compared by meaning: doubles written as integers (1 vs 1.0) are the same."""
    if isinstance(obj, dict):
        return {k: normalized(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [normalized(v) for v in obj]
    if isinstance(obj, float) and obj.is_integer():
        return int(obj)
    return obj


def start_official(*extra):
    binpath = conftest.official_binary()
    if binpath is None:
        pytest.skip("official Firestore emulator not installed")
    port = conftest.free_port()
    proc = subprocess.Popen([binpath, "start", "--host=127.0.0.1", f"--port={port}", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    output = deque(maxlen=2000)
    threading.Thread(target=conftest._drain, args=(proc.stdout, output), daemon=True).start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return conftest.Server("official", "127.0.0.1", port, proc, output)
        except requests.RequestException:
            pass
        time.sleep(0.1)
    conftest._stop_process(proc)
    pytest.fail("official emulator did not start:\n" + "\n".join(output), pytrace=False)


def flint_bin():
    binpath = os.environ.get("FLINT_BIN") or os.path.join(conftest.REPO_ROOT, ".build", "debug", "flint")
    return binpath if os.path.isabs(binpath) else os.path.join(conftest.REPO_ROOT, binpath)


def run_flint(*args, timeout=120):
    """Runs the flint binary to completion (e.g. `flint export`, or a start that must fail)."""
    return subprocess.run([flint_bin(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=conftest.REPO_ROOT, stdin=subprocess.DEVNULL)
