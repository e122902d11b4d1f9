"""Content-Encoding decoders with a hard cap on the decoded size (a gzip bomb stops at the cap)."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

from .errors import FetchError

_STEP = 64 * 1024
GZIP_MAGIC = b"\x1f\x8b"


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...
    def flush(self) -> bytes: ...


class IdentityDecoder:
    def feed(self, data: bytes) -> Iterator[bytes]:
        yield data

    def flush(self) -> bytes:
        return b""


class ZlibDecoder:
    """gzip or deflate (zlib-wrapped or raw), decoded in bounded steps."""

    def __init__(self, encoding: str):
        self._gzip = encoding in ("gzip", "x-gzip")
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 32 if self._gzip else zlib.MAX_WBITS)
        self._first = True

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip:
            self._first = False
            yield from self._deflate_start(data)
            return
        yield from self._drain(data)

    def _deflate_start(self, data: bytes) -> Iterator[bytes]:
        try:
            zlib.decompressobj().decompress(data[:64], 1)
        except zlib.error:  # a server sent raw deflate without the zlib header
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
        yield from self._drain(data)

    def _drain(self, data: bytes) -> Iterator[bytes]:
        try:
            while True:
                chunk = self._obj.decompress(data, _STEP)
                while chunk:
                    yield chunk
                    chunk = self._obj.decompress(self._obj.unconsumed_tail, _STEP)
                data = self._next_member()
                if not data:
                    return
        except zlib.error as exc:
            raise FetchError(f"The server sent badly compressed data ({exc}).") from exc

    def _next_member(self) -> bytes:
        """gzip allows several members one after the other (RFC 1952), and decoders must read them all,
        so a bomb cannot hide behind a small first member. Anything else after the end is ignored."""
        rest = self._obj.unused_data if self._gzip and self._obj.eof else b""
        if not rest or not GZIP_MAGIC.startswith(rest[:2]):
            return b""
        self._obj = zlib.decompressobj(zlib.MAX_WBITS | 32)
        return rest

    def flush(self) -> bytes:
        return self._obj.flush() if not self._obj.eof else b""


class BrotliDecoder:
    def __init__(self) -> None:
        import brotli

        self._brotli = brotli
        self._obj = brotli.Decompressor()

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            yield self._obj.process(data, output_buffer_limit=_STEP)
            while not self._obj.can_accept_more_data():
                yield self._obj.process(b"", output_buffer_limit=_STEP)
        except self._brotli.error as exc:
            raise FetchError("The server sent badly compressed data (brotli).") from exc

    def flush(self) -> bytes:
        return b""


def decoder_for(content_encoding: str | None) -> Decoder:
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return IdentityDecoder()
    if len(codings) > 1:
        raise FetchError(f"The server used stacked compression ({content_encoding}), which Tidings refuses.")
    if codings[0] in ("gzip", "x-gzip", "deflate"):
        return ZlibDecoder(codings[0])
    if codings[0] == "br":
        return BrotliDecoder()
    raise FetchError(f"The server used an unknown compression ({codings[0]}).")
