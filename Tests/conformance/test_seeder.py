"""testdata/seed.py, run unmodified as a user would (firebase-admin over gRPC, the server found
through FIRESTORE_EMULATOR_HOST), against the server under test.

Customers are checked after a --customers-only run: once orders are written, whatever reacts to
them (e.g. a customer intelligence engine) may update customers/{phone}, so assertions made
after orders only rely on what such updates cannot take away."""

import datetime
import json
import os
import subprocess
import sys
import time

import pytest

from conftest import REPO_ROOT, parse_ts

TESTDATA = os.path.join(REPO_ROOT, "testdata")
SEED = os.path.join(TESTDATA, "seed.py")
ROHIT = "9876543210"


def _load(name):
    with open(os.path.join(TESTDATA, name), encoding="utf-8") as f:
        return json.load(f)


CUSTOMERS = _load("customers.json")
ORDERS = _load("orders.json")


def run_seed(server, project, *args, timeout=120):
    env = dict(os.environ, FIRESTORE_EMULATOR_HOST=server.hostport, GCLOUD_PROJECT=project)
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    r = subprocess.run([sys.executable, SEED, *args], env=env, capture_output=True, text=True,
                       timeout=timeout, cwd=REPO_ROOT)
    assert r.returncode == 0, f"seed.py {' '.join(args)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}"
    return r.stdout


def ids(db, collection):
    return {d.id for d in db.collection(collection).list_documents()}


# ------------------------------------------------------------------ the sample files

def test_sample_files_are_consistent():
    phones = [c["phone"] for c in CUSTOMERS]
    assert len(phones) == len(set(phones)) and 20 <= len(phones) <= 30
    rohit = next(c for c in CUSTOMERS if c["phone"] == ROHIT)
    assert rohit["name"] == "Rohit Verma" and rohit["defaultAddress"]["zip"] == "110009"
    order_ids = [o["_id"] for o in ORDERS]
    assert len(order_ids) == len(set(order_ids)) and 50 <= len(order_ids) <= 70
    assert {o["source"] for o in ORDERS} == {"whatsapp", "website", "ai_agent", "admin"}
    assert {o["customerPhone"] for o in ORDERS} - set(phones), "some orders come from new phones"
    for o in ORDERS:
        assert o["internalStatus"] == "created_pending"
        assert set(o["shippingAddress"]) == {"label", "street", "city", "state", "zip", "country"}
        total = sum(i["qty"] * i["price"] for i in o["items"])
        assert abs(o["total"] - total) < 1e-9, o["_id"]
        for i in o["items"]:
            assert isinstance(i["qty"], int) and i["productId"].startswith("PROD_")


# ------------------------------------------------------------------ customers

def _expect_rest(value, path, server_time):
    """The REST (JSON) form a seeded JSON value must come back in."""
    if value == "server_timestamp":
        return ("server_time", path)
    if isinstance(value, bool):
        return {"booleanValue": value}
    if isinstance(value, int):
        return {"integerValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, str):
        try:
            return {"timestampValue": parse_ts(value)}
        except AssertionError:
            return {"stringValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_expect_rest(v, f"{path}[{i}]", server_time)
                                          for i, v in enumerate(value)]}} if value else \
            {"arrayValue": {}}
    if isinstance(value, dict):
        return {"mapValue": {"fields": {k: _expect_rest(v, f"{path}.{k}", server_time)
                                        for k, v in value.items()}}}
    raise AssertionError(f"unexpected JSON value at {path}: {value!r}")


def _normalise_rest(value):
    """REST value with timestamps as integer nanoseconds (for comparison)."""
    if "timestampValue" in value:
        return {"timestampValue": parse_ts(value["timestampValue"])}
    if "arrayValue" in value:
        vals = value["arrayValue"].get("values")
        return {"arrayValue": {"values": [_normalise_rest(v) for v in vals]}} if vals else \
            {"arrayValue": {}}
    if "mapValue" in value:
        return {"mapValue": {"fields": {k: _normalise_rest(v) for k, v in
                                        value["mapValue"].get("fields", {}).items()}}}
    return value


