"""Every value type round-trips through PATCH and GET (REST JSON encoding), including the
accepted alternative input spellings and the canonical output form."""

import pytest

from conftest import int_value

I64_MAX = str(2**63 - 1)
I64_MIN = str(-2**63)

# (id, value sent, value expected back)
ROUND_TRIPS = [
    ("null", {"nullValue": None}, {"nullValue": None}),
    ("null-as-int-enum", {"nullValue": 0}, {"nullValue": None}),
    ("null-as-enum-name", {"nullValue": "NULL_VALUE"}, {"nullValue": None}),
    ("true", {"booleanValue": True}, {"booleanValue": True}),
    ("false", {"booleanValue": False}, {"booleanValue": False}),
    ("int-zero", {"integerValue": "0"}, {"integerValue": "0"}),
    ("int64-max", {"integerValue": I64_MAX}, {"integerValue": I64_MAX}),
    ("int64-min", {"integerValue": I64_MIN}, {"integerValue": I64_MIN}),
    ("int-as-json-number", {"integerValue": 42}, {"integerValue": "42"}),
    ("double", {"doubleValue": 1.5}, {"doubleValue": 1.5}),
    ("double-large", {"doubleValue": 1e300}, {"doubleValue": 1e300}),
    ("double-tiny", {"doubleValue": 5e-324}, {"doubleValue": 5e-324}),
    ("double-integral-stays-double", {"doubleValue": 3}, {"doubleValue": 3.0}),
    ("double-as-string", {"doubleValue": "2.5"}, {"doubleValue": 2.5}),
    ("double-nan", {"doubleValue": "NaN"}, {"doubleValue": "NaN"}),
    ("double-infinity", {"doubleValue": "Infinity"}, {"doubleValue": "Infinity"}),
    ("double-neg-infinity", {"doubleValue": "-Infinity"}, {"doubleValue": "-Infinity"}),
    ("timestamp-0-digits", {"timestampValue": "2020-01-01T00:00:00Z"}, {"timestampValue": "2020-01-01T00:00:00Z"}),
    ("timestamp-3-digits", {"timestampValue": "2020-01-01T00:00:00.123Z"},
     {"timestampValue": "2020-01-01T00:00:00.123Z"}),
    ("timestamp-6-digits", {"timestampValue": "2020-01-01T00:00:00.123456Z"},
     {"timestampValue": "2020-01-01T00:00:00.123456Z"}),
    ("timestamp-9-digits-truncated", {"timestampValue": "2020-01-01T00:00:00.123456789Z"},
     {"timestampValue": "2020-01-01T00:00:00.123456Z"}),
    ("timestamp-1-digit", {"timestampValue": "2020-01-01T00:00:00.1Z"},
     {"timestampValue": "2020-01-01T00:00:00.100Z"}),
    ("timestamp-trailing-zeros", {"timestampValue": "2020-01-01T00:00:00.100000Z"},
     {"timestampValue": "2020-01-01T00:00:00.100Z"}),
    ("timestamp-offset", {"timestampValue": "2020-01-01T01:00:00+01:00"},
     {"timestampValue": "2020-01-01T00:00:00Z"}),
    ("timestamp-epoch", {"timestampValue": "1970-01-01T00:00:00Z"}, {"timestampValue": "1970-01-01T00:00:00Z"}),
    ("timestamp-min", {"timestampValue": "0001-01-01T00:00:00Z"}, {"timestampValue": "0001-01-01T00:00:00Z"}),
    ("timestamp-max", {"timestampValue": "9999-12-31T23:59:59.999999Z"},
     {"timestampValue": "9999-12-31T23:59:59.999999Z"}),
    ("string-empty", {"stringValue": ""}, {"stringValue": ""}),
    ("string-unicode", {"stringValue": "h\u00e9llo \U0001F30D \u65e5\u672c"},
     {"stringValue": "h\u00e9llo \U0001F30D \u65e5\u672c"}),
    ("string-nul-and-escapes", {"stringValue": "a\u0000b\"c\\d\n\t"}, {"stringValue": "a\u0000b\"c\\d\n\t"}),
    ("bytes-standard", {"bytesValue": "AQID/+8="}, {"bytesValue": "AQID/+8="}),
    ("bytes-urlsafe", {"bytesValue": "AQID_-8="}, {"bytesValue": "AQID/+8="}),
    ("bytes-urlsafe-unpadded", {"bytesValue": "AQID_-8"}, {"bytesValue": "AQID/+8="}),
    ("bytes-empty", {"bytesValue": ""}, {"bytesValue": ""}),
    ("geopoint", {"geoPointValue": {"latitude": 1.5, "longitude": -2.25}},
     {"geoPointValue": {"latitude": 1.5, "longitude": -2.25}}),
    ("geopoint-extremes", {"geoPointValue": {"latitude": -90, "longitude": 180}},
     {"geoPointValue": {"latitude": -90.0, "longitude": 180.0}}),
    ("geopoint-zero", {"geoPointValue": {}}, {"geoPointValue": {}}),
    ("array-empty", {"arrayValue": {}}, {"arrayValue": {}}),
    ("array-mixed", {"arrayValue": {"values": [int_value(1), {"stringValue": "x"}, {"nullValue": None},
                                               {"mapValue": {}}]}},
     {"arrayValue": {"values": [int_value(1), {"stringValue": "x"}, {"nullValue": None}, {"mapValue": {}}]}}),
    ("array-of-map-of-array", {"arrayValue": {"values": [{"mapValue": {"fields": {"k": {"arrayValue": {
        "values": [int_value(2)]}}}}}]}},
     {"arrayValue": {"values": [{"mapValue": {"fields": {"k": {"arrayValue": {"values": [int_value(2)]}}}}}]}}),
    ("map-empty", {"mapValue": {}}, {"mapValue": {}}),
    ("map-nested", {"mapValue": {"fields": {"a": {"mapValue": {"fields": {"b": {"stringValue": "c"}}}},
                                            "odd key.with dots": {"booleanValue": True}}}},
     {"mapValue": {"fields": {"a": {"mapValue": {"fields": {"b": {"stringValue": "c"}}}},
                              "odd key.with dots": {"booleanValue": True}}}}),
]


