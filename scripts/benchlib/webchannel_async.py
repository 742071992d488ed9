"""An asyncio WebChannel client for the webchannel phase: the same wire protocol as the protocol
suites' client (Tests/conformance/webchannel_client.py, whose chunk parser and form encoding it
reuses), on aiohttp instead of requests plus a reader thread per back channel.

That client costs 2–4 ms of Python per round trip (a thread hand-off under the GIL for every
message), more than Flint's whole round trip, so it measured mostly itself.  Here a back channel
is one streaming GET read on the event loop, and the forward channel reuses one keep-alive
connection, as a browser's WebChannel does.
"""

import asyncio
import codecs
import os
import sys
import urllib.parse

import aiohttp
import yarl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "Tests", "conformance"))
from webchannel_client import ChunkParser, WebChannel, parse_chunks  # noqa: E402

TIMEOUT = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=120)


class AsyncWebChannel:
    """One session to `/google.firestore.v1.Firestore/{kind}/channel`."""

    def __init__(self, base, kind, database):
        self.base, self.kind, self.database = base, kind, database
        # Two connections: the forward channel's keep-alive one and the back channel's stream.
        self.http = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=2), timeout=TIMEOUT, skip_auto_headers=("User-Agent",))
        self.sid = None
        self.rid = 1000
        self.ofs = 0
        self.last_array_id = 0
        self.arrays = asyncio.Queue()
        self._reader = None

    def url(self, **params):
        q = {"database": self.database, "VER": "8"}
        q.update({k: str(v) for k, v in params.items()})
        return yarl.URL(f"{self.base}/google.firestore.v1.Firestore/{self.kind}/channel?" + urllib.parse.urlencode(q),
                        encoded=True)

    async def _post(self, url, form):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        for attempt in (1, 2):
            try:
                async with self.http.post(url, data=form.encode(), headers=headers) as r:
                    return r.status, await r.text()
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                # The official emulator closes some keep-alive connections after answering without
                # saying so; the browser's WebChannel resends (`ofs` makes a resend safe).
                if attempt == 2:
                    raise

    async def open(self, *messages):
        self.rid += 1
        status, text = await self._post(
            self.url(RID=self.rid, CVER=22, **{"X-HTTP-Session-Id": "gsessionid", "zx": "x", "t": 1}),
            WebChannel.form(list(messages), 0))
        if status != 200:
            raise RuntimeError(f"handshake: HTTP {status}: {text[:200]}")
        created = parse_chunks(text)[0][0]
        self.sid = created[1][1]
        self.ofs = len(messages)

    async def send(self, *messages):
        self.rid += 1
        status, text = await self._post(
            self.url(SID=self.sid, RID=self.rid, AID=self.last_array_id, zx="x", t=1),
            WebChannel.form(list(messages), self.ofs))
        if status != 200:
            raise RuntimeError(f"forward channel: HTTP {status}: {text[:200]}")
        self.ofs += len(messages)

    def start(self):
        """Reads the back channel (CI=0, one streaming request, reopened when it ends)."""
        async def loop():
            while True:
                url = self.url(SID=self.sid, RID="rpc", AID=self.last_array_id, CI="0", TYPE="xmlhttp", zx="x", t=1)
                async with self.http.get(url) as r:
                    if r.status != 200:
                        await self.arrays.put((None, RuntimeError(f"back channel: HTTP {r.status}")))
                        return
                    parser, decoder = ChunkParser(), codecs.getincrementaldecoder("utf-8")()
                    async for piece in r.content.iter_any():
                        for chunk in parser.feed(decoder.decode(piece)):
                            for array_id, payload in chunk:
                                if array_id > self.last_array_id:
                                    self.last_array_id = array_id
                                    await self.arrays.put((array_id, payload))
        self._reader = asyncio.ensure_future(loop())

    async def next(self, timeout=30):
        """The next array's payload, skipping no-ops."""
        while True:
            array_id, payload = await asyncio.wait_for(self.arrays.get(), timeout)
            if array_id is None:
                raise payload
            if payload != ["noop"]:
                return payload

    async def close(self):
        if self._reader:
            self._reader.cancel()
        if self.sid:
            self.rid += 1
            try:
                async with self.http.get(self.url(SID=self.sid, RID=self.rid, TYPE="terminate", zx="x", t=1)) as r:
                    await r.read()
            except aiohttp.ClientError:
                pass
        await self.http.close()
