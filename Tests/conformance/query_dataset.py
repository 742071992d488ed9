"""Deterministic query data set for the query differential suite (and anything else that wants a
well-mixed corpus).  165 documents, loaded with three ``:commit`` batches.

Layout (paths relative to ``projects/{p}/databases/(default)/documents``):

* ``q/*``   the main collection.  Every document ``q/vNNN`` carries one value of :data:`V_VALUES`
  in field ``v`` (null, booleans, NaN, ±Infinity, ±0, ints and doubles with int/double equality
  cases, timestamps, strings incl. unicode / long / UTF-8-vs-UTF-16 order, bytes, references,
  geopoints, arrays incl. arrays of maps of arrays, maps, vectors).  Documents with odd ids
  (``q/10``, ``q/9``, ``q/Z``, ``q/_u``, ``q/~t``, ``q/é``, ``q/a b``, ``q/zz``) have no ``v``.
  A vector may not sit inside an array ("Cannot convert a vector value in an array value.").
  Every ``q`` document also has
    ``i``  unique integer (load order), ``k`` = i % 4, ``p`` = "even"/"odd",
    ``n``  a number (int, or double for every 5th document; absent for every 11th),
    ``a``  an array (absent on some) for array-contains, with null/NaN/5/5.0/maps/... on some,
    ``m``  a map ``{a: i % 3, b: "b<i%2>"}`` (absent on every 5th, a string on every 13th),
  and some carry ``big`` (±2^62 for sum overflow), ``nn`` (numbers plus one NaN and a string),
  ``t`` (booleans) and ``w`` (a second mixed field).
* ``g`` collection group at several depths: ``g/*``, ``a/x/g/*``, ``a/x/b/y/g/*`` (``a/x/b/y`` is
  a missing parent), ``a/x/g/d1/g/*`` (g under g), ``o/w/g/*`` (same name elsewhere); decoys
  ``gg/*``, ``c/g`` (a *document* named g), ``a/x/h/*``.
* ``e/only`` a lone document; ``q/v001_false/sub/*`` a subcollection under a q document.
* ``r/r00``..``r/r39`` plain documents with many ties (``x`` = j % 5, ``y`` a fruit or absent,
  ``z`` a double, ``tags``, ``grp``, ``j``) for multi-field ordering, cursors and paging.
"""

import math

P53 = 2 ** 53
I64_MAX = 2 ** 63 - 1
I64_MIN = -2 ** 63

NULL = {"nullValue": None}


def i(v):
    return {"integerValue": str(v)}


def d(v):
    if isinstance(v, float) and math.isnan(v):
        return {"doubleValue": "NaN"}
    if v == math.inf:
        return {"doubleValue": "Infinity"}
    if v == -math.inf:
        return {"doubleValue": "-Infinity"}
    return {"doubleValue": v}


def s(v):
    return {"stringValue": v}


def b(v):
    return {"booleanValue": v}


def ts(v):
    return {"timestampValue": v}


def by(v):
    return {"bytesValue": v}


def ref(path, root="{root}"):
    return {"referenceValue": f"{root}/{path}"}


def geo(lat, lng):
    return {"geoPointValue": {"latitude": lat, "longitude": lng}}


def arr(*vals):
    return {"arrayValue": {"values": list(vals)}} if vals else {"arrayValue": {}}


def mp(**fields):
    return {"mapValue": {"fields": fields}} if fields else {"mapValue": {}}


def vec(*xs):
    return {"mapValue": {"fields": {"__type__": s("__vector__"), "value": arr(*[d(float(x)) for x in xs])}}}


NAN = d(float("nan"))
INF = d(math.inf)
NINF = d(-math.inf)

LONG_A = "x" * 1200
LONG_B = "x" * 1200 + "y"
LONG_C = "x" * 2000          # stored fine; a filter on it is "too large to be used in a query"