@pytest.mark.parametrize("sent,expected", [(s, e) for _, s, e in ROUND_TRIPS], ids=[i for i, _, _ in ROUND_TRIPS])
def test_value_round_trips(api, sent, expected):
    r = api.patch("v/doc", {"fields": {"v": sent}})
    assert r.status_code == 200, r.text
    assert r.json()["fields"]["v"] == expected
    assert api.get_doc("v/doc")["fields"]["v"] == expected


def test_reference_value_round_trips(api):
    ref = {"referenceValue": api.name("x/y")}
    api.put_doc("v/doc", {"r": ref, "sub": {"referenceValue": api.name("x/y/z/w")}})
    doc = api.get_doc("v/doc")
    assert doc["fields"]["r"] == ref
    assert doc["fields"]["sub"] == {"referenceValue": api.name("x/y/z/w")}


def test_negative_zero_double_reads_back_as_double_zero(api):
    api.put_doc("v/doc", {"z": {"doubleValue": -0.0}})
    v = api.get_doc("v/doc")["fields"]["z"]
    assert list(v) == ["doubleValue"] and v["doubleValue"] == 0


def test_many_fields_round_trip_together(api):
    fields = {f"f{i}": int_value(i) for i in range(200)}
    api.put_doc("v/doc", fields)
    assert api.get_doc("v/doc")["fields"] == fields


def test_field_names_with_unicode_and_symbols_round_trip(api):
    fields = {"\u00fcml\u00e4ut": int_value(1), "with space": int_value(2), "dot.ted": int_value(3),
              "`tick`": int_value(4), "_under_": int_value(5)}
    r = api.patch("v/doc", {"fields": fields})
    assert r.status_code == 200, r.text
    assert api.get_doc("v/doc")["fields"] == fields
