"""HTTP for feeds and pages: timeouts, an overall deadline, a size cap, conditional GET, redirects we
check ourselves, and politeness (a bound per host and a global bound).

Everything returns a `FetchResult` or raises `FetchError` with a sentence a person can read.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email.utils
import math
import re
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from .credentials import same_site
from .decode import decoder_for
from .errors import FetchError, LoginNeededError
from .models import FetchPolicy
from .netpolicy import AddressGuard, Checked, may_start_private
from .transport import ADDRESSES, H11Transport

__all__ = ["FetchPolicy", "FetchRequest", "FetchResult", "Fetcher"]

USER_AGENT = "Tidings/0.1 (desktop news reader; +https://github.com/tidings-reader/tidings)"
ACCEPT_FEED = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.8, application/json;q=0.7, text/html;q=0.5, */*;q=0.1"
)
PERMANENT = frozenset({301, 308})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_CACHE_SECONDS = 24 * 3600
SLOW_DOWN_SECONDS = 60.0  # a 429 without Retry-After: the host is left alone this long


@dataclass(frozen=True, slots=True)
class FetchRequest:
    url: str
    etag: str | None = None
    last_modified: str | None = None
    authorization: str | None = field(default=None, repr=False)  # an Authorization header value
    accept: str = ACCEPT_FEED
    decode: bool = True  # False: leave the body compressed (decoded later by `decode_body`, off this thread)
    # None: the user gave this address (typed, imported, a feed's stored address), so it may be private.
    # Else the user's address it was found at (a feed, a page): private only on that same site (netpolicy).
    linked_from: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str  # where the body finally came from
    status: int
    body: bytes = field(default=b"", repr=False)
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    max_age: float | None = None
    moved_to: str | None = None  # set when every redirect on the way was permanent
    location: str | None = None  # the Location header of a redirect
    content_encoding: str | None = None  # set when the body is still compressed (decode=False)

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """One HTTP client shared by all requests of a refresh; use as an async context manager."""

    def __init__(self, policy: FetchPolicy | None = None, transport: httpx.AsyncBaseTransport | None = None):
        self.policy = policy or FetchPolicy()
        self._global = asyncio.Semaphore(self.policy.total)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.policy.per_host)
        )
        self._transport = transport or H11Transport(
            ssl_context=_ssl_context,
            connect_timeout=self.policy.connect_timeout,
            read_timeout=self.policy.read_timeout,
            max_idle_per_origin=self.policy.per_host,
        )
        self._guard = AddressGuard(self.policy.resolver)
        self._resting: dict[str, tuple[float, int]] = {}  # host -> (monotonic time it may be asked, status)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._transport.aclose()

    async def fetch(self, request: FetchRequest) -> FetchResult:
        """GET `request.url`, following at most `max_redirects` redirects, within the deadline.

        Every hop is checked before any connection: http(s) only, and a private address only on a site the
        user gave and never after a public one (netpolicy); raises FetchError (AddressRefused) otherwise."""
        url, permanent = _checked(request.url), True
        private_ok = may_start_private(url, request.linked_from)
        started = time.monotonic()
        for hop in range(self.policy.max_redirects + 1):
            try:
                result, public = await self._hop(request, url, started, private_ok, redirected=hop > 0)
            except LoginNeededError as exc:
                elsewhere = _moved_away(request, url)
                if elsewhere is None:
                    raise
                raise elsewhere from exc
            if result.status not in REDIRECTS:
                moved = url if permanent and url != request.url else None
                return _with(result, moved_to=moved)
            private_ok = private_ok and not public  # once public, a chain never goes private again
            permanent = permanent and result.status in PERMANENT
            url = _checked(_redirect_target(url, result))
        raise FetchError(f"The address redirected more than {self.policy.max_redirects} times.")

    async def permits(self, request: FetchRequest) -> bool:
        """Whether the network policy lets a fetch of `request` begin: resolves the name, connects to
        nothing. A name that cannot be resolved is permitted (the fetch itself says what went wrong)."""
        try:
            url = _checked(request.url)
            async with asyncio.timeout(self.policy.connect_timeout):
                private_ok = may_start_private(url, request.linked_from)
                await self._guard.check(url, private_ok=private_ok, redirected=False)
        except FetchError:  # not http(s), or refused by the network policy
            return False
        except OSError:  # no such host, or a timeout
            return True
        return True

    async def _hop(
        self, request: FetchRequest, url: str, started: float, private_ok: bool, *, redirected: bool
    ) -> tuple[FetchResult, bool]:
        """One request within what is left of the deadline; the result, and whether the host is public."""
        host = _host_key(url)
        async with self._hosts[host], self._global:  # never hold a global slot while a host is busy
            self._check_resting(url, host)
            remaining = self.policy.deadline - (time.monotonic() - started)
            if remaining <= 0:
                raise _deadline_error(self.policy.deadline)
            try:
                async with asyncio.timeout(remaining):
                    checked = await self._resolve(url, private_ok, redirected)
                    return await self._get(request, url, checked.addresses), checked.public
            except TimeoutError as exc:
                raise _deadline_error(self.policy.deadline) from exc
            except httpx.HTTPError as exc:
                raise FetchError(_describe(exc, url, self.policy)) from exc
            except FetchError as exc:
                self._rest_after(host, exc)
                raise

    async def _resolve(self, url: str, private_ok: bool, redirected: bool) -> Checked:
        try:
            return await self._guard.check(url, private_ok=private_ok, redirected=redirected)
        except TimeoutError:
            raise
        except OSError as exc:  # the name could not be resolved
            raise FetchError(_connect_words(urlsplit(url).hostname or url, exc)) from exc

    def _rest_after(self, host: str, exc: FetchError) -> None:
        """After a 429 (or a 503 with Retry-After) the host is not asked again by this fetcher until the
        time it gave: the other feeds and pages of that site fail at once, without a request."""
        if exc.status == 429 or (exc.status == 503 and exc.retry_after is not None):
            wait = exc.retry_after if exc.retry_after is not None else SLOW_DOWN_SECONDS
            self._resting[host] = (time.monotonic() + wait, exc.status)

    def _check_resting(self, url: str, host: str) -> None:
        until, status = self._resting.get(host, (0.0, 0))
        wait = until - time.monotonic()
        if wait > 0:
            raise FetchError(
                f"{urlsplit(url).hostname} asked Tidings to wait (HTTP {status}); it is not asked again for "
                f"{math.ceil(wait)} seconds.",
                status=status,
                retry_after=wait,
            )

    async def _get(self, request: FetchRequest, url: str, addresses: tuple[str, ...]) -> FetchResult:
        headers = _request_headers(request, same_url=url == request.url)
        if request.authorization and same_site(request.url, url):  # never sent to another site
            headers["Authorization"] = request.authorization
        # The transport directly, without httpx's client: we follow redirects, send no cookies and set
        # the headers ourselves, and the client layer cost a quarter of a refresh's CPU. It connects only
        # to the addresses the network policy checked (no second DNS answer).
        get = httpx.Request("GET", url, headers=headers, extensions={ADDRESSES: addresses})
        r = await self._transport.handle_async_request(get)
        try:
            if r.status_code in REDIRECTS or r.status_code == 304:
                await _drain(r)  # read to the end so the connection goes back to the pool
                return _result(r, url, b"")
            if r.status_code == 401:
                raise _login_needed(r, url, refused="Authorization" in headers)
            _raise_for_status(r)
            if not request.decode:
                return _result(r, url, await _read_raw(r, self.policy.max_bytes))
            body = await _read_capped(r, self.policy.max_bytes)
            return dataclasses.replace(_result(r, url, body), content_encoding=None)
        finally:
            await r.aclose()


def _ssl_context() -> ssl.SSLContext:
    """Certificates verified against certifi's bundle (what httpx uses), TLS 1.2 at least."""
    context = httpx.create_ssl_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _request_headers(request: FetchRequest, *, same_url: bool) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT, "Accept": request.accept, "Accept-Encoding": "gzip, deflate, br"}
    if same_url and request.etag:
        headers["If-None-Match"] = request.etag
    if same_url and request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