# (id suffix, value) — one q/vNNN document each, in this order.
V_VALUES = [
    ("null", NULL),
    ("false", b(False)), ("true", b(True)),
    ("nan", NAN), ("ninf", NINF), ("pinf", INF),
    ("dneg0", d(-0.0)), ("d0", d(0.0)), ("i0", i(0)),
    ("ineg1", i(-1)), ("dneg1_5", d(-1.5)), ("i1", i(1)), ("d1", d(1.0)), ("d0_5", d(0.5)),
    ("d4_5", d(4.5)), ("i5", i(5)), ("d5", d(5.0)), ("d5_5", d(5.5)), ("i6", i(6)),
    ("i2p53", i(P53)), ("i2p53p1", i(P53 + 1)), ("d2p53", d(float(P53))), ("d2p53p2", d(float(P53 + 2))),
    ("imax", i(I64_MAX)), ("imin", i(I64_MIN)), ("dmax", d(1.7976931348623157e308)),
    ("dtiny", d(5e-324)), ("dnegbig", d(-1e300)),
    ("t0001", ts("0001-01-01T00:00:00Z")), ("t1900", ts("1900-01-01T00:00:00Z")),
    ("t1970", ts("1970-01-01T00:00:00Z")), ("t2020", ts("2020-01-01T00:00:00Z")),
    ("t2020us", ts("2020-01-01T00:00:00.000001Z")), ("t2020ms", ts("2020-01-01T00:00:00.123Z")),
    ("t9999", ts("9999-12-31T23:59:59.999999Z")),
    ("sempty", s("")), ("sa", s("a")), ("sA", s("A")), ("saa", s("aa")), ("sab", s("ab")), ("sb", s("b")),
    ("sZ", s("Z")), ("snul", s("a\u0000b")), ("seacute", s("\u00e9")), ("secomb", s("e\u0301")),
    ("sff61", s("\uff61")), ("semoji", s("\U0001F600")), ("semojia", s("\U0001F600a")),
    ("sfffd", s("\ufffd")), ("scjk", s("\u65e5\u672c")), ("slonga", s(LONG_A)), ("slongb", s(LONG_B)),
    ("slongc", s(LONG_C)), ("snum", s("5")),
    ("bempty", by("")), ("b00", by("AA==")), ("b0001", by("AAE=")), ("b01", by("AQ==")), ("bff", by("/w==")),
    ("rqa", ref("q/a")), ("rqb", ref("q/b")), ("rax", ref("a/x")), ("raxby", ref("a/x/b/y")),
    ("g00", geo(0, 0)), ("gmin", geo(-90, -180)), ("gmax", geo(90, 180)), ("g15m", geo(1.5, -2.25)),
    ("g153", geo(1.5, 3)),
    ("aempty", arr()), ("anull", arr(NULL)), ("a1", arr(i(1))), ("a1d", arr(d(1.0))), ("a12", arr(i(1), i(2))),
    ("a2", arr(i(2))), ("a1s", arr(i(1), s("a"))), ("as", arr(s("a"))), ("anan", arr(NAN)),
    ("amap", arr(mp(k=arr(i(1), i(2))))), ("amapdeep", arr(mp(k=arr(mp(z=i(1)))), i(1))),
    ("mempty", mp()), ("ma1", mp(a=i(1))), ("ma1d", mp(a=d(1.0))), ("ma2", mp(a=i(2))), ("mb0", mp(b=i(0))),
    ("ma1b1", mp(a=i(1), b=i(1))), ("mdeep", mp(a=mp(b=arr(mp(c=NULL))))),
    ("vec12", vec(1, 2)), ("vec1", vec(1)), ("vec3", vec(3)), ("vec123", vec(1, 2, 3)), ("vec21", vec(2, 1)),
    ("d1e308", d(1e308)),
]

NO_V_IDS = ["10", "9", "Z", "_u", "~t", "\u00e9", "a b", "zz"]


def _a_for(idx):
    """The array field `a` of the idx-th q document (None = absent)."""
    special = {
        1: arr(NULL), 2: arr(NAN), 3: arr(d(5.0)), 4: arr(i(5)), 5: arr(i(5), d(5.0), i(5)),
        6: arr(mp(k=arr(i(1), i(2)))), 7: arr(mp(a=i(1))), 8: arr(), 9: arr(s("a"), s("a"), i(1)),
        10: arr(ref("q/a")), 11: arr(geo(1.5, -2.25)), 12: arr(by("AQ==")), 13: arr(ts("2020-01-01T00:00:00Z")),
        14: arr(b(True)), 15: arr(mp(a=i(1)), mp(a=i(2))), 16: arr(s("\U0001F600")), 17: arr(d(float(P53)), i(P53 + 1)),
        18: arr(NULL, NAN, i(0)), 19: arr(d(-0.0)), 20: arr(i(0)),
    }
    if idx in special:
        return special[idx]
    if idx % 7 == 6:
        return None
    return arr(i(idx % 3), s(f"s{idx % 4}"))


def _n_for(idx):
    if idx % 11 == 10:
        return None
    if idx % 5 == 4:
        return d(idx / 4)
    return i(idx % 9 - 3)


def _m_for(idx):
    if idx % 13 == 12:
        return s("not a map")
    if idx % 5 == 0:
        return None
    return mp(a=i(idx % 3), b=s(f"b{idx % 2}"))


def _w_for(idx):
    cycle = [i(idx), s(f"w{idx % 5}"), d(idx + 0.5), NULL, b(idx % 2 == 0), ts(f"2021-0{1 + idx % 9}-01T00:00:00Z")]
    if idx % 8 == 7:
        return None
    return cycle[idx % 6]


