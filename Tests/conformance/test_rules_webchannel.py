"""Security rules on the WebChannel transport (the full JS SDK's transport in browsers).

Rules judge every transport alike: a Listen target the caller may not read is removed with a
TargetChange REMOVE whose cause is PERMISSION_DENIED (code 7) while the caller's other targets go
on being served, and a Write the rules deny ends the stream with PERMISSION_DENIED and writes
nothing.  The caller is the session's: the `Authorization: Bearer <token>` the client sends with
the handshake, either in the form's `headers` field (the SDK's encoded init-message headers) or in
the `$httpHeaders` query parameter.  A session without one is unauthenticated.

The last tests run the Firebase JS SDK's browser bundles in headless Chromium with a mock user
token (`connectFirestoreEmulator(..., {mockUserToken})`); they skip, saying why, when the bundles
(`$FLINT_JS_SDK_DIR`, else Tests/browser/sdk/) or Chromium are absent.

Every test loads its rules into a project of its own.
"""

import http.server
import os
import re
import threading
import urllib.parse

import pytest
import requests

import conftest
from conftest import OWNER, new_project
from rules_corpus import mock_claims, token
from test_js_sdk_browser import SDK_DIR, _Page, sdk_page
from webchannel_client import WebChannel, close_all

HTTP_TIMEOUT = 15
PERMISSION_DENIED = 7

RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /users/{uid} {
      allow read, write: if request.auth != null && request.auth.uid == uid;
    }
    match /notices/{id} {
      allow read: if true;
    }
    match /vault/{id} {
      allow read, write: if false;
    }
  }
}
"""


def bearer(uid):
    return {"Authorization": "Bearer " + token(mock_claims(uid))}


def db(project):
    return f"projects/{project}/databases/(default)"


def doc_name(project, path):
    return f"{db(project)}/documents/{path}"


def load_rules(server, project, content=RULES):
    r = requests.put(f"{server.base}/emulator/v1/projects/{project}:securityRules",
                     json={"rules": {"files": [{"name": "firestore.rules", "content": content}]}},
                     timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text


def owner_set(server, project, path, **fields):
    r = requests.patch(f"{server.base}/v1/{doc_name(project, path)}", headers=OWNER, timeout=HTTP_TIMEOUT,
                       json={"fields": {k: {"integerValue": str(v)} for k, v in fields.items()}})
    assert r.status_code == 200, r.text


def owner_get(server, project, path):
    """The document as the owner (whom rules never judge) sees it, or None when it is absent."""
    r = requests.get(f"{server.base}/v1/{doc_name(project, path)}", headers=OWNER, timeout=HTTP_TIMEOUT)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()


def listen_doc(project, path, target_id):
    return {"database": db(project), "addTarget": {"documents": {"documents": [doc_name(project, path)]},
                                                    "targetId": target_id}}


def listen_query(project, collection, target_id):
    return {"database": db(project), "addTarget": {"query": {
        "parent": f"{db(project)}/documents",
        "structuredQuery": {"from": [{"collectionId": collection}]}}, "targetId": target_id}}


def target_change(payload):
    return payload[0].get("targetChange") or {}


def is_current_for(target_id):
    return lambda p: target_change(p).get("targetChangeType") == "CURRENT" and \
        target_id in target_change(p).get("targetIds", [])


def is_removed(target_id):
    return lambda p: target_change(p).get("targetChangeType") == "REMOVE" and \
        target_id in target_change(p).get("targetIds", [])


def until_all(ch, *predicates, timeout=15):
    """Messages until each predicate has matched one (in whatever order the server sends them),
    and the matching messages in the predicates' order."""
    out, hits = [], [None] * len(predicates)
    while None in hits:
        payload = ch.next(timeout=timeout)
        out.append(payload)
        for i, pred in enumerate(predicates):
            if hits[i] is None and pred(payload):
                hits[i] = payload
    return out, hits


def changed_doc(payload):
    return payload[0].get("documentChange", {}).get("document")


def documents_for(payloads, target_id):
    return [p[0]["documentChange"]["document"]["name"] for p in payloads
            if target_id in p[0].get("documentChange", {}).get("targetIds", [])]


