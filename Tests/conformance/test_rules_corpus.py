"""The security rules corpus (rules_corpus.json): every case run against Flint and compared with
the outcome recorded from the official emulator, which runs production's rules engine.  With the
official emulator installed, each case is also run against it live, so the recording cannot go
stale unnoticed.  Cases where Flint deliberately differs are listed in KNOWN_DIFFERENCES with why."""

import json
import os

import pytest
import requests

from conftest import _server
from rules_corpus import run_case

CORPUS = json.load(open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "rules_corpus.json")))
CASES = CORPUS["cases"]

# name → reason Flint's answer differs from the recorded one.
KNOWN_DIFFERENCES = {
    "expr:math.isInfinite(1.0 / 0) [u1]":
        "production documents math.isInfinite(±∞) as true; the official emulator denies it (while 1.0 / 0 > 0 is allowed)",
}


def test_corpus_is_large_enough():
    assert len(CASES) >= 400
    assert all("expected" in c for c in CASES)


@pytest.fixture(scope="module")
def http():
    return requests.Session()


@pytest.mark.parametrize("case", CASES, ids=[f"{c['id']}:{c['name'][:70]}" for c in CASES])
def test_server_matches_the_recorded_outcome(case, server, http):
    if case["name"] in KNOWN_DIFFERENCES:
        pytest.xfail(KNOWN_DIFFERENCES[case["name"]])
    got = run_case(http, server.base, case, f"rc-{case['id']}")
    assert got == case["expected"], f"rules:\n{case['rules']}"


@pytest.mark.differential
@pytest.mark.parametrize("case", CASES[::7], ids=[f"{c['id']}" for c in CASES[::7]])
def test_official_still_answers_as_recorded(case, http):
    got = run_case(http, _server("official").base, case, f"rco-{case['id']}")
    assert got == case["expected"]
