"""Shared fixtures for Flint's Python conformance and differential suites.

Servers
  * Flint: ``FLINT_BIN`` (default ``.build/debug/flint`` under the repo root), started once per
    session as ``FLINT_BIN start --host 127.0.0.1 --port 0``; the port is read from the stdout
    line ``export FIRESTORE_EMULATOR_HOST=127.0.0.1:PORT``.
  * Official emulator: ``OFFICIAL_EMULATOR`` (path to ``cloud_firestore_emulator``), else found
    through the gcloud SDK.  Started on a free port when a test needs it; tests that need it are
    skipped when it is not installed.

Selecting the target of the conformance (non-differential) tests
  ``CONFORMANCE_TARGET=flint`` (default) or ``official`` (or ``--target=...``).  On the official
  target, tests marked ``flint_only`` (a deliberate, documented Flint difference) are expected to
  fail (strict xfail), or skipped when the official emulator would hang.

Differential suite
  Flint vs official.  ``DIFF_SELF_TEST=1`` runs it official-vs-official (two instances) to
  validate the normaliser while Flint does not run yet.

Isolation: every test gets its own project id (``project`` fixture); any id is accepted.
"""

import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections import deque

import pytest
import requests

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
HTTP_TIMEOUT = float(os.environ.get("CONFORMANCE_HTTP_TIMEOUT", "15"))
STARTUP_TIMEOUT = 20.0
OWNER = {"Authorization": "Bearer owner"}


# --------------------------------------------------------------------------- options

def pytest_addoption(parser):
    parser.addoption("--target", default=None, choices=["flint", "official"],
                     help="server for the conformance tests (default: $CONFORMANCE_TARGET or flint)")


def _target_kind(config):
    t = config.getoption("--target") or os.environ.get("CONFORMANCE_TARGET", "flint")
    t = t.strip().lower()
    if t not in ("flint", "official"):
        raise pytest.UsageError(f"CONFORMANCE_TARGET must be 'flint' or 'official', not {t!r}")
    return t


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "flint_only(reason, hangs=False): checks a deliberate Flint difference from the official "
        "emulator; strict xfail on the official target (skipped when hangs=True)")
    config.addinivalue_line(
        "markers",
        "transactions: needs transactions / point-in-time reads")
    config.addinivalue_line("markers", "differential: Flint vs official emulator comparison")
    config._conformance_target = _target_kind(config)


def pytest_report_header(config):
    return [f"conformance target: {config._conformance_target}",
            f"differential: {'official vs official (DIFF_SELF_TEST)' if diff_self_test() else 'flint vs official'}"]


def pytest_collection_modifyitems(config, items):
    if config._conformance_target != "official":
        return
    for item in items:
        m = item.get_closest_marker("flint_only")
        if m is None or item.get_closest_marker("differential"):
            continue
        reason = m.kwargs.get("reason") or (m.args[0] if m.args else "deliberate Flint difference")
        if m.kwargs.get("hangs"):
            item.add_marker(pytest.mark.skip(reason=f"official emulator hangs here; Flint: {reason}"))
        else:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"deliberate Flint difference: {reason}"))


def diff_self_test():
    return os.environ.get("DIFF_SELF_TEST", "").strip().lower() in ("1", "true", "yes")


