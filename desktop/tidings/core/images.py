"""Article images downloaded for offline reading, checked before anything is kept.

An image is kept only when it is a raster picture we can vouch for: the server calls it PNG, JPEG, GIF,
WebP or AVIF, its first bytes say the same (the stored type is the sniffed one), its header gives a real size
(not a 1x1 or 2x2 tracking pixel, not a decompression bomb), and it fits the size caps. SVG is refused on
purpose: it is a document that can carry scripts and load other resources, not a picture.

The size is read from the header bytes (no Pillow): PNG's IHDR, GIF's logical screen, JPEG's SOF marker,
WebP's VP8/VP8L/VP8X chunk and AVIF's `ispe` property.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import html
import re
import sqlite3
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .errors import FetchError
from .fetch import Fetcher, FetchRequest
from .htmlshape import TRACKER
from .sanitize import absolute_url
from .storage import images as image_store
from .storage.images import Picture

MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_ARTICLE_BYTES = 20 * 1024 * 1024  # an article's images stop once they pass this
MAX_IMAGES = 30  # per article, the lead image first
MAX_PIXELS = 40_000_000  # more would cost Qt hundreds of MB to decode: a decompression bomb
TRACKING_SIDE = 2  # an image at most 2x2 pixels is a tracker, not a picture
MAX_URL = 2048
# SVG is not here and never should be: it is script-capable markup, not a picture.
TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/avif"})
_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
ACCEPT_IMAGE = "image/avif, image/webp, image/png, image/jpeg, image/gif;q=0.9"

_IMG = re.compile(r'<img((?:\s+[\w:-]+(?:="[^"]*")?)*)\s*/?>', re.IGNORECASE)
_SRC = re.compile(r'\ssrc="([^"]*)"', re.IGNORECASE)
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_ESCAPE_OR_UNSAFE = re.compile(r"%([0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


class ImageRefused(Exception):
    """Fetched bytes that are not kept; the message says why, in words."""


@dataclass(frozen=True, slots=True)
class ImageReport:
    stored: int = 0  # images fetched and kept by this run
    failed: int = 0  # refused (type, size, tracker) or unreachable


# -- which images ----------------------------------------------------------------------------------------
def image_urls(article_html: str, lead_image: str | None, limit: int = MAX_IMAGES) -> list[str]:
    """The addresses of the images an article shows, lead image first: absolute http(s) only, no known
    tracker, each once, at most `limit`. `article_html` is sanitized markup (quoted attributes)."""
    found = [lead_image or ""]
    for match in _IMG.finditer(article_html):
        src = _SRC.search(match.group(1))
        if src:
            found.append(html.unescape(src.group(1)))
    urls: list[str] = []
    for value in found:
        url = web_url(value)
        if url and url not in urls:
            urls.append(url)
            if len(urls) == limit:
                break
    return urls


def web_url(value: str) -> str | None:
    url = absolute_url(value, None) if value and len(value) <= MAX_URL else None
    if url is None or not url.lower().startswith(("http://", "https://")) or TRACKER.search(url):
        return None
    return normalize_url(url)


def normalize_url(url: str) -> str:
    """`url` as it goes on the wire, normalized (RFC 3986 6.2.2): scheme and host in lower case, every
    character outside the URL syntax percent-encoded as UTF-8, escapes of unreserved characters decoded and
    other escapes in upper case, no fragment. Images are stored and looked up under this form, so the
    reader finds an image whichever way its address is written (QUrl shows `caf%C3%A9` as `café`)."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").encode("idna").decode("ascii")
        port = parts.port
    except (ValueError, UnicodeError):
        return url
    netloc = f"[{host}]" if ":" in host else host
    netloc += f":{port}" if port is not None else ""
    path, query = _escape(parts.path or "/"), _escape(parts.query)
    return urlunsplit((parts.scheme.lower(), netloc, path, query, ""))


def _escape(part: str) -> str:
    def fix(match: re.Match[str]) -> str:
        if match.group(1):
            char = chr(int(match.group(1), 16))
            return char if char in _UNRESERVED else "%" + match.group(1).upper()
        return "".join(f"%{byte:02X}" for byte in match.group(0).encode("utf-8", "surrogatepass"))

    return _ESCAPE_OR_UNSAFE.sub(fix, part)


