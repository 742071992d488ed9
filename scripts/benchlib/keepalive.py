"""A lean HTTP/1.1 keep-alive client for load phases where the client's own cost matters.

aiohttp spends about a quarter of a millisecond of Python per request.  At a few thousand
requests a second that is more than half a core of a 2-core machine, taken from the server being
measured and added to every request's latency, so a fast server's figure measures mostly the
client.  This client sends each request as one pre-assembled write and reads the answer by its
Content-Length (or chunked framing), one request at a time per connection, as a browser or SDK
connection does.  Both servers in a comparison are driven by it.
"""

import asyncio
import urllib.parse


class KeepAlive:
    """One keep-alive connection to `base` (http://host:port/…); an async context manager.
    `request` returns (status, body bytes); the connection reopens after `Connection: close`."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self._host_header = f"Host: {u.hostname}:{self.port}\r\n".encode()
        self._r = self._w = None

    async def __aenter__(self):
        await self._open()
        return self

    async def __aexit__(self, *exc):
        self.close()

    async def _open(self):
        self._r, self._w = await asyncio.open_connection(self.host, self.port)

    def close(self):
        if self._w is not None:
            self._w.close()
            self._w = None

    async def request(self, method, target, headers=b"", body=None):
        """`target` is the encoded path and query; `headers` pre-encoded lines ending in CRLF."""
        try:
            return await self._request(method, target, headers, body)
        except BaseException:
            self.close()  # a request cut short leaves the connection's framing unknown
            raise

    async def _request(self, method, target, headers, body):
        if self._w is None:
            await self._open()
        head = b"%s %s HTTP/1.1\r\n%s%s" % (method.encode(), target.encode(), self._host_header, headers)
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
            self._w.write(head + body)
        else:
            self._w.write(head + b"\r\n")
        r = self._r
        raw = await r.readuntil(b"\r\n\r\n")
        status = int(raw[9:12])
        lower = raw.lower()
        i = lower.find(b"\r\ncontent-length:")
        if i >= 0:
            n = int(lower[i + 17:lower.index(b"\r\n", i + 2)])
            data = await r.readexactly(n) if n else b""
        elif b"\r\ntransfer-encoding: chunked" in lower:
            parts = []
            while True:
                size = int((await r.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await r.readuntil(b"\r\n")  # no trailers are sent to us; the last CRLF
                    break
                parts.append(await r.readexactly(size + 2))
            data = b"".join(p[:-2] for p in parts)
        elif status in (204, 304) or status < 200:
            data = b""
        else:  # delimited by the end of the connection
            data = await r.read()
            self.close()
        if b"\r\nconnection: close" in lower:
            self.close()
        return status, data
