import conftest
import datetime
"""Reads with `transaction` / `readTime`: a missing feature fails here like any other."""

import json

import pytest

from conftest import assert_error, int_value

pytestmark = pytest.mark.transactions


def _two_versions(api):
    v1 = api.put_doc("c/d", {"v": int_value(1)})
    v2 = api.put_doc("c/d", {"v": int_value(2)})
    return v1, v2


def _begin(api, options=None):
    r = api.post(":beginTransaction", {"options": options} if options else {})
    assert r.status_code == 200, r.text
    tx = r.json()["transaction"]
    assert isinstance(tx, str) and tx
    return tx


@pytest.mark.flint_only(reason="readTime as a query parameter is honoured (the official emulator answers "
                               "400 'Only timestamps past epoch are supported.' for any value)")
def test_get_with_read_time_returns_version_at_that_time(api):
    v1, _ = _two_versions(api)
    r = api.get("c/d", params={"readTime": v1["updateTime"]})
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"v": int_value(1)}
    assert r.json()["updateTime"] == v1["updateTime"]


@pytest.mark.flint_only(reason="readTime as a query parameter is honoured")
def test_get_with_read_time_before_creation_is_404(api):
    v1, _ = _two_versions(api)
    created_ns = conftest.parse_ts(v1["createTime"]) - 1_000_000  # 1 ms before creation
    seconds, nanos = divmod(created_ns, 1_000_000_000)
    before = datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + \
        f".{nanos // 1000:06d}Z"
    r = api.get("c/d", params={"readTime": before})
    assert_error(r, 404, "NOT_FOUND")


def test_read_time_older_than_an_hour_is_failed_precondition(api):
    _two_versions(api)
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "readTime": "2001-01-01T00:00:00Z"})
    assert_error(r, 400, "FAILED_PRECONDITION", message="The requested 'read_time' is too old.")


@pytest.mark.flint_only(reason="readTime as a query parameter is honoured")
def test_list_documents_with_read_time_sees_old_state(api):
    v1, _ = _two_versions(api)
    api.put_doc("c/later")
    r = api.get("c", params={"readTime": v1["updateTime"]})
    assert r.status_code == 200, r.text
    docs = r.json()["documents"]
    assert [d["name"] for d in docs] == [api.name("c/d")]
    assert docs[0]["fields"] == {"v": int_value(1)}


@pytest.mark.flint_only(reason="GET with ?transaction= answers (the official emulator never does)", hangs=True)
def test_get_with_transaction_reads_document(api):
    api.put_doc("c/d", {"v": int_value(1)})
    tx = _begin(api)
    r = api.get("c/d", params={"transaction": tx}, timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"v": int_value(1)}
    api.post(":rollback", {"transaction": tx})


def test_batch_get_with_read_time_returns_old_version(api):
    v1, _ = _two_versions(api)
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "readTime": v1["updateTime"]})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)
    assert out[0]["found"]["fields"] == {"v": int_value(1)}
    assert out[0]["readTime"] == v1["updateTime"]


def test_batch_get_in_transaction_reads_document(api):
    api.put_doc("c/d", {"v": int_value(7)})
    tx = _begin(api)
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "transaction": tx})
    assert r.status_code == 200, r.text
    assert json.loads(r.text)[0]["found"]["fields"] == {"v": int_value(7)}
    assert api.post(":rollback", {"transaction": tx}).status_code == 200


def test_batch_get_with_new_transaction_returns_transaction_first(api):
    api.put_doc("c/d")
    r = api.post(":batchGet", {"documents": [api.name("c/d")], "newTransaction": {"readWrite": {}}})
    assert r.status_code == 200, r.text
    out = json.loads(r.text)
    assert out[0].get("transaction")
    assert any("found" in e for e in out)
    assert api.post(":rollback", {"transaction": out[0]["transaction"]}).status_code == 200


def test_commit_in_transaction_applies_writes(api):
    tx = _begin(api)
    r = api.post(":commit", {"writes": [{"update": {"name": api.name("c/t"), "fields": {"v": int_value(1)}}}],
                             "transaction": tx})
    assert r.status_code == 200, r.text
    assert api.get_doc("c/t")["fields"] == {"v": int_value(1)}