# -- what the bytes are ----------------------------------------------------------------------------------
def inspect(data: bytes, content_type: str | None) -> Picture:
    """The checked picture in `data`, served as `content_type`; raises ImageRefused."""
    declared = media_type(content_type)
    if declared == "image/svg+xml":
        raise ImageRefused("SVG images are not kept: an SVG can carry scripts.")
    if declared not in TYPES:
        raise ImageRefused(f"The server did not send a picture (it sent “{declared or 'no type'}”).")
    sniffed = sniff(data)
    if sniffed is None:
        raise ImageRefused("The file is not a PNG, JPEG, GIF, WebP or AVIF picture, whatever its type says.")
    size = dimensions(data)
    if size is None:
        raise ImageRefused("The picture's size could not be read: it is damaged or not a picture.")
    width, height = size
    if width <= TRACKING_SIDE and height <= TRACKING_SIDE:
        raise ImageRefused(f"A {width}x{height} image is a tracking pixel, not a picture.")
    if width * height > MAX_PIXELS:
        raise ImageRefused(f"The picture is too large to show ({width}x{height} pixels).")
    return Picture(hashlib.sha256(data).hexdigest(), sniffed, width, height)


def media_type(content_type: str | None) -> str:
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return _ALIASES.get(kind, kind)


def sniff(data: bytes) -> str | None:
    """The picture type the first bytes announce, or None."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp" and _is_avif(data):
        return "image/avif"
    return None


def dimensions(data: bytes) -> tuple[int, int] | None:
    """(width, height) from the header of a PNG, GIF, JPEG, WebP or AVIF picture, or None."""
    kind = sniff(data)
    reader = _READERS.get(kind or "")
    try:
        return reader(data) if reader else None
    except (IndexError, ValueError):  # truncated or damaged header
        return None


def _u16be(data: bytes, at: int) -> int:
    return int.from_bytes(_slice(data, at, 2), "big")


def _u32be(data: bytes, at: int) -> int:
    return int.from_bytes(_slice(data, at, 4), "big")


def _u16le(data: bytes, at: int) -> int:
    return int.from_bytes(_slice(data, at, 2), "little")


def _slice(data: bytes, at: int, size: int) -> bytes:
    part = data[at : at + size]
    if len(part) != size:
        raise IndexError("truncated")
    return part


def _png(data: bytes) -> tuple[int, int] | None:
    if data[12:16] != b"IHDR":
        return None
    return _u32be(data, 16), _u32be(data, 20)


def _gif(data: bytes) -> tuple[int, int] | None:
    return _u16le(data, 6), _u16le(data, 8)


# Start-of-frame markers: C0-CF, except DHT (C4), JPG (C8) and DAC (CC).
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _jpeg(data: bytes) -> tuple[int, int] | None:
    at = 2
    while at < len(data):
        if data[at] != 0xFF:
            return None
        while data[at] == 0xFF:  # fill bytes
            at += 1
        marker = data[at]
        at += 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # stand-alone markers: no length
            continue
        if marker in (0xD9, 0xDA):  # end of image, or the scan began before any frame header
            return None
        if marker in _JPEG_SOF:
            return _u16be(data, at + 5), _u16be(data, at + 3)  # length(2) precision(1) height(2) width(2)
        at += _u16be(data, at)
    return None


def _webp(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 ":  # lossy: a key frame's start code, then 14-bit sizes
        if _slice(data, 23, 3) != b"\x9d\x01\x2a":
            return None
        return _u16le(data, 26) & 0x3FFF, _u16le(data, 28) & 0x3FFF
    if chunk == b"VP8L":  # lossless: signature 0x2f, then 14 bits of width-1 and of height-1
        if data[20] != 0x2F:
            return None
        bits = int.from_bytes(_slice(data, 21, 4), "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit canvas width-1 and height-1
        width, height = _slice(data, 24, 3), _slice(data, 27, 3)
        return int.from_bytes(width, "little") + 1, int.from_bytes(height, "little") + 1
    return None


def _boxes(data: bytes, start: int, end: int) -> Iterable[tuple[bytes, int, int]]:
    """ISO-BMFF boxes between `start` and `end`: (type, body start, body end)."""
    at = start
    while at + 8 <= end:
        size, kind, body = _u32be(data, at), data[at + 4 : at + 8], at + 8
        if size == 1:
            size, body = int.from_bytes(_slice(data, at + 8, 8), "big"), at + 16
        elif size == 0:
            size = end - at
        if size < body - at or at + size > end:
            return
        yield kind, body, at + size
        at += size


def _is_avif(data: bytes) -> bool:
    first = next(iter(_boxes(data, 0, min(len(data), 4096))), None)  # the file type box comes first
    if first is None or first[0] != b"ftyp":
        return False
    _kind, body, end = first
    brands = [data[body : body + 4]] + [data[n : n + 4] for n in range(body + 8, end, 4)]  # major, compatible
    return b"avif" in brands or b"avis" in brands


def _avif(data: bytes) -> tuple[int, int] | None:
    """The largest `ispe` (image spatial extent) in meta/iprp/ipco: the primary image, not a thumbnail."""
    sizes: list[tuple[int, int]] = []
    for path in _find(data, 0, len(data), (b"meta", b"iprp", b"ipco", b"ispe")):
        sizes.append((_u32be(data, path + 4), _u32be(data, path + 8)))  # after version and flags
    return max(sizes, key=lambda s: s[0] * s[1]) if sizes else None


def _find(data: bytes, start: int, end: int, path: tuple[bytes, ...]) -> Iterable[int]:
    for kind, body, box_end in _boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            yield body
        else:
            inner = body + 4 if kind == b"meta" else body  # meta is a full box: version and flags first
            yield from _find(data, inner, box_end, path[1:])


_READERS: dict[str, Callable[[bytes], tuple[int, int] | None]] = {
    "image/png": _png,
    "image/gif": _gif,
    "image/jpeg": _jpeg,
    "image/webp": _webp,
    "image/avif": _avif,
}


# -- fetching --------------------------------------------------------------------------------------------
Write = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]


@dataclass
class ImageRun:
    """Fetches the planned images of articles: each article's in order, the articles side by side (the
    fetcher bounds requests per host and overall). An image several articles show is fetched once."""

    fetcher: Fetcher  # made with a policy whose max_bytes is MAX_IMAGE_BYTES
    write: Write
    cancel: threading.Event = field(default_factory=threading.Event)
    feeds: dict[int, str] = field(default_factory=dict)  # story id -> its feed's address (network policy)
    _fetches: dict[str, asyncio.Task[int | None]] = field(default_factory=dict)

    async def run(self, plan: list[tuple[int, list[str]]]) -> ImageReport:
        await asyncio.gather(*(self._article(story_id, urls) for story_id, urls in plan))
        sizes = [task.result() for task in self._fetches.values() if task.done() and not task.cancelled()]
        return ImageReport(sum(1 for s in sizes if s is not None), sum(1 for s in sizes if s is None))

    async def _article(self, story_id: int, urls: list[str]) -> None:
        spent = 0
        for n, url in enumerate(urls):
            if self.cancel.is_set():
                return
            if spent >= MAX_ARTICLE_BYTES:
                await self.write(functools.partial(image_store.unlist, story_id=story_id, urls=urls[n:]))
                return
            task = self._fetches.get(url)
            if task is None:
                task = self._fetches[url] = asyncio.create_task(self._one(url, self.feeds.get(story_id, "")))
            spent += await task or 0

    async def _one(self, url: str, feed_url: str) -> int | None:
        """Fetch, check and store one image; its size, or None when it was refused or unreachable. The
        image is a link from the feed at `feed_url`: a private address only on that feed's site."""
        try:
            result = await self.fetcher.fetch(FetchRequest(url, accept=ACCEPT_IMAGE, linked_from=feed_url))
            if result.not_modified:  # nothing was asked conditionally: a broken server
                raise ImageRefused("The server answered “not modified” to a plain request.")
            picture = inspect(result.body, result.content_type)
        except FetchError as exc:
            await self._failed(url, f"The image could not be fetched: {exc}", transient=_transient(exc))
            return None
        except ImageRefused as exc:
            await self._failed(url, str(exc), transient=False)
            return None
        await self.write(functools.partial(image_store.save, url=url, picture=picture, data=result.body))
        return len(result.body)

    async def _failed(self, url: str, failure: str, *, transient: bool) -> None:
        await self.write(
            functools.partial(image_store.save_failure, url=url, failure=failure, transient=transient)
        )


def _transient(exc: FetchError) -> bool:
    """Worth another try later: the network, a timeout, or the server's own trouble."""
    return exc.status is None or exc.status >= 500 or exc.status in (408, 429)