async def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    size = 0
    async for raw in response.aiter_raw():
        size += len(raw)
        if size > limit:
            break


class _Capped:
    """Collects a body, failing in words as soon as it passes the cap."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.parts: list[bytes] = []
        self.size = 0

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise _too_large(self.max_bytes)
        self.parts.append(chunk)

    def value(self) -> bytes:
        return b"".join(self.parts)


async def _read_raw(response: httpx.Response, max_bytes: int) -> bytes:
    """The body as sent (still compressed); the decoded size is checked by `decode_body` later."""
    body = _Capped(max_bytes)
    async for raw in response.aiter_raw():
        body.add(raw)
    return body.value()


def decode_body(body: bytes, content_encoding: str | None, max_bytes: int) -> bytes:
    """Decode a body fetched with `decode=False`, stopping at `max_bytes` (a bomb stops at the cap)."""
    decoder = decoder_for(content_encoding)
    out = _Capped(max_bytes)
    for chunk in decoder.feed(body):  # lazily: never more than one step beyond the cap in memory
        out.add(chunk)
    out.add(decoder.flush())
    return out.value()


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    decoder = decoder_for(response.headers.get("content-encoding"))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and "content-encoding" not in response.headers and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    out = _Capped(max_bytes)
    async for raw in response.aiter_raw():
        for chunk in decoder.feed(raw):
            out.add(chunk)
    out.add(decoder.flush())
    return out.value()


def _result(response: httpx.Response, url: str, body: bytes) -> FetchResult:
    h = response.headers
    return FetchResult(
        url=url,
        status=response.status_code,
        body=body,
        content_type=h.get("content-type"),
        etag=h.get("etag"),
        last_modified=h.get("last-modified"),
        max_age=_max_age(h),
        location=h.get("location"),
        content_encoding=h.get("content-encoding"),
    )


def _with(result: FetchResult, *, moved_to: str | None) -> FetchResult:
    return dataclasses.replace(result, moved_to=moved_to)


def _redirect_target(url: str, result: FetchResult) -> str:
    if not result.location:
        raise FetchError(f"The server answered HTTP {result.status} (a redirect) without saying where to.")
    return urljoin(url, result.location.strip())


def _checked(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        shown = url if len(url) < 80 else url[:77] + "…"
        raise FetchError(f"Tidings only follows web addresses (http or https), not “{shown}”.")
    return url


def _host_key(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or (443 if parts.scheme == 'https' else 80)}"


def _login_needed(response: httpx.Response, url: str, *, refused: bool) -> LoginNeededError:
    challenge = response.headers.get("www-authenticate", "").strip()
    scheme = challenge.split(None, 1)[0].split(",", 1)[0].lower() if challenge else "basic"
    return LoginNeededError(url, scheme=scheme, refused=refused)


def _moved_away(request: FetchRequest, url: str) -> FetchError | None:
    """A feed with a login that redirects to another site which asks for one: a login there would not
    help, since Tidings never sends it to another site. Says so instead of asking for the login again."""
    if not request.authorization or same_site(request.url, url):
        return None
    host = urlsplit(url).hostname or url
    return FetchError(
        f"The feed now redirects to {host}, which asks for a login; Tidings never sends a login to "
        "another site: subscribe to the new address and log in there.",
        status=401,
    )


def _max_age(headers: Mapping[str, str]) -> float | None:
    match = re.search(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", headers.get("cache-control", ""), re.I)
    return min(float(match.group(1)), MAX_CACHE_SECONDS) if match else None


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or an HTTP date), capped at a day."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_CACHE_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return min(max(when - (now if now is not None else time.time()), 0.0), MAX_CACHE_SECONDS)


_STATUS_WORDS = {
    400: "The server refused the request as malformed (HTTP 400).",
    401: "The feed needs a login (HTTP 401).",
    403: "The server refused access to the feed (HTTP 403).",
    404: "The feed was not found at this address (HTTP 404).",
    410: "The feed is gone: the site removed it (HTTP 410).",
    429: "The server asked Tidings to slow down (HTTP 429).",
    503: "The server is unavailable for now (HTTP 503).",
}


def _raise_for_status(response: httpx.Response) -> None:
    status = response.status_code
    if 200 <= status < 300:
        return
    message = _STATUS_WORDS.get(status)
    if message is None:
        kind = "had an internal error" if status >= 500 else "refused the request"
        message = f"The server {kind} (HTTP {status})."
    retry = retry_after_seconds(response.headers.get("retry-after")) if status in (429, 503) else None
    raise FetchError(message, status=status, retry_after=retry)


def _too_large(max_bytes: int) -> FetchError:
    return FetchError(f"The document is too large (over {max_bytes // (1024 * 1024)} MB) and was not kept.")


def _deadline_error(deadline: float) -> FetchError:
    return FetchError(f"The download took longer than {deadline:g} seconds and was stopped.")


def _describe(exc: httpx.HTTPError, url: str, policy: FetchPolicy) -> str:
    host = urlsplit(url).hostname or url
    if isinstance(exc, httpx.ConnectTimeout):
        return f"{host} did not answer within {policy.connect_timeout:g} seconds."
    if isinstance(exc, httpx.ReadTimeout):
        return f"{host} stopped sending data for {policy.read_timeout:g} seconds."
    if isinstance(exc, httpx.PoolTimeout):
        return f"No connection to {host} was free in time."
    if isinstance(exc, httpx.ConnectError):
        return _connect_words(host, exc)
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"{host} broke off the connection or answered with something that is not HTTP."
    if isinstance(exc, httpx.ReadError):
        return f"{host} broke off the connection before the download was complete."
    return f"The request to {host} failed: {exc.__class__.__name__}."


def _connect_words(host: str, exc: BaseException) -> str:
    for cause in _chain(exc):
        if isinstance(cause, socket.gaierror):
            return f"The address {host} could not be found (no such host)."
        if isinstance(cause, ConnectionRefusedError):
            return f"{host} refused the connection."
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"The secure connection to {host} could not be verified (certificate: {cause.verify_message})."
        if isinstance(cause, ssl.SSLError):
            return f"The secure connection to {host} failed."
        if isinstance(cause, OSError) and cause.strerror:
            return f"Could not connect to {host}: {cause.strerror.lower()}."
    return f"Could not connect to {host}."


def _chain(exc: BaseException | None) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen and len(seen) < 10:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen
