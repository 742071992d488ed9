"""End to end: the Firebase JS SDK's prebuilt browser bundles in headless Chromium against the
server, from a page of another origin (so CORS is exercised as a real app meets it).

* the full SDK (`firebase-firestore.js`) over WebChannel, in three transports: streaming back
  channel (`experimentalAutoDetectLongPolling: false`), the SDK's default auto-detection, and
  `experimentalForceLongPolling`;
* the lite SDK (`firebase-firestore-lite.js`), REST over fetch.

The bundles are not part of the repository.  The suite reads `firebase-app.js`,
`firebase-firestore.js` and `firebase-firestore-lite.js` (the ESM builds served from
www.gstatic.com/firebasejs/VERSION/) from `$FLINT_JS_SDK_DIR`, else from `Tests/browser/sdk/`
(gitignored), and skips with a message saying so when they are absent.  Chromium: `$FLINT_CHROMIUM`,
else /usr/bin/chromium.
"""

import http.server
import os
import re
import threading
import uuid

import pytest

import conftest

SDK_FILES = ("firebase-app.js", "firebase-firestore.js", "firebase-firestore-lite.js")
SDK_DIR = os.environ.get("FLINT_JS_SDK_DIR") or os.path.join(conftest.REPO_ROOT, "Tests", "browser", "sdk")
CHROMIUM = os.environ.get("FLINT_CHROMIUM", "/usr/bin/chromium")
STEP_MS = 20000

missing = [f for f in SDK_FILES if not os.path.isfile(os.path.join(SDK_DIR, f))]
if missing:
    pytest.skip(f"JS SDK browser suite skipped: {', '.join(missing)} not found in {SDK_DIR} "
                f"(set FLINT_JS_SDK_DIR to a folder with the firebasejs ESM bundles)", allow_module_level=True)
