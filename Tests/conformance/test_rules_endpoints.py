"""Loading security rules (PUT :securityRules, flint start --rules), explaining denials, and the
coverage and evaluation-log endpoints."""

import os
import re
import time

import pytest
import requests

from conftest import OWNER, _server, new_project, start_flint
from rules_corpus import mock_claims, token

USER = {"Authorization": "Bearer " + token(mock_claims("u1", email="ann@example.com"))}
RULES = """rules_version = '2';
service cloud.firestore {
  match /databases/{database}/documents {
    match /a/{id} {
      allow get: if debug(resource.data.x) == 1 && request.auth != null;
      allow list: if resource.data.owner == request.auth.uid;
      allow update: if request.resource.data.y > 5
        && request.resource.data.y < 100;
      allow create: if request.resource.data.z.size() > 2;
    }
  }
}
"""


def put_rules(base, project, content):
    return requests.put(f"{base}/emulator/v1/projects/{project}:securityRules",
                        json={"rules": {"files": [{"name": "firestore.rules", "content": content}]}})


@pytest.fixture
def loaded(server):
    project = new_project("rl")
    assert put_rules(server.base, project, RULES).status_code == 200
    root = f"{server.base}/v1/projects/{project}/databases/(default)/documents"
    for doc, x in [("d1", 1), ("d2", 2)]:
        requests.patch(f"{root}/a/{doc}", json={"fields": {"x": {"integerValue": str(x)}, "y": {"integerValue": "1"}}},
                       headers=OWNER).raise_for_status()
    return server, project, root


def test_good_rules_load_with_an_empty_answer(server):
    r = put_rules(server.base, new_project("rl"), RULES)
    assert r.status_code == 200
    assert r.json() == {}


def test_a_syntax_error_is_invalid_argument_with_line_and_column(server):
    bad = RULES.replace("request.auth != null;", "request.auth != ;")
    r = put_rules(server.base, new_project("rl"), bad)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["message"].startswith("Error compiling rules:\nL5:")
    assert re.match(r"Error compiling rules:\nL5:68 Unexpected ';'", error["message"]), error["message"]


def test_unknown_functions_and_methods_come_back_as_issues_with_positions(server):
    src = RULES.replace("allow list:", "allow lst:").replace("request.resource.data.z.size() > 2", "foo(1)")
    r = put_rules(server.base, new_project("rl"), src)
    assert r.status_code == 200
    issues = r.json()["issues"]
    assert [(i["sourcePosition"]["line"], i["sourcePosition"]["column"], i["description"], i["severity"]) for i in issues] == [
        (6, 13, "Invalid method name: lst.", "WARNING"), (9, 24, "Invalid function name: foo.", "WARNING")]
    assert issues[1]["sourcePosition"]["endOffset"] - issues[1]["sourcePosition"]["currentOffset"] == 2


@pytest.mark.differential
def test_load_answers_match_the_official_emulator(server):
    official = _server("official")
    for content in [RULES, RULES.replace("allow list:", "allow lst:"), RULES.replace("!= null;", "!= ;")]:
        mine, theirs = put_rules(server.base, new_project("rl"), content), put_rules(official.base, new_project("rl"), content)
        assert mine.status_code == theirs.status_code
        if mine.status_code == 200:
            strip = lambda j: [(i["sourcePosition"]["line"], i["sourcePosition"]["column"], i["description"]) for i in j.get("issues", [])]
            # Flint reports the unknown method; the official emulator adds follow-on warnings about
            # the statement's variables.
            assert set(strip(mine.json())) <= set(strip(theirs.json()))
            assert strip(mine.json())[:1] == strip(theirs.json())[:1]
        else:
            assert mine.json()["error"]["message"].split(" ")[2] == theirs.json()["error"]["message"].split(" ")[2]


def test_a_denial_names_the_rule_the_reason_and_the_false_expression(loaded):
    server, project, root = loaded
    r = requests.patch(f"{root}/a/d1", params={"updateMask.fieldPaths": "y"},
                       json={"fields": {"y": {"integerValue": "500"}}}, headers=USER)
    assert r.status_code == 403
    message = r.json()["error"]["message"]
    assert message.startswith("Missing or insufficient permissions.\n")
    assert "false for 'update' @ L7" in message
    assert "request.resource.data.y < 100" in message