class HeaderParamChannel(WebChannel):
    """A session whose handshake names its headers in the `$httpHeaders` query parameter (the
    WebChannel header-overwrite parameter) instead of the form body."""

    def __init__(self, *args, url_headers, **kw):
        super().__init__(*args, **kw)
        self.url_headers = url_headers

    def url(self, **params):
        u = super().url(**params)
        if "SID" not in params and "TYPE" not in params:
            u += "&" + urllib.parse.urlencode(
                {"$httpHeaders": "".join(f"{k}:{v}\r\n" for k, v in self.url_headers.items())})
        return u


@pytest.fixture
def ruled(server, project):
    """The server and a fresh project with RULES loaded and documents written by the owner."""
    load_rules(server, project)
    owner_set(server, project, "users/alice", n=1)
    owner_set(server, project, "users/bob", n=2)
    owner_set(server, project, "notices/n1", n=3)
    owner_set(server, project, "vault/v1", n=4)
    return server, project


@pytest.fixture
def channels():
    made = []
    yield made
    close_all(made)


def session(channels, server, project, kind="Listen", user=None, via="body"):
    """A WebChannel session as `user` (None: no Authorization at all), its token sent `via` the
    handshake form's `headers` field ("body") or the `$httpHeaders` query parameter ("param")."""
    headers = bearer(user) if user else {}
    if via == "param":
        ch = HeaderParamChannel(server.base, kind, db(project), url_headers=headers)
    else:
        ch = WebChannel(server.base, kind, db(project), headers=headers)
    channels.append(ch)
    return ch


# --------------------------------------------------------------------------- Listen

@pytest.mark.parametrize("via", ["body", "param"])
def test_listen_serves_the_readable_target_and_removes_the_denied_one(ruled, channels, via):
    server, project = ruled
    ch = session(channels, server, project, user="alice", via=via)
    ch.open(listen_doc(project, "users/alice", 2))
    ch.start()
    first = ch.messages_until(is_current_for(2))
    assert documents_for(first, 2) == [doc_name(project, "users/alice")]
    assert [changed_doc(p)["fields"]["n"] for p in first if changed_doc(p)] == [{"integerValue": "1"}]

    assert ch.send(listen_doc(project, "users/bob", 4)).status_code == 200
    seen = ch.messages_until(is_removed(4))
    removal = target_change(seen[-1])
    assert removal["cause"]["code"] == PERMISSION_DENIED and removal["cause"].get("message")
    assert documents_for(seen, 4) == [], "nothing of the denied document reaches the client"

    # The stream outlives the denial: the readable target still sees changes, the denied one does not.
    owner_set(server, project, "users/bob", n=20)
    owner_set(server, project, "users/alice", n=10)
    later = ch.messages_until(lambda p: changed_doc(p) is not None and
                              changed_doc(p)["name"] == doc_name(project, "users/alice"))
    assert changed_doc(later[-1])["fields"]["n"] == {"integerValue": "10"}
    assert not any(changed_doc(p) and changed_doc(p)["name"].endswith("/users/bob") for p in seen + later)
    assert not ch.errors


def test_listen_on_a_document_nobody_may_read_is_removed_for_a_signed_in_caller(ruled, channels):
    server, project = ruled
    ch = session(channels, server, project, user="alice")
    ch.open(listen_doc(project, "vault/v1", 2), listen_doc(project, "notices/n1", 4))
    ch.start()
    got, (removed, _) = until_all(ch, is_removed(2), is_current_for(4))
    assert target_change(removed)["cause"]["code"] == PERMISSION_DENIED
    assert documents_for(got, 4) == [doc_name(project, "notices/n1")]
    assert documents_for(got, 2) == []


def test_listen_query_the_rules_deny_is_removed(ruled, channels):
    server, project = ruled
    ch = session(channels, server, project, user="alice")
    ch.open(listen_query(project, "vault", 6))
    ch.start()
    got = ch.messages_until(is_removed(6))
    assert target_change(got[-1])["cause"]["code"] == PERMISSION_DENIED
    assert documents_for(got, 6) == []


def test_unauthenticated_session_is_denied_where_the_rule_needs_auth(ruled, channels):
    server, project = ruled
    ch = session(channels, server, project, user=None)
    ch.open(listen_doc(project, "users/alice", 2), listen_doc(project, "notices/n1", 4))
    ch.start()
    got, (removed, _) = until_all(ch, is_removed(2), is_current_for(4))
    assert target_change(removed)["cause"]["code"] == PERMISSION_DENIED
    assert documents_for(got, 2) == []
    assert documents_for(got, 4) == [doc_name(project, "notices/n1")], "a public read needs no auth"


