"""A lean HTTP/1.1 transport for httpx: h11 over asyncio streams, keep-alive per origin.

httpx's default transport (httpcore on anyio) costs about 1.2 ms of CPU per request here; a refresh of
1,000 unchanged feeds spent more CPU on that than on everything else. This transport does the same
protocol work with h11 (the parser httpcore itself uses) for about a quarter of the cost. It only speaks
HTTP/1.1, which is what feeds are served over; everything above it (auth, redirects we follow ourselves,
headers, streaming) stays httpx.

A request may carry the IP addresses to connect to (the `ADDRESSES` extension, set by the fetcher after the
network policy checked them): the transport then connects to those and to nothing else, and reuses a
kept-alive connection only when its peer is one of them. It never asks DNS again, so a name cannot resolve
to one address for the check and to another for the connection (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Callable

import h11
import httpx

Origin = tuple[str, str, int]
ADDRESSES = "tidings.addresses"  # request extension: tuple of IP address strings, in the order to try
_READ = 64 * 1024


class H11Transport(httpx.AsyncBaseTransport):
    def __init__(
        self,
        *,
        ssl_context: Callable[[], ssl.SSLContext] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_idle_per_origin: int = 4,
    ):
        self._ssl = ssl_context
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._max_idle = max_idle_per_origin
        self._idle: dict[Origin, list[_Connection]] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        origin = _origin(request.url)
        addresses: tuple[str, ...] | None = request.extensions.get(ADDRESSES)
        conn = self._take_idle(origin, addresses)
        if conn is not None:
            try:  # a kept-alive connection the server closed meanwhile: try once more on a new one
                return await self._exchange(conn, request)
            except _StaleConnection:
                pass
        return await self._exchange(await self._connect(origin, addresses), request)

    async def _exchange(self, conn: _Connection, request: httpx.Request) -> httpx.Response:
        try:
            head = await conn.send(request, self._read_timeout)
        except BaseException:
            conn.close()
            raise
        stream = _BodyStream(conn, self, self._read_timeout)
        return httpx.Response(
            head.status_code,
            headers=head.headers,
            stream=stream,
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": head.reason},
        )

    def _take_idle(self, origin: Origin, addresses: tuple[str, ...] | None) -> _Connection | None:
        pool = self._idle.get(origin)
        while pool:
            conn = pool.pop()
            if conn.usable() and (addresses is None or conn.address in addresses):
                return conn
            conn.close()
        return None

    def release(self, conn: _Connection) -> None:
        pool = self._idle.setdefault(conn.origin, [])
        if conn.reusable() and len(pool) < self._max_idle:
            pool.append(conn)
        else:
            conn.close()

    async def _connect(self, origin: Origin, addresses: tuple[str, ...] | None) -> _Connection:
        """A new connection to `addresses` in turn (the host name itself when None), TLS checked against
        the host name."""
        scheme, host, _port = origin
        context = None
        if scheme == "https":
            # made on first use: loading the CA bundle costs ~70 ms of CPU, and most feeds are one host of many
            context = self._ssl() if self._ssl else ssl.create_default_context()
        try:
            async with asyncio.timeout(self._connect_timeout):
                return await self._open(origin, (host,) if addresses is None else addresses, context)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc

    async def _open(
        self, origin: Origin, addresses: tuple[str, ...], context: ssl.SSLContext | None
    ) -> _Connection:
        _scheme, host, port = origin
        failure: OSError | None = None
        for address in addresses:
            try:
                reader, writer = await asyncio.open_connection(
                    address, port, ssl=context, server_hostname=host if context else None, limit=_READ
                )
            except ssl.SSLError:
                raise  # the site's certificate or TLS, not this address: trying another would not help
            except OSError as exc:
                failure = exc
                continue
            return _Connection(origin, reader, writer, address)
        raise failure or OSError("no address to connect to")

    async def aclose(self) -> None:
        idle = [conn for pool in self._idle.values() for conn in pool]
        self._idle.clear()
        for conn in idle:  # idle: nothing to flush. A TLS close would wait for the peer; an abort does not
            conn.writer.transport.abort()
        if idle:
            await asyncio.sleep(0)  # the sockets close on this turn of the loop, not after it has ended


class _StaleConnection(Exception):
    """The server had closed a kept-alive connection before we reused it."""


class _Connection:
    def __init__(
        self, origin: Origin, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, address: str
    ):
        self.origin = origin
        self.address = address  # the peer this connection was opened to
        self.reader = reader
        self.writer = writer
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=64 * 1024)
        self.used = False

    async def send(self, request: httpx.Request, read_timeout: float) -> h11.Response:
        reused, self.used = self.used, True
        headers = [(k, v) for k, v in request.headers.raw]
        target = request.url.raw_path
        data = self.h11.send(h11.Request(method=request.method.encode(), target=target, headers=headers))
        body = request.content  # feeds are GETs: no streaming uploads here
        if body:
            data = (data or b"") + (self.h11.send(h11.Data(data=body)) or b"")
        data = (data or b"") + (self.h11.send(h11.EndOfMessage()) or b"")
        try:
            self.writer.write(data)
            event = await self.next_event(read_timeout)
        except (ConnectionError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
            if reused:
                raise _StaleConnection() from exc
            raise httpx.RemoteProtocolError(f"the connection broke: {exc}") from exc
        if not isinstance(event, h11.Response):
            raise httpx.RemoteProtocolError("the server answered with something that is not HTTP")
        return event

    async def next_event(self, read_timeout: float) -> object:
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(f"malformed HTTP from the server: {exc}") from exc
            if event is not h11.NEED_DATA:
                return event
            self.h11.receive_data(await self._read(read_timeout))

    async def _read(self, read_timeout: float) -> bytes:
        try:
            async with asyncio.timeout(read_timeout):
                data = await self.reader.read(_READ)
        except TimeoutError as exc:
            raise httpx.ReadTimeout("the server stopped sending data") from exc
        except OSError as exc:  # reset by the peer, mid-answer or mid-body
            raise httpx.ReadError(f"the connection broke: {exc}") from exc
        if not data and self.h11.their_state is h11.SEND_RESPONSE:
            raise httpx.RemoteProtocolError("the server closed the connection without answering")
        return data

    def reusable(self) -> bool:
        if self.h11.trailing_data[0]:  # bytes past the end of the answer: never read them as the next one
            return False
        if self.h11.our_state is h11.DONE and self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            return True
        return False

    def usable(self) -> bool:
        return not self.writer.is_closing() and not self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()


class _BodyStream(httpx.AsyncByteStream):
    def __init__(self, conn: _Connection, transport: H11Transport, read_timeout: float):
        self._conn = conn
        self._transport = transport
        self._read_timeout = read_timeout
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while not self._done:
            event = await self._conn.next_event(self._read_timeout)
            if isinstance(event, h11.Data):
                yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                self._finish()
            elif event is h11.PAUSED:
                raise httpx.RemoteProtocolError("the server sent more than one answer")

    def _finish(self) -> None:
        self._done = True
        self._transport.release(self._conn)

    async def aclose(self) -> None:
        if not self._done:  # not read to the end: this connection cannot carry another request
            self._done = True
            self._conn.close()


def _origin(url: httpx.URL) -> Origin:
    port = url.port or (443 if url.scheme == "https" else 80)
    return url.scheme, url.host, port
