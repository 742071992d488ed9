"""A small WebChannel (BrowserChannel version 8) client speaking the wire protocol the Firestore JS
SDK speaks: handshake POST, form-encoded forward channel, length-prefixed back channel in streaming
(CI=0) or long-polling (CI=1) mode, acknowledgements (AID) and termination.  The protocol suites
and the benchmark use it; it knows nothing of Firestore beyond the URL layout.
"""

import codecs
import json
import queue
import threading
import urllib.parse

import requests

TIMEOUT = 30


def utf16_len(s):
    return len(s.encode("utf-16-le")) // 2


class ChunkParser:
    """Splits a back-channel body into its chunks: decimal length (UTF-16 units), newline, JSON."""

    def __init__(self):
        self.buf = ""

    def feed(self, text):
        self.buf += text
        out = []
        while True:
            nl = self.buf.find("\n")
            if nl < 0:
                return out
            head = self.buf[:nl]
            if not head.isdigit():
                raise ValueError(f"bad chunk length {head!r} in {self.buf[:80]!r}")
            want = int(head)
            body_start = nl + 1
            units, i = 0, body_start
            while units < want and i < len(self.buf):
                units += 2 if ord(self.buf[i]) > 0xFFFF else 1
                i += 1
            if units < want:
                return out
            out.append(json.loads(self.buf[body_start:i]))
            self.buf = self.buf[i:]


def parse_chunks(text):
    p = ChunkParser()
    chunks = p.feed(text)
    if p.buf:
        raise ValueError(f"trailing bytes after chunks: {p.buf[:80]!r}")
    return chunks


class WebChannel:
    """One session to `/google.firestore.v1.Firestore/{kind}/channel`."""

    def __init__(self, base, kind, database, headers=None, origin="http://localhost:5173", session=None):
        self.base = base
        self.kind = kind
        self.database = database
        self.init_headers = headers or {}
        self.origin = origin
        self.http = session or requests.Session()
        self.sid = None
        self.rid = 1000
        self.ofs = 0
        self.last_array_id = 0
        self.arrays = queue.Queue()       # (array id, payload) in order
        self.errors = []
        self._reader = None
        self._stop = threading.Event()
        self.back_statuses = []

    def url(self, **params):
        q = {"database": self.database, "VER": "8"}
        q.update({k: str(v) for k, v in params.items()})
        return f"{self.base}/google.firestore.v1.Firestore/{self.kind}/channel?" + urllib.parse.urlencode(q)

    def _headers(self):
        h = {"Content-Type": "application/x-www-form-urlencoded"}
        if self.origin:
            h["Origin"] = self.origin
        return h

    @staticmethod
    def form(messages, ofs, headers=None):
        fields = []
        if headers:
            fields.append(("headers", "".join(f"{k}:{v}\r\n" for k, v in headers.items())))
        fields += [("count", str(len(messages))), ("ofs", str(ofs))]
        fields += [(f"req{i}___data__", m if isinstance(m, str) else json.dumps(m)) for i, m in enumerate(messages)]
        return urllib.parse.urlencode(fields)

    def open(self, *messages):
        """The handshake: creates the session, sending `messages` with it; returns the "c" array."""
        self.rid += 1
        r = self.http.post(self.url(RID=self.rid, CVER=22, **{"X-HTTP-Session-Id": "gsessionid", "zx": "x", "t": 1}),
                           data=self.form(list(messages), 0, self.init_headers), headers=self._headers(),
                           timeout=TIMEOUT)
        r.raise_for_status()
        chunks = parse_chunks(r.text)
        created = chunks[0][0]
        assert created[0] == 0 and created[1][0] == "c", r.text
        self.sid = created[1][1]
        self.ofs = len(messages)
        self.handshake_response = r
        return created[1]

    def send(self, *messages, ofs=None):
        """A forward-channel POST; returns the HTTP response."""
        self.rid += 1
        start = self.ofs if ofs is None else ofs
        r = self.http.post(self.url(SID=self.sid, RID=self.rid, AID=self.last_array_id, zx="x", t=1),
                           data=self.form(list(messages), start), headers=self._headers(), timeout=TIMEOUT)
        if ofs is None and r.status_code == 200:
            self.ofs += len(messages)
        return r

    def back_get(self, ci, aid=None, timeout=TIMEOUT, stream=False, **extra):
        return self.http.get(
            self.url(SID=self.sid, RID="rpc", AID=self.last_array_id if aid is None else aid, CI=ci, TYPE="xmlhttp",
                     zx="x", t=1, **extra),
            headers={"Origin": self.origin} if self.origin else {}, timeout=timeout, stream=stream)

    def _take(self, chunk):
        for array_id, payload in chunk:
            if array_id <= self.last_array_id:
                continue
            self.last_array_id = array_id
            self.arrays.put((array_id, payload))

    def start(self, mode="stream", long_poll_timeout_ms=None):
        """Reads the back channel on a thread: `stream` (one CI=0 request, reopened when it ends)
        or `longpoll` (CI=1 requests one after another)."""
        def loop():
            while not self._stop.is_set():
                try:
                    extra = {"TO": long_poll_timeout_ms} if long_poll_timeout_ms else {}
                    r = self.back_get("0" if mode == "stream" else "1", stream=True, timeout=(10, 120), **extra)
                    self.back_statuses.append(r.status_code)
                    if r.status_code != 200:
                        self.errors.append((r.status_code, r.text))
                        return
                    parser = ChunkParser()
                    decoder = codecs.getincrementaldecoder("utf-8")()
                    for piece in r.iter_content(chunk_size=None, decode_unicode=False):
                        for chunk in parser.feed(decoder.decode(piece)):
                            self._take(chunk)
                        if self._stop.is_set():
                            break
                    r.close()
                except requests.RequestException as e:
                    if not self._stop.is_set():
                        self.errors.append(("exception", repr(e)))
                    return
        self._reader = threading.Thread(target=loop, daemon=True)
        self._reader.start()

    def next(self, timeout=15, skip_noop=True):
        """The next array's payload (skipping no-ops)."""
        while True:
            array_id, payload = self.arrays.get(timeout=timeout)
            if skip_noop and payload == ["noop"]:
                continue
            return payload

    def messages_until(self, predicate, timeout=15):
        out = []
        while True:
            payload = self.next(timeout=timeout)
            out.append(payload)
            if predicate(payload):
                return out

    def terminate(self):
        self._stop.set()
        self.rid += 1
        return self.http.get(self.url(SID=self.sid, RID=self.rid, TYPE="terminate", zx="x", t=1),
                             headers={"Origin": self.origin} if self.origin else {}, timeout=TIMEOUT)

    def stop_reading(self):
        self._stop.set()

    def close(self):
        """Closes this client's HTTP connections, as a closing tab does.  `requests.Session.close`
        alone can leave a pooled keep-alive connection open until the pool is garbage-collected."""
        self._stop.set()
        for adapter in self.http.adapters.values():
            pools = adapter.poolmanager.pools
            for key in list(pools.keys()):
                pool = pools.get(key)
                if pool is not None:
                    pool.close()
        self.http.close()


def close_all(channels):
    """Stops reading and ends every session of `channels` that was opened (test clean-up)."""
    for ch in channels:
        ch.stop_reading()
        if ch.sid:
            try:
                ch.terminate()
            except requests.RequestException:
                pass
