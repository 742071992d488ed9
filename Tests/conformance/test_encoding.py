"""Wire-format tolerance over plain HTTP: both URL spellings, the clients' extra query
parameters, enum names vs integers, snake_case and pretty-printed bodies, and percent-encoded
document ids."""

import json
import urllib.parse

import pytest

from conftest import int_value

GAPIC_Q = "%24alt=json%3Benum-encoding%3Dint"


def _enc_url(api, path):
    """GAPIC spelling: (default) as %28default%29, every reserved char in ids escaped."""
    segs = "/".join(urllib.parse.quote(s, safe="") for s in path.split("/"))
    return f"{api.base}/v1/projects/{api.project}/databases/%28default%29/documents/{segs}"


def _raw_url(api, path):
    """Discovery spelling: (default) and reserved characters literal."""
    return f"{api.base}/v1/projects/{api.project}/databases/(default)/documents/{path}"


# --------------------------------------------------------------------------- URLs

def test_encoded_database_id_in_url(api):
    r = api.request("PATCH", _enc_url(api, "c/d") + "?" + GAPIC_Q, body={"fields": {"a": int_value(1)}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == api.name("c/d")
    assert api.get_doc("c/d")["fields"] == {"a": int_value(1)}


@pytest.mark.parametrize("doc_id", ["a b", "\u00fc\u00f1\u00ee", "a:b", "pl+us", "semi;c", "eq=1&x", "at@",
                                    "q?x", "h#x", "per%cent", "(paren)", "tilde~", "comma,"])
def test_percent_encoded_document_id_round_trips(api, doc_id):
    url = _enc_url(api, f"c/{doc_id}")
    r = api.request("PATCH", url, body={"fields": {"v": {"stringValue": doc_id}}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == api.name(f"c/{doc_id}")
    got = api.request("GET", url)
    assert got.status_code == 200
    assert got.json()["fields"]["v"] == {"stringValue": doc_id}
    listed = [d["name"] for d in api.get("c").json()["documents"]]
    assert listed == [api.name(f"c/{doc_id}")]


@pytest.mark.parametrize("doc_id", ["a:b", "pl+us", "semi;c", "eq=1&x", "at@", "(paren)", "comma,"])
def test_raw_reserved_characters_in_document_id(api, doc_id):
    r = api.request("PATCH", _raw_url(api, f"c/{doc_id}"), body={"fields": {}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == api.name(f"c/{doc_id}")
    # the same document through the encoded spelling
    assert api.request("GET", _enc_url(api, f"c/{doc_id}")).status_code == 200


def test_plus_in_path_is_literal_not_space(api):
    api.request("PATCH", _raw_url(api, "c/a+b"), body={"fields": {}})
    assert api.request("GET", _enc_url(api, "c/a b")).status_code == 404
    assert api.request("GET", _enc_url(api, "c/a+b")).status_code == 200


def test_encoded_colon_in_last_segment_is_not_a_verb(api):
    r = api.request("PATCH", _enc_url(api, "c/x:commit"), body={"fields": {}})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == api.name("c/x:commit")


def test_both_spellings_reach_the_same_document(api):
    api.request("PATCH", _raw_url(api, "c/same"), body={"fields": {"a": int_value(1)}})
    r = api.request("GET", _enc_url(api, "c/same"))
    assert r.json()["fields"] == {"a": int_value(1)}


def test_commit_url_with_encoded_database(api):
    url = f"{api.base}/v1/projects/{api.project}/databases/%28default%29/documents:commit?{GAPIC_Q}"
    r = api.request("POST", url, body={"writes": [{"update": {"name": api.name("c/d"), "fields": {}}}]})
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d") is not None


# --------------------------------------------------------------------------- query parameters

@pytest.mark.parametrize("query", [GAPIC_Q, "alt=json", "key=some-api-key", "alt=json&key=k&prettyPrint=false"])
def test_client_query_parameters_are_accepted(api, query):
    api.put_doc("c/d", {"a": int_value(1)})
    r = api.get(f"c/d?{query}")
    assert r.status_code == 200, r.text
    assert r.json()["fields"] == {"a": int_value(1)}


def test_gapic_query_parameter_with_mask(api):
    api.put_doc("c/d", {"a": int_value(1), "b": int_value(2)})
    r = api.get(f"c/d?{GAPIC_Q}&mask.fieldPaths=b")
    assert r.json()["fields"] == {"b": int_value(2)}


# --------------------------------------------------------------------------- bodies

def test_integer_enums_and_null_zero(api):
    w = {"update": {"name": api.name("c/d"), "fields": {"n": {"nullValue": 0}}},
         "updateTransforms": [{"fieldPath": "t", "setToServerValue": 1}]}
    r = api.post(":commit?" + GAPIC_Q, {"writes": [w]})
    assert r.status_code == 200, r.text
    f = api.get_doc("c/d")["fields"]
    assert f["n"] == {"nullValue": None}
    assert "timestampValue" in f["t"]


def test_enum_names(api):
    w = {"update": {"name": api.name("c/d"), "fields": {"n": {"nullValue": "NULL_VALUE"}}},
         "updateTransforms": [{"fieldPath": "t", "setToServerValue": "REQUEST_TIME"}]}
    assert api.post(":commit", {"writes": [w]}).status_code == 200
    assert api.get_doc("c/d")["fields"]["n"] == {"nullValue": None}


def test_snake_case_body(api):
    w = {"update": {"name": api.name("c/d"), "fields": {"i": {"integer_value": "5"}, "n": {"null_value": None}}},
         "update_mask": {"field_paths": ["i", "n"]},
         "update_transforms": [{"field_path": "t", "set_to_server_value": "REQUEST_TIME"}],
         "current_document": {"exists": False}}
    r = api.post(":commit", {"writes": [w]})
    assert r.status_code == 200, r.text
    f = api.get_doc("c/d")["fields"]
    assert f["i"] == int_value(5) and f["n"] == {"nullValue": None} and "timestampValue" in f["t"]


def test_pretty_printed_body_like_gapic(api):
    body = json.dumps({"writes": [{"update": {"name": api.name("c/d"), "fields": {"a": int_value(1)}}}]}, indent=2)
    r = api.request("POST", ":commit?" + GAPIC_Q, raw=body)
    assert r.status_code == 200, r.text
    assert api.get_doc("c/d")["fields"] == {"a": int_value(1)}


def test_discovery_style_separators_body(api):
    body = json.dumps({"fields": {"a": int_value(1)}}, separators=(", ", ": "))
    assert api.request("PATCH", "c/d?alt=json", raw=body).status_code == 200


def test_integer_value_as_json_number(api):
    assert api.patch("c/d", {"fields": {"i": {"integerValue": 12}}}).json()["fields"]["i"] == int_value(12)


def test_response_content_type_is_json(api):
    r = api.patch("c/d", {"fields": {}})
    assert r.headers["Content-Type"].startswith("application/json")
