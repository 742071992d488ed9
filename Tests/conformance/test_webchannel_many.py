"""Many browser tabs at once: 200 WebChannel Listen sessions on one Flint, each seeing every change
once and in order; then the tabs close without a goodbye and their sessions are reclaimed (a short
idle timeout stands in for the default 30 s)."""

import threading
import time

import pytest
import requests

import conftest
from conftest import OWNER, new_project
from webchannel_client import WebChannel

SESSIONS = 200
CHANGES = 25


def db(project):
    return f"projects/{project}/databases/(default)"


def session_count(server):
    return requests.get(f"{server.base}/emulator/v1/webchannel/sessions", timeout=15).json()["sessions"]


@pytest.fixture
def flint(target_kind):
    if target_kind != "flint":
        pytest.skip("uses Flint's session count and idle-timeout flag")
    s = conftest.start_flint(["--webchannel-idle-timeout", "2", "--webchannel-keepalive", "0.5"])
    yield s
    s.stop()


def test_200_sessions_each_see_every_change_once_in_order_then_are_reclaimed(flint):
    project = new_project()
    query = {"database": db(project), "addTarget": {"targetId": 2, "query": {
        "parent": f"{db(project)}/documents",
        "structuredQuery": {"from": [{"collectionId": "feed"}]}}}}
    channels = []
    for i in range(SESSIONS):
        ch = WebChannel(flint.base, "Listen", db(project))
        ch.open(query)
        ch.start("stream" if i % 2 == 0 else "longpoll")
        channels.append(ch)
    for ch in channels:
        ch.messages_until(lambda p: p[0].get("targetChange", {}).get("targetChangeType") == "CURRENT", timeout=60)
    assert session_count(flint) == SESSIONS

    for seq in range(CHANGES):
        r = requests.patch(f"{flint.base}/v1/{db(project)}/documents/feed/d{seq % 5}", headers=OWNER, timeout=15,
                           json={"fields": {"seq": {"integerValue": str(seq)}}})
        assert r.status_code == 200, r.text

    failures = []

    def collect(ch, k):
        seen = []
        try:
            while len(seen) < CHANGES:
                p = ch.next(timeout=60)[0]
                doc = p.get("documentChange", {}).get("document")
                if doc:
                    seen.append(int(doc["fields"]["seq"]["integerValue"]))
        except Exception as e:  # reported below
            failures.append((k, f"{type(e).__name__} after {seen}"))
            return
        if seen != list(range(CHANGES)):
            failures.append((k, seen))
    threads = [threading.Thread(target=collect, args=(ch, k)) for k, ch in enumerate(channels)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, failures[:5]
    assert all(not ch.errors for ch in channels), [ch.errors for ch in channels if ch.errors][:3]

    # The tabs close: back channels drop, nobody terminates.
    for ch in channels:
        ch.stop_reading()
    deadline = time.time() + 30
    while session_count(flint) > 0 and time.time() < deadline:
        time.sleep(0.25)
    assert session_count(flint) == 0
