"""Cross-origin access: what a browser's preflight and actual requests get back.

The JS SDK's lite build (REST over fetch) and the full build (WebChannel over XHR) both run in a
page served from another origin, so every route must answer a preflight and put
Access-Control-Allow-Origin on every answer — errors included.  The conformance tests run on the
selected target; the differential test asks both servers the same questions and compares the
CORS headers.
"""

import pytest
import requests

import conftest
from conftest import new_project

ORIGIN = "http://localhost:5173"
SDK_HEADERS = ("authorization,content-type,x-goog-api-client,x-firebase-gmpid,"
               "x-goog-request-params,x-goog-api-key,x-firebase-client,x-firebase-appcheck")
TIMEOUT = 15


def preflight(base, path, method="POST", headers=SDK_HEADERS, origin=ORIGIN):
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return requests.options(base + path, headers=h, timeout=TIMEOUT)


def routes(project):
    root = f"/v1/projects/{project}/databases/(default)/documents"
    return [
        root + ":commit",
        root + ":runQuery",
        root + ":batchGet",
        root + ":runAggregationQuery",
        root + ":beginTransaction",
        root + "/cities/SF",
        root + "/cities",
        "/google.firestore.v1.Firestore/Listen/channel?VER=8&RID=1&CVER=22",
        "/google.firestore.v1.Firestore/Write/channel?VER=8&RID=1&CVER=22",
        f"/emulator/v1/projects/{project}/databases/(default)/documents",
        "/emulator/v1/ready",
        "/",
        "/no/such/route",
    ]


@pytest.mark.parametrize("index", range(13))
def test_preflight_allows_any_origin_the_sdk_methods_and_headers(server, index):
    path = routes(new_project())[index]
    r = preflight(server.base, path)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    methods = {m.strip() for m in r.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PATCH", "DELETE"} <= methods
    allowed = {h.strip().lower() for h in r.headers["Access-Control-Allow-Headers"].split(",")}
    assert set(SDK_HEADERS.split(",")) <= allowed
    assert r.headers["Access-Control-Allow-Credentials"] == "true"


def test_preflight_echoes_headers_it_has_never_heard_of(server):
    r = preflight(server.base, "/v1/projects/p/databases/(default)/documents:commit",
                  headers="x-some-future-header,Content-Type")
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Headers"] == "x-some-future-header,Content-Type"


def test_preflight_from_another_origin_is_answered_for_that_origin(server):
    r = preflight(server.base, "/v1/projects/p/databases/(default)/documents:commit",
                  origin="https://crm.example.com:8443")
    assert r.headers["Access-Control-Allow-Origin"] == "https://crm.example.com:8443"


def test_successful_answers_carry_the_origin(server):
    p = new_project()
    r = requests.post(f"{server.base}/v1/projects/{p}/databases/(default)/documents:commit",
                      json={"writes": [{"update": {
                          "name": f"projects/{p}/databases/(default)/documents/cities/SF",
                          "fields": {"n": {"integerValue": "1"}}}}]},
                      headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    r = requests.get(f"{server.base}/v1/projects/{p}/databases/(default)/documents/cities/SF",
                     headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN


@pytest.mark.parametrize("method,path,body,status", [
    ("GET", "/v1/projects/{p}/databases/(default)/documents/cities/missing", None, 404),
    ("POST", "/v1/projects/{p}/databases/(default)/documents:commit", "{not json", 400),
    ("POST", "/v1/projects/{p}/databases/(default)/documents:runQuery",
     '{"structuredQuery":{"from":[{"collectionId":"c"}],"limit":-1}}', 400),
])
def test_error_answers_carry_the_origin(server, method, path, body, status):
    p = new_project()
    r = requests.request(method, server.base + path.format(p=p), data=body,
                         headers={"Origin": ORIGIN, "Content-Type": "application/json"}, timeout=TIMEOUT)
    assert r.status_code == status, r.text
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert r.json()["error"]["code"] == status


def test_unknown_route_error_carries_the_origin(server):
    r = requests.get(server.base + "/no/such/route", headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert r.status_code == 404
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_emulator_route_answers_carry_the_origin(server):
    p = new_project()
    r = requests.delete(f"{server.base}/emulator/v1/projects/{p}/databases/(default)/documents",
                        headers={"Origin": ORIGIN}, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == ORIGIN


def test_requests_without_an_origin_get_no_cors_headers(server):
    r = requests.get(server.base + "/", timeout=TIMEOUT)
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers


CORS_HEADERS = ("access-control-allow-origin", "access-control-allow-methods",
                "access-control-allow-headers", "access-control-allow-credentials")


def cors_view(r):
    return (r.status_code, {h: r.headers.get(h) for h in CORS_HEADERS})


@pytest.mark.differential
def test_differential_cors_headers_match_the_official_emulator():
    flint = conftest._server("flint")
    official = conftest._server("official")
    p = new_project()
    asks = [("OPTIONS", path) for path in routes(p)] + [
        ("GET", f"/v1/projects/{p}/databases/(default)/documents/cities/missing"),
        ("POST", f"/v1/projects/{p}/databases/(default)/documents:commit"),
        ("GET", "/"),
    ]
    for method, path in asks:
        headers = {"Origin": ORIGIN}
        if method == "OPTIONS":
            headers |= {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": SDK_HEADERS}
        body = "{bad" if method == "POST" else None
        a = requests.request(method, flint.base + path, headers=headers, data=body, timeout=TIMEOUT)
        b = requests.request(method, official.base + path, headers=headers, data=body, timeout=TIMEOUT)
        assert cors_view(a) == cors_view(b), f"{method} {path}"