def q_documents():
    """[(path, fields)] of collection q."""
    docs = []
    ids = [(f"v{n:03d}_{suffix}", val) for n, (suffix, val) in enumerate(V_VALUES)] + [(x, None) for x in NO_V_IDS]
    for idx, (doc_id, v) in enumerate(ids):
        f = {"i": i(idx), "k": i(idx % 4), "p": s("even" if idx % 2 == 0 else "odd")}
        if v is not None:
            f["v"] = v
        for key, val in (("n", _n_for(idx)), ("a", _a_for(idx)), ("m", _m_for(idx)), ("w", _w_for(idx))):
            if val is not None:
                f[key] = val
        if idx % 17 == 3:
            f["big"] = i(2 ** 62)
        elif idx % 17 == 9:
            f["big"] = i(2 ** 62 + 1)
        elif idx % 17 == 14:
            f["big"] = i(-2 ** 62)
        if idx % 6 == 1:
            f["nn"] = i(idx)
        elif idx == 20:
            f["nn"] = NAN
        elif idx == 26:
            f["nn"] = s("text")
        elif idx % 6 == 3:
            f["nn"] = d(idx * 0.25)
        if idx % 3 == 0:
            f["t"] = b(idx % 2 == 0)
        docs.append((f"q/{doc_id}", f))
    return docs


def group_documents():
    docs = []

    def add(path, n, k=None, extra=None):
        f = {"v": i(n), "k": i(k if k is not None else n % 3), "s": s(path.replace("/", "."))}
        f.update(extra or {})
        docs.append((path, f))

    add("a/x", 100, extra={"parent": b(True)})
    for j, x in enumerate(["r1", "r2", "r3", "r4"]):
        add(f"g/{x}", j * 10 + 1)
    for j, x in enumerate(["d1", "d2", "d3", "d4"]):
        add(f"a/x/g/{x}", j * 10 + 2, extra={"tag": s("axg")})
    for j, x in enumerate(["e1", "e2", "e3"]):
        add(f"a/x/b/y/g/{x}", j * 10 + 3, extra={"tag": s("axbyg")})
    for j, x in enumerate(["f1", "f2"]):
        add(f"a/x/g/d1/g/{x}", j * 10 + 4)
    for j, x in enumerate(["o1", "o2", "r1"]):
        add(f"o/w/g/{x}", j * 10 + 5)
    add("a/y/g/z1", 6)
    add("gg/x1", 7)
    add("c/g", 8)
    add("a/x/h/h1", 9)
    add("a/xx/g/z2", 10)
    add("e/only", 0)
    # a subcollection under a q document
    add("q/v001_false/sub/s1", 1)
    add("q/v001_false/sub/s2", 2)
    return docs


R_FRUIT = ["apple", "banana", "cherry", "date"]


def r_documents():
    """40 plain documents for multi-field ordering, cursors and paging (many ties)."""
    docs = []
    for j in range(40):
        f = {"x": i(j % 5), "z": d((j * 7 % 13) * 0.5), "tags": arr(s(f"t{j % 3}"), s(f"u{j % 2}")),
             "grp": s("A" if j < 20 else "B"), "j": i(j)}
        if j % 10 != 9:
            f["y"] = s(R_FRUIT[j % 4])
        docs.append((f"r/r{j:02d}", f))
    return docs


def documents():
    return q_documents() + group_documents() + r_documents()


def commit_bodies(root, batch_size=60):
    """The :commit request bodies that load the data set under ``root``
    (``projects/{p}/databases/(default)/documents``)."""
    def fill(obj):
        if isinstance(obj, str):
            return obj.replace("{root}", root)
        if isinstance(obj, list):
            return [fill(x) for x in obj]
        if isinstance(obj, dict):
            return {k: fill(v) for k, v in obj.items()}
        return obj

    docs = documents()
    bodies = []
    for start in range(0, len(docs), batch_size):
        writes = [{"update": {"name": f"{root}/{path}", "fields": fill(fields)}}
                  for path, fields in docs[start:start + batch_size]]
        bodies.append({"writes": writes})
    return bodies


def load(session, base_url, project, database="(default)", timeout=30):
    """Load the data set into one project of one server; returns the commit times in order."""
    root = f"projects/{project}/databases/{database}/documents"
    times = []
    for body in commit_bodies(root):
        r = session.post(f"{base_url}/v1/{root}:commit", json=body, timeout=timeout)
        if r.status_code != 200:
            raise AssertionError(f"loading the query data set failed: {r.status_code} {r.text[:500]}")
        times.append(r.json()["commitTime"])
    return times


if __name__ == "__main__":
    ds = documents()
    print(len(ds), "documents;", len(commit_bodies("projects/p/databases/(default)/documents")), "commits")