def test_each_session_is_judged_as_its_own_caller(ruled, channels):
    server, project = ruled
    alice = session(channels, server, project, user="alice")
    bob = session(channels, server, project, user="bob")
    alice.open(listen_doc(project, "users/bob", 2))
    bob.open(listen_doc(project, "users/bob", 2))
    alice.start()
    bob.start()
    assert target_change(alice.messages_until(is_removed(2))[-1])["cause"]["code"] == PERMISSION_DENIED
    served = bob.messages_until(is_current_for(2))
    assert documents_for(served, 2) == [doc_name(project, "users/bob")]


# --------------------------------------------------------------------------- Write

def write_session(channels, server, project, user, via="body"):
    ch = session(channels, server, project, kind="Write", user=user, via=via)
    ch.open({"database": db(project)})
    ch.start("longpoll")
    hs = ch.next()[0]
    assert hs.get("streamToken"), hs
    return ch, hs["streamToken"]


def update(project, path, n):
    return {"update": {"name": doc_name(project, path), "fields": {"n": {"integerValue": str(n)}}}}


@pytest.mark.parametrize("via", ["body", "param"])
def test_allowed_write_commits(ruled, channels, via):
    server, project = ruled
    ch, tok = write_session(channels, server, project, "alice", via)
    ch.send({"streamToken": tok, "writes": [update(project, "users/alice", 5)]})
    res = ch.next()[0]
    assert "error" not in res, res
    assert len(res["writeResults"]) == 1 and res["writeResults"][0]["updateTime"]
    assert owner_get(server, project, "users/alice")["fields"]["n"] == {"integerValue": "5"}


@pytest.mark.parametrize("user,path", [("alice", "users/bob"), ("alice", "vault/v2"), (None, "users/alice")],
                         ids=["someone-elses", "nobodys", "unauthenticated"])
def test_denied_write_ends_with_permission_denied_and_writes_nothing(ruled, channels, user, path):
    server, project = ruled
    before = owner_get(server, project, path)
    ch, tok = write_session(channels, server, project, user)
    ch.send({"streamToken": tok, "writes": [update(project, path, 99)]})
    err = ch.next()[0].get("error")
    assert err and err["status"] == "PERMISSION_DENIED" and err["message"], err
    after = owner_get(server, project, path)
    assert after == before, "a denied write leaves the document as it was"


def test_a_batch_with_one_denied_write_writes_none_of_it(ruled, channels):
    server, project = ruled
    ch, tok = write_session(channels, server, project, "alice")
    ch.send({"streamToken": tok, "writes": [update(project, "users/alice", 7), update(project, "users/bob", 7)]})
    err = ch.next()[0].get("error")
    assert err and err["status"] == "PERMISSION_DENIED", err
    assert owner_get(server, project, "users/alice")["fields"]["n"] == {"integerValue": "1"}
    assert owner_get(server, project, "users/bob")["fields"]["n"] == {"integerValue": "2"}


# --------------------------------------------------------------------------- the JS SDK in Chromium

SDK_FILES = ("firebase-app.js", "firebase-firestore.js")
CHROMIUM = os.environ.get("FLINT_CHROMIUM", "/usr/bin/chromium")
STEP_MS = 20000
SDK_MODES = ["streaming", "long-polling"]


def sdk_or_skip():
    missing = [f for f in SDK_FILES if not os.path.isfile(os.path.join(SDK_DIR, f))]
    if missing:
        pytest.skip(f"JS SDK rules tests skipped: {', '.join(missing)} not found in {SDK_DIR} "
                    f"(set FLINT_JS_SDK_DIR to a folder with the firebasejs ESM bundles)")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"JS SDK rules tests skipped: no Chromium at {CHROMIUM} (scripts/setup-browser installs it; "
                    f"or set FLINT_CHROMIUM)")
    with open(os.path.join(SDK_DIR, "firebase-firestore.js"), encoding="utf-8") as f:
        m = re.search(r"firebasejs/([0-9.]+)/firebase-app\.js", f.read(2000))
    if not m:
        pytest.skip(f"JS SDK rules tests skipped: no firebasejs version named in {SDK_DIR}/firebase-firestore.js")
    return m.group(1)


