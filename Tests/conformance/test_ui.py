"""Flint's page at /ui/, driven by headless Chromium (Playwright over Debian's `chromium`).

One Flint (engine on) serves the whole module, with the sample customers and orders seeded by
testdata/seed.py and an external function (`onOrderHttp`, served by this test) that fails until
the test "fixes" it. Screenshots of every view go to $FLINT_UI_ARTIFACTS (default
ui-artifacts/, gitignored); with FLINT_UI_DOCS=1 they also replace docs/ui-*.png.
"""

import json
import os
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from playwright.sync_api import expect

import conftest
from conftest import OWNER, REPO_ROOT

pytestmark = pytest.mark.flint_only("Flint's own page", hangs=True)

PROJECT = "demo-flint"
BIG_PROJECT = "ui-big"
BIG_COUNT = 100_000
ROHIT = "9876543210"
ARTIFACTS = os.environ.get("FLINT_UI_ARTIFACTS") or os.path.join(REPO_ROOT, "ui-artifacts")
DOCS = os.path.join(REPO_ROOT, "docs")


class Function:
    """An external trigger function: records each delivery (ce-id, document) and answers 500
    while `broken`, 200 once fixed."""

    def __init__(self):
        self.deliveries = []
        self.broken = True
        fn = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                fn.deliveries.append((self.headers.get("ce-id"), self.headers.get("ce-document"), fn.broken))
                status = 500 if fn.broken else 200
                body = b"TypeError: order.total.toFixed is not a function" if fn.broken else b"{}"
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def function():
    fn = Function()
    yield fn
    fn.stop()


@pytest.fixture(scope="module")
def flint(function, tmp_path_factory, target_kind):
    if target_kind != "flint":
        pytest.skip("the page is Flint's own")
    config = tmp_path_factory.mktemp("ui") / "functions.json"
    config.write_text(json.dumps({"functions": [{
        "name": "onOrderHttp", "eventType": "created", "document": "orders/{orderId}",
        "endpoint": f"http://127.0.0.1:{function.port}/"}]}))
    server = conftest.start_flint(["--functions", str(config)])
    env = dict(os.environ, FIRESTORE_EMULATOR_HOST=server.hostport, GCLOUD_PROJECT=PROJECT)
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    seeded = subprocess.run([sys.executable, os.path.join(REPO_ROOT, "testdata", "seed.py")], env=env,
                            capture_output=True, text=True, timeout=180, cwd=REPO_ROOT)
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    idle(server)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    executable = os.environ.get("FLINT_CHROMIUM", "/usr/bin/chromium")
    if not os.access(executable, os.X_OK):
        pytest.skip(f"no Chromium at {executable} (scripts/setup-browser installs it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(browser, flint):
    context = browser.new_context(viewport={"width": 1500, "height": 950})
    pg = context.new_page()
    errors = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def idle(server, timeout=60):
    r = requests.post(f"{server.base}/emulator/v1/triggers:waitForIdle", params={"timeout": timeout}, timeout=timeout + 5)
    assert r.status_code == 200, r.text


def doc_url(server, path, project=PROJECT):
    return f"{server.base}/v1/projects/{project}/databases/(default)/documents/{path}"


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)
    if os.environ.get("FLINT_UI_DOCS") == "1":
        page.screenshot(path=os.path.join(DOCS, f"{name}.png"), full_page=False)


def open_view(page, server, view, **params):
    query = "&".join(f"{k}={v}" for k, v in {"p": PROJECT, "d": "(default)", **params}.items())
    page.goto(f"{server.base}/ui/#/{view}?{query}")


def number(page, selector):
    return int(page.locator(selector).inner_text().split("\n")[0].replace(",", ""))


# ----------------------------------------------------------------------------- start

def test_start_prints_the_page_url(flint):
    assert f"Flint UI: http://127.0.0.1:{flint.port}/ui/" in flint.recent_output(400)
    assert requests.get(f"{flint.base}/ui/", timeout=10).status_code == 200


