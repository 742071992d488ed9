"""The documents the export tests write: every Firestore value type, nested and empty
containers, a subcollection, a numeric id, a named database, and a document large enough that
its export record spans LevelDB blocks. Shared by make-official-export and the pytest suites."""

PROJECT = "demo-flint-export"
NAMED = "named-db"


def value_fields():
    return {
        "null": {"nullValue": None},
        "true": {"booleanValue": True},
        "false": {"booleanValue": False},
        "int": {"integerValue": "42"},
        "negative": {"integerValue": "-7"},
        "int_max": {"integerValue": "9223372036854775807"},
        "int_min": {"integerValue": "-9223372036854775808"},
        "double": {"doubleValue": 1.5},
        "nan": {"doubleValue": "NaN"},
        "inf": {"doubleValue": "Infinity"},
        "neg_inf": {"doubleValue": "-Infinity"},
        "zero": {"doubleValue": 0.0},
        "timestamp": {"timestampValue": "2024-05-06T07:08:09.123456Z"},
        "epoch": {"timestampValue": "1970-01-01T00:00:00Z"},
        "old": {"timestampValue": "1900-02-03T04:05:06.5Z"},
        "string": {"stringValue": "héllo ☃ 🔥"},
        "empty_string": {"stringValue": ""},
        "bytes": {"bytesValue": "AAEC/w=="},
        "empty_bytes": {"bytesValue": ""},
        "reference": {"referenceValue": f"projects/{PROJECT}/databases/(default)/documents/values/all"},
        "deep_reference": {"referenceValue": f"projects/{PROJECT}/databases/(default)/documents/a/b/c/d"},
        "geo": {"geoPointValue": {"latitude": 51.5, "longitude": -0.125}},
        "map": {"mapValue": {"fields": {
            "x": {"integerValue": "1"},
            "inner": {"mapValue": {"fields": {"y": {"stringValue": "z"}, "when": {"timestampValue": "2020-01-01T00:00:00.000001Z"}}}},
            "list": {"arrayValue": {"values": [{"integerValue": "1"}, {"bytesValue": "/w=="}]}},
            "empty_list": {"arrayValue": {}},
            "empty_map": {"mapValue": {}},
            "vec": {"mapValue": {"fields": {"__type__": {"stringValue": "__vector__"}, "value": {"arrayValue": {"values": [{"doubleValue": 0.5}]}}}}},
        }}},
        "array": {"arrayValue": {"values": [
            {"integerValue": "1"}, {"stringValue": "two"}, {"mapValue": {"fields": {"k": {"booleanValue": True}}}},
            {"nullValue": None}, {"doubleValue": 2.5}, {"timestampValue": "2021-02-03T04:05:06Z"},
            {"geoPointValue": {"latitude": -1, "longitude": 2}},
            {"referenceValue": f"projects/{PROJECT}/databases/(default)/documents/values/all"},
            {"mapValue": {}},
        ]}},
        "one_element": {"arrayValue": {"values": [{"stringValue": "only"}]}},
        "empty_array": {"arrayValue": {}},
        "empty_map": {"mapValue": {}},
        "vector": {"mapValue": {"fields": {"__type__": {"stringValue": "__vector__"}, "value": {"arrayValue": {"values": [{"doubleValue": 1.0}, {"doubleValue": -2.5}, {"doubleValue": 3.25}]}}}}},
        "dotted.name": {"stringValue": "a key with a dot"},
        "`back`": {"integerValue": "1"},
    }


def documents():
    """(database, path, fields) of every document the tests write."""
    return [
        ("(default)", "values/all", value_fields()),
        ("(default)", "values/all/sub/child", {"n": {"integerValue": "3"}}),
        ("(default)", "values/empty", {}),
        ("(default)", "values/__id12__", {"numeric": {"booleanValue": True}}),
        ("(default)", "a/b/c/d", {"deep": {"stringValue": "yes"}}),
        ("(default)", "big/doc", {"text": {"stringValue": "x" * 40_000}, "n": {"integerValue": "1"}}),
        (NAMED, "things/t1", {"named": {"stringValue": "in the named database"},
                              "ref": {"referenceValue": f"projects/{PROJECT}/databases/{NAMED}/documents/things/t2"}}),
        (NAMED, "things/t2", {"n": {"integerValue": "2"}}),
    ]