SETUP = """
async ({version, host, port, project, mode, uid}) => {
  const base = `https://www.gstatic.com/firebasejs/${version}`;
  const app = await import(`${base}/firebase-app.js`);
  const fs = await import(`${base}/firebase-firestore.js`);
  const settings = mode === 'streaming' ? {experimentalAutoDetectLongPolling: false}
                 : {experimentalForceLongPolling: true};
  const a = app.initializeApp({projectId: project, apiKey: 'test-key', appId: '1:123:web:abc'}, 'rules-' + uid);
  const db = fs.initializeFirestore(a, settings);
  fs.connectFirestoreEmulator(db, host, port, {mockUserToken: {user_id: uid}});
  window.fs = fs; window.db = db;
  window.within = (p, what) => Promise.race([p, new Promise((_, no) =>
      setTimeout(() => no(new Error('timed out: ' + what)), %d))]);
  window.codeOf = async (p, what) => {
    try { await within(p, what); return 'ok'; }
    catch (e) { if (String(e.message).startsWith('timed out')) throw e; return e.code || String(e); }
  };
  return true;
}
""" % STEP_MS


@pytest.fixture(scope="module")
def browser():
    version = sdk_or_skip()
    from playwright.sync_api import sync_playwright
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        b.sdk_version = version
        b.page_origin = f"http://127.0.0.1:{httpd.server_address[1]}"
        yield b
        b.close()
    httpd.shutdown()


@pytest.fixture(params=SDK_MODES)
def alice_page(request, browser, server):
    """A page of another origin with the full SDK signed in as the mock user alice, against a
    fresh project with RULES loaded."""
    mode = request.param
    project = new_project("rw")
    load_rules(server, project)
    owner_set(server, project, "users/bob", n=2)
    owner_set(server, project, "vault/v1", n=4)
    context, pg = sdk_page(browser, browser.page_origin)
    assert pg.evaluate(SETUP, {"version": browser.sdk_version, "host": server.host, "port": server.port,
                               "project": project, "mode": mode, "uid": "alice"})
    pg.mode, pg.project, pg.server = mode, project, server
    yield pg
    try:
        pg.evaluate("window.fs.terminate(window.db)")
    except Exception:
        pass
    context.close()


def run(page, body):
    script = "async () => { const fs = window.fs, db = window.db, within = window.within, " \
             "codeOf = window.codeOf; " + body + " }"
    try:
        return page.evaluate(script)
    except Exception as e:
        raise AssertionError(f"{e}\n--- browser console ({page.mode}) ---\n" + "\n".join(page.logs[-40:])) from None


def test_sdk_get_doc_of_a_denied_document_rejects_with_permission_denied(alice_page):
    got = run(alice_page, """
      return {bob: await codeOf(fs.getDoc(fs.doc(db, 'users', 'bob')), 'getDoc users/bob'),
              vault: await codeOf(fs.getDoc(fs.doc(db, 'vault', 'v1')), 'getDoc vault/v1')};
    """)
    assert got == {"bob": "permission-denied", "vault": "permission-denied"}


def test_sdk_set_doc_of_a_denied_document_rejects_and_writes_nothing(alice_page):
    got = run(alice_page, """
      return await codeOf(fs.setDoc(fs.doc(db, 'users', 'bob'), {n: 99}), 'setDoc users/bob');
    """)
    assert got == "permission-denied"
    bob = owner_get(alice_page.server, alice_page.project, "users/bob")
    assert bob["fields"] == {"n": {"integerValue": "2"}}


def test_sdk_allowed_set_doc_and_get_doc_work(alice_page):
    got = run(alice_page, """
      const ref = fs.doc(db, 'users', 'alice');
      await within(fs.setDoc(ref, {name: 'Alice', n: 1}), 'setDoc users/alice');
      const snap = await within(fs.getDocFromServer(ref), 'getDocFromServer users/alice');
      const again = await within(fs.getDoc(ref), 'getDoc users/alice');
      return {exists: snap.exists(), data: snap.data(), again: again.data()};
    """)
    assert got == {"exists": True, "data": {"name": "Alice", "n": 1}, "again": {"name": "Alice", "n": 1}}
    stored = owner_get(alice_page.server, alice_page.project, "users/alice")
    assert stored["fields"]["name"] == {"stringValue": "Alice"}


def test_sdk_on_snapshot_of_a_denied_document_calls_its_error_callback(alice_page):
    got = run(alice_page, """
      const outcome = new Promise(resolve => {
        fs.onSnapshot(fs.doc(db, 'users', 'bob'),
          snap => resolve('snapshot: ' + JSON.stringify(snap.data() ?? null)),
          err => resolve(err.code));
      });
      return await within(outcome, 'onSnapshot users/bob');
    """)
    assert got == "permission-denied"