# --------------------------------------------------------------------------- processes

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop_process(proc, grace=5.0):
    """SIGTERM the process group we created (by its PID), then SIGKILL after `grace`."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=5)


class Server:
    """A running emulator: base URL plus a way to stop it."""

    def __init__(self, kind, host, port, proc, output):
        self.kind = kind            # "flint" | "official"
        self.host = host
        self.port = port
        self.proc = proc
        self.output = output        # deque of recent output lines
        self.base = f"http://{host}:{port}"
        self.hostport = f"{host}:{port}"

    def __repr__(self):
        return f"<Server {self.kind} {self.base}>"

    def recent_output(self, n=40):
        return "\n".join(list(self.output)[-n:])

    def stop(self):
        _stop_process(self.proc)


def _drain(stream, sink, on_line=None):
    for raw in iter(stream.readline, b""):
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        sink.append(line)
        if on_line:
            on_line(line)
    stream.close()


def start_flint(extra_args=()):
    binpath = os.environ.get("FLINT_BIN") or os.path.join(REPO_ROOT, ".build", "debug", "flint")
    if not os.path.isabs(binpath):
        binpath = os.path.join(REPO_ROOT, binpath)
    if not os.access(binpath, os.X_OK):
        pytest.fail(f"Flint executable not found at {binpath}: build it (swift build) or set FLINT_BIN; "
                    f"to develop the tests against the official emulator use CONFORMANCE_TARGET=official",
                    pytrace=False)
    cmd = [binpath, "start", "--host", "127.0.0.1", "--port", "0", *extra_args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True, cwd=REPO_ROOT)
    output = deque(maxlen=2000)
    found = {}
    ready = threading.Event()
    prefix = "export FIRESTORE_EMULATOR_HOST="

    def on_line(line):
        s = line.strip()
        if not ready.is_set() and s.startswith(prefix):
            hostport = s[len(prefix):].strip().strip("'\"")
            host, _, port = hostport.rpartition(":")
            if port.isdigit():
                found["host"], found["port"] = host or "127.0.0.1", int(port)
                ready.set()

    t = threading.Thread(target=_drain, args=(proc.stdout, output, on_line), daemon=True,
                         name="flint-stdout")
    t.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not ready.wait(0.05):
        if proc.poll() is not None or time.monotonic() > deadline:
            exited = proc.poll()
            _stop_process(proc)
            t.join(2)
            why = f"exited with status {exited}" if exited is not None else \
                f"printed no '{prefix}HOST:PORT' line within {STARTUP_TIMEOUT:.0f} s"
            pytest.fail(f"Flint ({' '.join(cmd)}) {why}. Output:\n" + "\n".join(output), pytrace=False)
    return Server("flint", found["host"], found["port"], proc, output)


def official_binary():
    env = os.environ.get("OFFICIAL_EMULATOR")
    if env:
        return env if os.access(env, os.X_OK) else None
    rel = os.path.join("platform", "cloud-firestore-emulator", "cloud_firestore_emulator")
    roots = []
    gcloud = shutil.which("gcloud")
    if gcloud:
        real = os.path.realpath(gcloud)              # .../google-cloud-sdk/bin/gcloud
        roots.append(os.path.dirname(os.path.dirname(real)))
    roots += ["/usr/lib/google-cloud-sdk", "/usr/share/google-cloud-sdk",
              os.path.expanduser("~/google-cloud-sdk"), "/opt/google-cloud-sdk"]
    for root in roots:
        p = os.path.join(root, rel)
        if os.access(p, os.X_OK):
            return p
    if gcloud:
        try:
            root = subprocess.run([gcloud, "info", "--format=value(installation.sdk_root)"],
                                  capture_output=True, text=True, timeout=30).stdout.strip()
            p = os.path.join(root, rel)
            if root and os.access(p, os.X_OK):
                return p
        except (OSError, subprocess.SubprocessError):
            pass
    return None


def start_official():
    binpath = official_binary()
    if binpath is None:
        pytest.skip("official Firestore emulator not installed (set OFFICIAL_EMULATOR or install "
                    "the gcloud cloud-firestore-emulator component)")
    port = free_port()
    cmd = [binpath, "start", "--host=127.0.0.1", f"--port={port}"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    output = deque(maxlen=2000)
    threading.Thread(target=_drain, args=(proc.stdout, output), daemon=True,
                     name=f"official-{port}").start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return Server("official", "127.0.0.1", port, proc, output)
        except requests.RequestException:
            pass
        time.sleep(0.05)
    _stop_process(proc)
    pytest.fail("official emulator did not become ready. Output:\n" + "\n".join(output), pytrace=False)


_started = {}
_failed = {}


def _server(kind, slot=0):
    """Start (once per session) and return the server; a failed start is not retried."""
    key = (kind, slot)
    if key in _failed:
        pytest.fail(_failed[key], pytrace=False)
    if key not in _started:
        try:
            _started[key] = start_flint() if kind == "flint" else start_official()
        except pytest.fail.Exception as e:
            _failed[key] = str(e)
            raise
    s = _started[key]
    if s.proc.poll() is not None:
        pytest.fail(f"{s.kind} server exited (status {s.proc.returncode}). Output:\n{s.recent_output()}",
                    pytrace=False)
    return s


def pytest_sessionfinish(session, exitstatus):
    for s in list(_started.values()):
        s.stop()
    _started.clear()


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="session")
def target_kind(request):
    return request.config._conformance_target


@pytest.fixture(scope="session")
def server(target_kind):
    """The server under test for the conformance suite."""
    return _server(target_kind)


_seq = itertools.count(1)


def new_project(tag="t"):
    return f"{tag}-{next(_seq)}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def project():
    return new_project()


class Api:
    """Plain-HTTP access to one project of one server."""

    def __init__(self, server, project, database="(default)"):
        self.server = server
        self.base = server.base
        self.project = project
        self.database = database
        self.db = f"projects/{project}/databases/{database}"
        self.root = f"{self.db}/documents"
        self.session = requests.Session()

    # names and URLs -------------------------------------------------------
    def name(self, path):
        return f"{self.root}/{path}" if path else self.root

    def url(self, path):
        """``path``: relative to the documents root ("c/d", ":commit", "c/d:listCollectionIds"),
        or absolute when it starts with '/'."""
        if path.startswith("/"):
            return self.base + path
        if path.startswith(":") or not path:
            return f"{self.base}/v1/{self.root}{path}"
        return f"{self.base}/v1/{self.root}/{path}"

    def emu_url(self, path=""):
        return f"{self.base}/emulator/v1/projects/{self.project}/databases/{self.database}/documents" + \
            (f"/{path}" if path else "")

    # HTTP -------------------------------------------------------------------
    def request(self, method, path, body=None, raw=None, params=None, headers=None,
                timeout=HTTP_TIMEOUT, admin=False):
        url = path if path.startswith("http") else self.url(path)
        h = {}
        if body is not None or raw is not None:
            h["Content-Type"] = "application/json"
        if admin:
            h.update(OWNER)
        h.update(headers or {})
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return self.session.request(method, url, data=data, params=params, headers=h, timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body if body is not None else {"fields": {}}, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body if body is not None else {}, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # convenience ------------------------------------------------------------
    def put_doc(self, path, fields=None):
        r = self.patch(path, {"fields": fields or {}})
        assert r.status_code == 200, r.text
        return r.json()

    def get_doc(self, path):
        """The document JSON, or None when it does not exist (404)."""
        r = self.get(path)
        if r.status_code == 404:
            return None
        assert r.status_code == 200, r.text
        return r.json()

    def commit(self, writes, **kw):
        return self.post(":commit", {"writes": writes}, **kw)

    def commit_ok(self, writes):
        r = self.commit(writes)
        assert r.status_code == 200, r.text
        return r.json()

    def batch_get(self, paths_or_names, **kw):
        names = [p if p.startswith("projects/") else self.name(p) for p in paths_or_names]
        return self.post(":batchGet", {"documents": names}, **kw)


@pytest.fixture
def api(server, project):
    if server.proc.poll() is not None:
        pytest.fail(f"{server.kind} exited (status {server.proc.returncode}). Output:\n{server.recent_output()}",
                    pytrace=False)
    a = Api(server, project)
    yield a
    a.session.close()


def gapic_client(server):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.firestore_v1.services.firestore import FirestoreClient
    return FirestoreClient(transport="rest", client_options={"api_endpoint": server.base},
                           credentials=AnonymousCredentials())


@pytest.fixture(scope="session")
def gapic(server):
    """Low-level GAPIC FirestoreClient over REST."""
    return gapic_client(server)


@pytest.fixture(scope="session")
def discovery(server):
    """google-api-python-client discovery resource: projects().databases().documents()."""
    from google.auth.credentials import AnonymousCredentials
    from googleapiclient.discovery import build
    svc = build("firestore", "v1", static_discovery=True,
                client_options={"api_endpoint": server.base + "/"},
                credentials=AnonymousCredentials())
    return svc.projects().databases().documents()


@pytest.fixture
def db(server, project, gapic):
    """High-level google.cloud.firestore.Client with the REST GAPIC client injected.

    ``_emulator_host`` is set the way FIRESTORE_EMULATOR_HOST would set it, which makes the
    client send ``authorization: Bearer owner`` (as it does against any emulator)."""
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import firestore
    client = firestore.Client(project=project, credentials=AnonymousCredentials())
    client._firestore_api_internal = gapic
    client._emulator_host = server.hostport
    return client


# --------------------------------------------------------------------------- helpers for tests

def assert_error(resp, http_status, status, message=None):
    """Assert a google.rpc.Status-shaped REST error."""
    assert resp.status_code == http_status, f"expected {http_status}, got {resp.status_code}: {resp.text[:500]}"
    ctype = resp.headers.get("Content-Type", "")
    assert ctype.startswith("application/json"), f"error content-type {ctype!r}: {resp.text[:200]}"
    body = resp.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert err.get("code") == http_status, err
    assert err.get("status") == status, err
    assert isinstance(err.get("message"), str) and err["message"], err
    if message is not None:
        assert without_detail(err["message"]) == message, err
    return err


PAYLOAD_INVALID = "Payload isn't valid for request."


def without_detail(message):
    """Flint follows the official "Payload isn't valid for request." with the reason; compare the shared part."""
    if isinstance(message, str) and message.startswith(PAYLOAD_INVALID):
        return PAYLOAD_INVALID
    return message


def int_value(v):
    return {"integerValue": str(v)}


def str_value(v):
    return {"stringValue": v}


def dbl_value(v):
    return {"doubleValue": v}


def parse_ts(s):
    """RFC 3339 timestamp (Z or offset, 0-9 fraction digits) -> integer nanoseconds since epoch."""
    import calendar
    import re as _re
    m = _re.match(r"^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$", s)
    assert m, f"not an RFC 3339 timestamp: {s!r}"
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    secs = calendar.timegm((y, mo, d, h, mi, se, 0, 0, 0))
    frac = int((m.group(7) or "").ljust(9, "0"))
    tz = m.group(8)
    if tz != "Z":
        sign = 1 if tz[0] == "+" else -1
        secs -= sign * (int(tz[1:3]) * 3600 + int(tz[4:6]) * 60)
    return secs * 1_000_000_000 + frac