def test_a_null_value_error_and_debug_output_are_reported(loaded):
    server, project, root = loaded
    r = requests.get(f"{root}/a/d2")
    assert r.status_code == 403
    message = r.json()["error"]["message"]
    assert "false for 'get' @ L5" in message
    assert "debug: int_value: 2" in message
    r = requests.post(f"{root}/a?documentId=d9", json={"fields": {"q": {"integerValue": "1"}}}, headers=USER)
    assert r.status_code == 403
    assert "Property z is undefined on object. for 'create' @ L9" in r.json()["error"]["message"]


def test_the_evaluation_log_lists_recent_decisions_newest_first(loaded):
    server, project, root = loaded
    assert requests.get(f"{root}/a/d1", headers=USER).status_code == 200
    assert requests.get(f"{root}/a/d2", headers=USER).status_code == 403
    log = requests.get(f"{server.base}/emulator/v1/projects/{project}:ruleEvaluations", params={"limit": 2}).json()
    assert log["rulesLoaded"] is True
    newest, older = log["evaluations"]
    assert set(newest) == {"id", "time", "database", "method", "path", "auth", "allowed", "line", "column", "rule",
                           "reason", "expression", "debug"}
    assert newest["id"] > older["id"]
    assert (newest["path"], newest["method"], newest["allowed"], newest["line"]) == ("a/d2", "get", False, 5)
    assert newest["auth"]["uid"] == "u1" and newest["auth"]["token"]["email"] == "ann@example.com"
    assert newest["database"] == "(default)"
    assert newest["rule"].startswith("allow get: if debug(resource.data.x) == 1")
    assert newest["expression"] == "debug(resource.data.x) == 1"
    assert newest["debug"] == ["int_value: 2"]
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$", newest["time"])
    assert (older["path"], older["allowed"], older["expression"]) == ("a/d1", True, None)


def test_coverage_counts_the_values_each_expression_took(loaded):
    server, project, root = loaded
    requests.get(f"{root}/a/d1", headers=USER)
    requests.get(f"{root}/a/d2", headers=USER)
    report = requests.get(f"{server.base}/emulator/v1/projects/{project}:ruleCoverage").json()
    by_text = {e["text"]: e for e in report["expressions"]}
    values = {v["value"]: v["count"] for v in by_text["debug(resource.data.x) == 1"]["values"]}
    assert values == {"true": 1, "false": 1}
    assert by_text["request.resource.data.z.size() > 2"]["evaluations"] == 0
    html = requests.get(f"{server.base}/emulator/v1/projects/{project}:ruleCoverage.html")
    assert html.status_code == 200 and "text/html" in html.headers["content-type"]
    assert "debug(resource.data.x) == 1" in html.text


def test_without_rules_everything_is_allowed(server):
    project = new_project("rl")
    root = f"{server.base}/v1/projects/{project}/databases/(default)/documents"
    assert requests.patch(f"{root}/any/doc", json={"fields": {}}).status_code == 200
    log = requests.get(f"{server.base}/emulator/v1/projects/{project}:ruleEvaluations").json()
    assert log["rulesLoaded"] is False


def test_rules_file_is_enforced_reloaded_and_a_broken_edit_keeps_the_old_rules(tmp_path):
    path = tmp_path / "firestore.rules"
    allow_all = RULES.replace("allow get: if debug(resource.data.x) == 1 && request.auth != null;", "allow get: if true;")
    path.write_text(RULES)
    flint = start_flint(["--rules", str(path)])
    try:
        assert any("Security rules: enforcing" in line for line in flint.output)
        root = f"{flint.base}/v1/projects/p/databases/(default)/documents"
        requests.patch(f"{root}/a/d2", json={"fields": {"x": {"integerValue": "2"}}}, headers=OWNER).raise_for_status()
        assert requests.get(f"{root}/a/d2").status_code == 403
        path.write_text(allow_all + "\n")
        deadline = time.time() + 10
        while requests.get(f"{root}/a/d2").status_code != 200 and time.time() < deadline:
            time.sleep(0.1)
        assert requests.get(f"{root}/a/d2").status_code == 200
        path.write_text("rules_version = '2';\nservice cloud.firestore {\n  match /x {\n")
        deadline = time.time() + 10
        while not any("the previous rules stay in force" in line for line in flint.output) and time.time() < deadline:
            time.sleep(0.1)
        assert any(re.search(r"firestore\.rules:4:1: .*previous rules stay in force", line) for line in flint.output)
        assert requests.get(f"{root}/a/d2").status_code == 200
    finally:
        flint.stop()


def test_the_banner_says_when_no_rules_are_loaded():
    flint = start_flint()
    try:
        assert any("Security rules: none loaded, every request is allowed" in line for line in flint.output)
    finally:
        flint.stop()