def test_customers_only_round_trip(server, project, api, db):
    t0 = time.time_ns()
    out = run_seed(server, project, "--customers-only")
    t1 = time.time_ns()
    assert f"customers: {len(CUSTOMERS)} written" in out, out
    assert "orders:" not in out

    assert ids(db, "customers") == {c["phone"] for c in CUSTOMERS}
    assert ids(db, "orders") == set()

    # Rohit Verma, field by field, in the wire form (REST JSON)
    src = next(c for c in CUSTOMERS if c["phone"] == ROHIT)
    doc = api.get_doc(f"customers/{ROHIT}")
    assert doc is not None
    got = doc["fields"]
    assert set(got) == set(src)
    server_times = []
    for field, value in src.items():
        want = _expect_rest(value, field, None)
        if isinstance(want, tuple):                      # "server_timestamp"
            assert set(got[field]) == {"timestampValue"}, (field, got[field])
            ts = parse_ts(got[field]["timestampValue"])
            assert t0 - 2_000_000_000 <= ts <= t1 + 2_000_000_000, (field, got[field])
            server_times.append(ts)
        else:
            assert _normalise_rest(got[field]) == want, field
    # both sentinels of one set() resolve to the same commit time
    assert len(set(server_times)) == 1
    assert parse_ts(doc["updateTime"]) >= server_times[0]

    # and through the SDK: the values a reader gets back
    snap = db.document(f"customers/{ROHIT}").get().to_dict()
    for field, value in src.items():
        if value == "server_timestamp":
            assert isinstance(snap[field], datetime.datetime)
        elif field in ("lastOrderAt", "lastInteractionAt"):
            assert snap[field] == datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        else:
            assert snap[field] == value and type(snap[field]) is type(value), field


def test_every_customer_matches_its_file_entry(server, project, api):
    run_seed(server, project, "--customers-only")
    for c in CUSTOMERS:
        got = api.get_doc(f"customers/{c['phone']}")["fields"]
        assert set(got) == set(c), c["phone"]
        for field, value in c.items():
            want = _expect_rest(value, field, None)
            if isinstance(want, tuple):
                assert "timestampValue" in got[field]
            else:
                assert _normalise_rest(got[field]) == want, (c["phone"], field)


# ------------------------------------------------------------------ orders

def test_full_seed_writes_every_order(server, project, db):
    t0 = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5)
    out = run_seed(server, project)
    assert f"customers: {len(CUSTOMERS)} written" in out, out
    assert f"orders: {len(ORDERS)} written" in out, out

    assert ids(db, "orders") == {o["_id"] for o in ORDERS}
    # other writers may add customers (e.g. for new phones); the seeded ones must all be there
    assert ids(db, "customers") >= {c["phone"] for c in CUSTOMERS}

    for o in ORDERS:
        got = db.document(f"orders/{o['_id']}").get().to_dict()
        for field in ("customerPhone", "items", "total", "source", "shippingAddress"):
            assert got[field] == o[field], (o["_id"], field)
        assert isinstance(got["createdAt"], datetime.datetime)
        if "createdAt" in o:
            assert got["createdAt"] == datetime.datetime.fromisoformat(
                o["createdAt"].replace("Z", "+00:00"))
        else:
            assert got["createdAt"] >= t0               # SERVER_TIMESTAMP at commit


def test_reseeding_does_not_duplicate(server, project, db):
    run_seed(server, project)
    out = run_seed(server, project)
    assert f"orders: {len(ORDERS)} written" in out
    assert ids(db, "orders") == {o["_id"] for o in ORDERS}
    assert ids(db, "customers") >= {c["phone"] for c in CUSTOMERS}


def test_orders_without_id_are_added(server, project, db, tmp_path):
    extra = [{k: v for k, v in ORDERS[0].items() if k not in ("_id", "createdAt")},
             {k: v for k, v in ORDERS[1].items() if k != "_id"}]
    path = tmp_path / "orders.json"
    path.write_text(json.dumps(extra))
    out = run_seed(server, project, "--orders-only", "--orders", str(path))
    assert "orders: 2 written" in out and "2 with automatic IDs" in out, out
    # list_documents, not stream(): the official emulator's REST runQuery stream is not one the
    # REST transport can parse
    docs = {d.id: d.get().to_dict() for d in db.collection("orders").list_documents()}
    assert len(docs) == 2
    assert all(len(i) == 20 for i in docs)
    assert sorted(d["customerPhone"] for d in docs.values()) == \
        sorted(o["customerPhone"] for o in extra)
    assert all(isinstance(d["createdAt"], datetime.datetime) for d in docs.values())