if not os.access(CHROMIUM, os.X_OK):
    pytest.skip(f"JS SDK browser suite skipped: no Chromium at {CHROMIUM} (scripts/setup-browser installs it; "
                f"or set FLINT_CHROMIUM)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

VERSION = re.search(r"firebasejs/([0-9.]+)/firebase-app\.js",
                    open(os.path.join(SDK_DIR, "firebase-firestore.js"), encoding="utf-8").read(2000)).group(1)

MODES = ["streaming", "auto-detect", "long-polling", "lite"]

SETUP = """
async ({version, host, port, project, mode}) => {
  const base = `https://www.gstatic.com/firebasejs/${version}`;
  const app = await import(`${base}/firebase-app.js`);
  const fs = await import(`${base}/${mode === 'lite' ? 'firebase-firestore-lite' : 'firebase-firestore'}.js`);
  const settings = mode === 'streaming' ? {experimentalAutoDetectLongPolling: false}
                 : mode === 'long-polling' ? {experimentalForceLongPolling: true} : {};
  const dbs = [0, 1].map(i => {
    const a = app.initializeApp({projectId: project, apiKey: 'test-key', appId: '1:123:web:abc'}, `client-${i}`);
    const db = mode === 'lite' ? fs.getFirestore(a) : fs.initializeFirestore(a, settings);
    fs.connectFirestoreEmulator(db, host, port);
    return db;
  });
  window.fs = fs; window.dbs = dbs; window.lite = mode === 'lite';
  window.within = (p, what) => Promise.race([p, new Promise((_, no) =>
      setTimeout(() => no(new Error('timed out: ' + what)), %d))]);
  return fs.Timestamp !== undefined;
}
""" % STEP_MS


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>app</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def page_origin():
    """The app's own origin: a real loopback server (another port, so every call is cross-origin),
    because Chromium only lets loopback pages reach a loopback server."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


def sdk_page(browser, origin):
    """A new browser context and a page of it at `origin`, whose imports of the SDK's gstatic
    bundles are answered from SDK_DIR; the page's console lines and errors collect in page.logs."""
    context = browser.new_context()
    pg = context.new_page()
    pg.logs = []
    pg.on("console", lambda m: pg.logs.append(f"{m.type}: {m.text}"))
    pg.on("pageerror", lambda e: pg.logs.append(f"pageerror: {e}"))

    def serve_sdk(route):
        name = route.request.url.rsplit("/", 1)[1]
        path = os.path.join(SDK_DIR, name)
        if name in SDK_FILES and os.path.isfile(path):
            with open(path, "rb") as f:
                route.fulfill(status=200, content_type="text/javascript", body=f.read(),
                              headers={"Access-Control-Allow-Origin": "*"})
        else:
            route.fulfill(status=404, body="not here")

    pg.route("https://www.gstatic.com/firebasejs/**", serve_sdk)
    pg.goto(origin + "/")
    return context, pg


@pytest.fixture(params=MODES)
def page(request, browser, server, page_origin):
    mode = request.param
    context, pg = sdk_page(browser, page_origin)
    project = f"web-{mode}-{uuid.uuid4().hex[:8]}"
    assert pg.evaluate(SETUP, {"version": VERSION, "host": server.host, "port": server.port,
                               "project": project, "mode": mode})
    pg.mode = mode
    yield pg
    try:
        pg.evaluate("Promise.all(window.dbs.map(db => window.fs.terminate(db)))")
    except Exception:
        pass
    context.close()


def run(page, body):
    """Runs `body` (JS statements with fs, dbs, within in scope) and returns its result."""
    script = "async () => { const fs = window.fs, dbs = window.dbs, db = dbs[0], within = window.within; " + body + " }"
    try:
        return page.evaluate(script)
    except Exception as e:
        raise AssertionError(f"{e}\n--- browser console ({page.mode}) ---\n" + "\n".join(page.logs[-40:])) from None


def full_only(page):
    if page.mode == "lite":
        pytest.skip("the lite SDK has no listeners or pending writes")


def test_add_and_set_with_server_timestamp(page):
    got = run(page, """
      const before = Date.now();
      const ref = await within(fs.addDoc(fs.collection(db, 'contacts'), {name: 'Ada', at: fs.serverTimestamp()}), 'addDoc');
      await within(fs.setDoc(fs.doc(db, 'contacts', 'grace'), {name: 'Grace', at: fs.serverTimestamp()}), 'setDoc');
      const a = await within(fs.getDoc(ref), 'getDoc');
      const g = await within(fs.getDoc(fs.doc(db, 'contacts', 'grace')), 'getDoc');
      return {id: ref.id, name: a.data().name, ms: a.data().at.toMillis() - before,
              grace: g.data().name, graceIsTs: g.data().at instanceof fs.Timestamp};
    """)
    assert len(got["id"]) == 20 and got["name"] == "Ada" and got["grace"] == "Grace" and got["graceIsTs"]
    assert -5000 < got["ms"] < 60000


def test_update_with_increment_array_union_and_delete_field(page):
    got = run(page, """
      const ref = fs.doc(db, 'accounts', 'acme');
      await within(fs.setDoc(ref, {visits: 1, tags: ['a'], stale: true}), 'set');
      await within(fs.updateDoc(ref, {visits: fs.increment(2), tags: fs.arrayUnion('b', 'a'), stale: fs.deleteField()}), 'update');
      return (await within(fs.getDoc(ref), 'get')).data();
    """)
    assert got == {"visits": 3, "tags": ["a", "b"]}


def test_batch_writes_are_atomic(page):
    got = run(page, """
      const b = fs.writeBatch(db);
      b.set(fs.doc(db, 'deals', 'd1'), {stage: 'won', amount: 10});
      b.set(fs.doc(db, 'deals', 'd2'), {stage: 'lost', amount: 5});
      b.delete(fs.doc(db, 'deals', 'd0'));
      await within(b.commit(), 'batch');
      const bad = fs.writeBatch(db);
      bad.set(fs.doc(db, 'deals', 'd3'), {stage: 'new'});
      bad.update(fs.doc(db, 'deals', 'missing'), {stage: 'x'});
      let code = null;
      try { await within(bad.commit(), 'bad batch'); } catch (e) { code = e.code; }
      const snap = await within(fs.getDocs(fs.collection(db, 'deals')), 'getDocs');
      return {ids: snap.docs.map(d => d.id), code};
    """)
    assert got == {"ids": ["d1", "d2"], "code": "not-found"}


def test_queries(page):
    got = run(page, """
      const people = [['ann', 'eu', 31], ['bob', 'us', 25], ['cy', 'eu', 47], ['dee', 'apac', 19], ['eve', 'us', 52]];
      const b = fs.writeBatch(db);
      for (const [id, region, age] of people) b.set(fs.doc(db, 'people', id), {region, age});
      b.set(fs.doc(db, 'orgs', 'o1', 'people', 'zed'), {region: 'eu', age: 60});
      await within(b.commit(), 'seed');
      const ids = async q => (await within(fs.getDocs(q), 'query')).docs.map(d => d.id);
      const c = fs.collection(db, 'people');
      return {
        where: await ids(fs.query(c, fs.where('region', '==', 'eu'), fs.orderBy('age'))),
        or: await ids(fs.query(c, fs.or(fs.where('age', '<', 20), fs.where('age', '>', 50)), fs.orderBy('age'))),
        in: await ids(fs.query(c, fs.where('region', 'in', ['us', 'apac']), fs.orderBy('age', 'desc'))),
        limit: await ids(fs.query(c, fs.orderBy('age', 'desc'), fs.limit(2))),
        group: await ids(fs.query(fs.collectionGroup(db, 'people'), fs.where('region', '==', 'eu'), fs.orderBy('age'))),
      };
    """)
    assert got == {"where": ["ann", "cy"], "or": ["dee", "eve"], "in": ["eve", "bob", "dee"],
                   "limit": ["eve", "cy"], "group": ["ann", "cy", "zed"]}


def test_aggregations(page):
    got = run(page, """
      const b = fs.writeBatch(db);
      [3, 4, 8].forEach((n, i) => b.set(fs.doc(db, 'orders', 'o' + i), {total: n}));
      await within(b.commit(), 'seed');
      const agg = fs.getAggregateFromServer || fs.getAggregate;
      const r = await within(agg(fs.collection(db, 'orders'),
          {n: fs.count(), sum: fs.sum('total'), avg: fs.average('total')}), 'aggregate');
      return r.data();
    """)
    assert got == {"n": 3, "sum": 15, "avg": 5}


def test_transactions_under_contention(page):
    got = run(page, """
      const ref = (d) => fs.doc(d, 'counters', 'c');
      await within(fs.setDoc(ref(db), {n: 0}), 'seed');
      const bump = (d) => fs.runTransaction(d, async t => {
        const s = await t.get(ref(d));
        t.update(ref(d), {n: s.data().n + 1});
      });
      const runs = [];
      for (let i = 0; i < 6; i++) runs.push(bump(dbs[i % 2]));
      await within(Promise.all(runs), 'transactions');
      return (await within(fs.getDoc(ref(db)), 'get')).data().n;
    """)
    assert got == 6


def test_on_snapshot_sees_another_clients_writes(page):
    full_only(page)
    got = run(page, """
      const [mine, theirs] = dbs;
      const docEvents = [], queryEvents = [];
      let resolveDoc, resolveQuery;
      const docDone = new Promise(r => resolveDoc = r), queryDone = new Promise(r => resolveQuery = r);
      const un1 = fs.onSnapshot(fs.doc(mine, 'tickets', 't1'), s => {
        docEvents.push(s.exists() ? s.data().status : null);
        if (s.exists() && s.data().status === 'closed') resolveDoc();
      });
      const q = fs.query(fs.collection(mine, 'tickets'), fs.where('open', '==', true), fs.orderBy('prio'));
      const un2 = fs.onSnapshot(q, s => {
        queryEvents.push(s.docs.map(d => d.id).join(','));
        if (s.docs.length === 0 && queryEvents.length > 1) resolveQuery();
      });
      await new Promise(r => setTimeout(r, 300));
      await within(fs.setDoc(fs.doc(theirs, 'tickets', 't1'), {status: 'new', open: true, prio: 2}), 'set t1');
      await within(fs.setDoc(fs.doc(theirs, 'tickets', 't2'), {status: 'new', open: true, prio: 1}), 'set t2');
      await within(fs.updateDoc(fs.doc(theirs, 'tickets', 't1'), {status: 'closed', open: false}), 'close t1');
      await within(fs.updateDoc(fs.doc(theirs, 'tickets', 't2'), {open: false}), 'close t2');
      await within(docDone, 'document listener');
      await within(queryDone, 'query listener');
      un1(); un2();
      return {docEvents, queryEvents};
    """)
    assert got["docEvents"][0] is None and got["docEvents"][-1] == "closed"
    assert "new" in got["docEvents"]
    q = [e for i, e in enumerate(got["queryEvents"]) if i == 0 or e != got["queryEvents"][i - 1]]
    assert q[0] == "" and q[-1] == ""
    assert "t2,t1" in q and "t2" in q


def test_wait_for_pending_writes(page):
    full_only(page)
    got = run(page, """
      const writes = [];
      for (let i = 0; i < 20; i++) writes.push(fs.setDoc(fs.doc(db, 'notes', 'n' + i), {i}));
      await within(fs.waitForPendingWrites(db), 'waitForPendingWrites');
      const snap = await within(fs.getDocsFromServer(fs.collection(dbs[1], 'notes')), 'other client reads');
      await Promise.all(writes);
      return snap.size;
    """)
    assert got == 20