def test_a_host_beyond_loopback_warns_that_the_page_is_unauthenticated():
    binpath = os.environ.get("FLINT_BIN") or os.path.join(REPO_ROOT, ".build", "debug", "flint")
    proc = subprocess.Popen([binpath, "start", "--host", "0.0.0.0", "--port", "0", "--no-engine"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO_ROOT)
    lines = []
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("Flint UI:" in line for line in lines):
            lines.append(proc.stdout.readline().decode(errors="replace"))
        text = "".join(lines)
        assert "take no credentials" in text and "Flint UI: http://0.0.0.0:" in text, text
    finally:
        conftest._stop_process(proc)
    loopback = conftest.start_flint(["--no-engine"])
    try:
        assert "take no credentials" not in loopback.recent_output(200)
    finally:
        loopback.stop()


# ----------------------------------------------------------------------------- data

def test_browse_to_a_customer_edit_a_field_and_read_it_back_over_rest(page, flint):
    open_view(page, flint, "data")
    page.get_by_role("link", name="customers").first.click()
    page.locator(".doclist").get_by_role("link", name=ROHIT).click()
    detail = page.locator("#detail")
    detail.locator('tr[data-field="name"]').get_by_text("Rohit Verma").wait_for()
    assert detail.locator('tr[data-field="trustScore"] .type').inner_text() == "integer"
    assert detail.locator('tr[data-field="defaultAddress"] .type').first.inner_text() == "map(6)"
    screenshot(page, "ui-data")

    detail.get_by_role("button", name="Edit").click()
    notes = page.locator("form.editor tr").filter(has=page.locator('input.name[value="notes"]'))
    notes.locator("input.value").fill("Prefers morning delivery")
    page.get_by_role("button", name="Add field").click()
    new_row = page.locator("form.editor tbody tr").last
    new_row.locator("input.name").fill("vip")
    new_row.get_by_label("type of new field").select_option("boolean")
    new_row.locator("input.value").fill("true")
    page.get_by_role("button", name="Save").click()
    detail.locator('tr[data-field="vip"]').wait_for()

    fields = requests.get(doc_url(flint, f"customers/{ROHIT}"), timeout=10).json()["fields"]
    assert fields["notes"] == {"stringValue": "Prefers morning delivery"}
    assert fields["vip"] == {"booleanValue": True}
    assert fields["name"] == {"stringValue": "Rohit Verma"} and fields["trustScore"].keys() == {"integerValue"}


def test_an_open_document_follows_writes_made_elsewhere(page, flint):
    open_view(page, flint, "data", c="customers", doc=f"customers/{ROHIT}")
    notes = page.locator('#detail tr[data-field="notes"] .val')
    notes.wait_for()
    requests.patch(doc_url(flint, f"customers/{ROHIT}"), params={"updateMask.fieldPaths": "notes"},
                   json={"fields": {"notes": {"stringValue": "Called back on Tuesday"}}}, timeout=10).raise_for_status()
    expect(notes).to_have_text("Called back on Tuesday")


def test_views_are_reachable_by_keyboard(page, flint):
    open_view(page, flint, "data")
    page.locator("#tab-data").focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator("#tab-triggers")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#tab-triggers")).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#tab-data")).to_have_attribute("aria-selected", "true")
    # Every form control the views show has an accessible name.
    for view in ("data", "triggers", "crm"):
        open_view(page, flint, view, c="customers")
        page.locator(f'main[data-view="{view}"]:not([aria-busy])').wait_for()
        # One look at the DOM, so a view still rendering cannot make the two counts disagree.
        unnamed = page.evaluate("""() => [...document.querySelectorAll('main :is(input, select, textarea)')]
            .filter(c => !c.hasAttribute('aria-label') && !c.closest('label'))
            .map(c => c.outerHTML.slice(0, 120))""")
        assert unnamed == [], view


def test_a_typing_mistake_is_named_and_nothing_is_written(page, flint):
    open_view(page, flint, "data", c="customers", doc=f"customers/{ROHIT}")
    page.locator("#detail").get_by_role("button", name="Edit").click()
    row = page.locator("form.editor tr").filter(has=page.locator('input.name[value="trustScore"]'))
    row.locator("input.value").fill("eighty")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#toast")).to_contain_text('Field "trustScore": an integer needs digits only')
    fields = requests.get(doc_url(flint, f"customers/{ROHIT}"), timeout=10).json()["fields"]
    assert "integerValue" in fields["trustScore"]


def test_add_a_document_then_delete_a_collection_recursively(page, flint):
    open_view(page, flint, "data", c="scratch")
    page.get_by_role("button", name="Add document").click()
    page.get_by_label("document id").fill("s1")
    row = page.locator("form.editor tbody tr").first
    row.locator("input.name").fill("n")
    row.get_by_label("type of new field").select_option("integer")
    row.locator("input.value").fill("7")
    page.get_by_role("button", name="Save").click()
    page.locator('#detail tr[data-field="n"]').get_by_text("7").wait_for()
    requests.patch(doc_url(flint, "scratch/s1/notes/x"), json={"fields": {}}, timeout=10).raise_for_status()
    assert requests.get(doc_url(flint, "scratch/s1"), timeout=10).json()["fields"] == {"n": {"integerValue": "7"}}

    open_view(page, flint, "data", c="scratch")
    page.once("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Delete collection").click()
    expect(page.locator("#toast")).to_contain_text("Deleted scratch")
    for path in ("scratch/s1", "scratch/s1/notes/x"):
        assert requests.get(doc_url(flint, path), timeout=10).status_code == 404


def test_delete_a_document(page, flint):
    requests.patch(doc_url(flint, "scratch2/gone"), json={"fields": {"a": {"integerValue": "1"}}}, timeout=10).raise_for_status()
    open_view(page, flint, "data", c="scratch2", doc="scratch2/gone")
    page.locator('#detail tr[data-field="a"]').wait_for()
    page.once("dialog", lambda d: d.accept())
    page.locator("#detail").get_by_role("button", name="Delete").click()
    expect(page.locator("#toast")).to_contain_text("Deleted scratch2/gone")
    assert requests.get(doc_url(flint, "scratch2/gone"), timeout=10).status_code == 404


def test_a_chart_bar_opens_the_documents_it_counts(page, flint):
    open_view(page, flint, "crm")
    bar = page.locator("#chart-segments [data-label=Active]")
    label = bar.get_attribute("aria-label")            # "Active: N"
    count = int(label.split(": ")[1].replace(",", ""))
    assert count > 0
    bar.click()
    page.locator(".results").wait_for()
    assert page.locator(".results tbody tr").count() == count
    assert page.get_by_label("filter field").input_value() == "customerSegment"
    assert page.get_by_label("filter value").input_value() == "Active"


def test_query_builder_shows_results_and_explain_metrics(page, flint):
    open_view(page, flint, "data", c="customers")
    page.get_by_role("button", name="Query…").click()
    page.get_by_role("button", name="Add filter").click()
    page.get_by_label("filter field").fill("loyaltyTier")
    page.get_by_label("filter value").fill("gold")
    page.get_by_label("order by field").fill("totalSpent")
    page.get_by_label("direction").select_option("DESCENDING")
    page.get_by_label("limit").fill("5")
    page.get_by_role("button", name="Run query").click()
    results = page.locator(".results")
    results.wait_for()
    expected = requests.post(f"{flint.base}/v1/projects/{PROJECT}/databases/(default)/documents:runQuery", json={
        "structuredQuery": {"from": [{"collectionId": "customers"}],
                            "where": {"fieldFilter": {"field": {"fieldPath": "loyaltyTier"}, "op": "EQUAL", "value": {"stringValue": "gold"}}},
                            "orderBy": [{"field": {"fieldPath": "totalSpent"}, "direction": "DESCENDING"}], "limit": 5}}, timeout=10).json()
    ids = [r["document"]["name"].rsplit("/", 1)[1] for r in expected if "document" in r]
    assert ids, "the samples hold gold customers"
    assert results.locator("tbody tr td:first-child").all_inner_texts() == ids
    explain = page.locator("#explain").inner_text()
    assert "results returned" in explain and f"\n{len(ids)}" in explain and "indexes used" in explain


# ----------------------------------------------------------------------------- triggers and dashboard

def test_an_order_fires_its_trigger_and_moves_the_dashboard(page, flint):
    open_view(page, flint, "crm")
    orders = number(page, "#kpi-orders")
    pending = page.locator("#chart-statuses [data-label=created_pending]").get_attribute("aria-label")
    counted = requests.post(f"{flint.base}/v1/projects/{PROJECT}/databases/(default)/documents:runAggregationQuery", json={
        "structuredAggregationQuery": {"structuredQuery": {"from": [{"collectionId": "orders"}]},
                                       "aggregations": [{"alias": "n", "count": {}}]}}, timeout=10).json()
    assert orders == int(counted[0]["result"]["aggregateFields"]["n"]["integerValue"]) > 0
    screenshot(page, "ui-crm")

    order = {"customerPhone": {"stringValue": ROHIT}, "total": {"integerValue": "25000"}, "source": {"stringValue": "website"},
             "internalStatus": {"stringValue": "created_pending"},
             "items": {"arrayValue": {"values": [{"mapValue": {"fields": {"productId": {"stringValue": "PROD_001"},
                                                                        "qty": {"integerValue": "1"}, "price": {"integerValue": "25000"}}}}]}},
             "shippingAddress": {"mapValue": {"fields": {"zip": {"stringValue": "110009"}, "city": {"stringValue": "Delhi"}}}}}
    requests.patch(doc_url(flint, "orders/ORD_UI_1"), json={"fields": order}, timeout=10).raise_for_status()
    # Live: the numbers move without a reload. 25,000 is above the auto-approval cap: review.
    expect(page.locator("#kpi-orders b")).to_have_text(f"{orders + 1:,}")
    review = page.locator("#crm").get_by_role("link", name="ORD_UI_1", exact=True)
    review.wait_for()
    assert page.locator("#chart-statuses [data-label=created_pending]").get_attribute("aria-label") != pending

    open_view(page, flint, "triggers")
    run = (page.locator("#runs tbody tr").filter(has_text="engine.orders").filter(has_text="orders/ORD_UI_1")
           .filter(has_text="created").first)
    run.wait_for()
    assert run.get_attribute("data-status") == "succeeded"
    run.get_by_role("link").click()
    detail = page.locator("#run-detail")
    detail.get_by_text("Documents the handler wrote").wait_for()
    assert detail.locator(".diff tbody tr").filter(has_text="total").count() == 1
    assert detail.get_by_role("link", name=f"customers/{ROHIT}", exact=True).count() == 1
    screenshot(page, "ui-triggers")

    # Every number opens the documents behind it.
    open_view(page, flint, "crm")
    awaiting = number(page, "#kpi-review")
    page.locator("#kpi-review").click()
    page.locator(".results").wait_for()
    assert page.locator(".results tbody tr").count() == awaiting
    assert page.locator(".results").get_by_role("link", name="ORD_UI_1", exact=True).count() == 1


def test_pause_and_resume_delivery(page, flint):
    open_view(page, flint, "triggers")
    page.get_by_role("button", name="Pause delivery").click()
    page.get_by_role("button", name="Resume delivery").wait_for()
    assert requests.get(f"{flint.base}/emulator/v1/triggers", timeout=10).json()["activity"]["paused"] is True
    page.get_by_role("button", name="Resume delivery").click()
    page.get_by_role("button", name="Pause delivery").wait_for()
    assert requests.get(f"{flint.base}/emulator/v1/triggers", timeout=10).json()["activity"]["paused"] is False


def test_replay_a_failed_run_after_fixing_the_function(page, flint, function):
    function.broken = True
    requests.patch(doc_url(flint, "orders/ORD_UI_2"), json={"fields": {"customerPhone": {"stringValue": ROHIT},
                                                                        "total": {"integerValue": "100"}}}, timeout=10).raise_for_status()
    idle(flint)
    open_view(page, flint, "triggers")
    failed = page.locator("#runs tbody tr").filter(has_text="onOrderHttp").filter(has_text="orders/ORD_UI_2").first
    failed.wait_for()
    assert failed.get_attribute("data-status") == "failed"
    assert "HTTP 500" in failed.inner_text() and "toFixed" in failed.inner_text()
    old = failed.get_attribute("data-run")
    failed.get_by_role("link").click()
    detail = page.locator("#run-detail")
    expect(detail.locator("h2")).to_contain_text(f"Run #{old}")
    expect(detail.locator("h2 .badge")).to_have_text("failed")

    function.broken = False          # the fix
    detail.get_by_role("button", name="Replay event").click()
    expect(detail.locator("h2 .badge")).to_have_text("succeeded")
    expect(detail.locator("tr").filter(has_text="replay of")).to_contain_text(f"#{old}")
    replayed = page.locator("#runs tbody tr").filter(has_text=f"replay of #{old}").first
    replayed.wait_for()
    assert replayed.get_attribute("data-status") == "succeeded"
    mine = [d for d in function.deliveries if d[1] == "orders/ORD_UI_2"]
    assert [broken for _, _, broken in mine] == [True, False]
    assert mine[0][0] == mine[1][0], "the replay delivers the same event (same ce-id)"


# ----------------------------------------------------------------------------- rules

def test_rules_view_without_a_rules_endpoint_says_so(page, flint):
    open_view(page, flint, "rules")
    notice = page.locator("#rules .notice")
    notice.wait_for()
    status = requests.get(f"{flint.base}/emulator/v1/projects/{PROJECT}:ruleEvaluations", timeout=10).status_code
    if status == 404:
        assert "not available" in notice.inner_text()
    else:
        assert "No rules loaded" in notice.inner_text() or page.locator("#evaluations").count() == 1


def test_rules_view_shows_evaluations_in_the_endpoint_contract(page, flint):
    evaluations = {"rulesLoaded": True, "evaluations": [
        {"id": 2, "time": "2026-12-02T01:00:02.123Z", "database": "(default)", "method": "update", "path": "customers/123",
         "auth": {"uid": "alice", "token": {"sub": "alice"}}, "allowed": False, "line": 7, "column": 9,
         "rule": "allow update: if request.auth.uid == resource.data.owner", "reason": "false: alice is not the owner",
         "expression": "request.auth.uid == resource.data.owner", "debug": ["resource.data.owner = \"bob\""]},
        {"id": 1, "time": "2026-12-02T01:00:01.000Z", "database": "(default)", "method": "get", "path": "customers/123",
         "auth": None, "allowed": True, "line": 4, "column": 7, "rule": "allow read: if true", "reason": "true",
         "expression": None, "debug": []}]}
    page.route("**/*:ruleEvaluations*", lambda route: route.fulfill(status=200, content_type="application/json", body=json.dumps(evaluations)))
    open_view(page, flint, "rules")
    table = page.locator("#evaluations")
    table.wait_for()
    rows = table.locator("tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).inner_text()
    assert "denied" in first and "7:9" in first and "alice" in first and "not the owner" in first
    assert "allowed" in rows.nth(1).inner_text() and "none" in rows.nth(1).inner_text()
    assert page.get_by_role("link", name="Coverage report ↗").get_attribute("href") == f"/emulator/v1/projects/{PROJECT}:ruleCoverage.html"


def test_rules_view_shows_the_evaluations_flint_made(page, flint):
    project = "ui-rules"
    rules = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /{collection}/{id} {
      allow read, write: if collection != 'vault';
    }
  }
}
"""
    loaded = requests.put(f"{flint.base}/emulator/v1/projects/{project}:securityRules",
                          json={"rules": {"files": [{"name": "firestore.rules", "content": rules}]}}, timeout=10)
    assert loaded.status_code == 200, loaded.text
    docs = f"{flint.base}/v1/projects/{project}/databases/(default)/documents"
    assert requests.get(f"{docs}/vault/gold", timeout=10).status_code == 403
    assert requests.get(f"{docs}/open/door", timeout=10).status_code == 404   # allowed, absent
    open_view(page, flint, "rules", p=project)
    rows = page.locator("#evaluations tbody tr")
    expect(rows).to_have_count(2)
    denied, allowed = rows.nth(1).inner_text(), rows.nth(0).inner_text()   # newest first
    assert "denied" in denied and "vault/gold" in denied and "5:" in denied
    assert "allowed" in allowed and "open/door" in allowed
    screenshot(page, "ui-rules")


def test_rules_view_when_no_rules_are_loaded(page, flint):
    page.route("**/*:ruleEvaluations*", lambda route: route.fulfill(status=200, content_type="application/json",
                                                                     body='{"rulesLoaded": false, "evaluations": []}'))
    open_view(page, flint, "rules")
    expect(page.locator("#rules .notice")).to_contain_text("No rules loaded")


# ----------------------------------------------------------------------------- 100,000 documents

def test_page_through_a_hundred_thousand_documents(page, flint):
    base = f"{flint.base}/v1/projects/{BIG_PROJECT}/databases/(default)/documents"
    session = requests.Session()
    started = time.monotonic()
    for start in range(0, BIG_COUNT, 500):
        writes = [{"update": {"name": f"projects/{BIG_PROJECT}/databases/(default)/documents/items/i{n:06d}",
                              "fields": {"n": {"integerValue": str(n)}, "label": {"stringValue": f"item {n}"}}}}
                  for n in range(start, start + 500)]
        r = session.post(f"{base}:commit", json={"writes": writes}, timeout=60)
        assert r.status_code == 200, r.text
    seeded = time.monotonic() - started

    page.goto(f"{flint.base}/ui/#/data?p={BIG_PROJECT}&d=(default)&c=items")
    info = page.locator("#page-info")
    expect(info).to_contain_text("documents 1–50 of 100,000", timeout=30_000)
    assert page.locator(".tree").get_by_role("link", name="items").inner_text().endswith("100,000")
    timings = []
    for k in range(1, 6):
        t = time.monotonic()
        page.get_by_role("button", name="Next →").click()
        expect(info).to_contain_text(f"documents {k * 50 + 1}–{(k + 1) * 50} of 100,000")
        timings.append(time.monotonic() - t)
    assert page.locator(".doclist a").first.inner_text().startswith("i000250")
    page.get_by_role("button", name="← Previous").click()
    expect(info).to_contain_text("documents 201–250 of 100,000")
    page.get_by_role("button", name="Query…").click()
    page.get_by_role("button", name="Add filter").click()
    page.get_by_label("filter field").fill("n")
    page.get_by_label("operator").select_option("GREATER_THAN_OR_EQUAL")
    page.get_by_label("filter value").fill("99990")
    page.get_by_role("button", name="Run query").click()
    page.locator(".results").wait_for()
    assert page.locator(".results tbody tr").count() == 10
    screenshot(page, "ui-data-100k")
    print(f"\n100,000 documents seeded in {seeded:.1f} s; pages turned in " + ", ".join(f"{t * 1000:.0f} ms" for t in timings))
    # A guard against reading the whole collection per page (which takes far longer), not a benchmark.
    assert max(timings) < 10
