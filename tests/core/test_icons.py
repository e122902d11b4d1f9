"""Feed icons: fetched once per feed from the feed's own icon or the site's favicon, checked, kept."""

from __future__ import annotations

import struct
from pathlib import Path

from tests.loopback import LoopbackServer
from tests.ui.stock import add_feed
from tidings.core import icons
from tidings.core.images import ImageRefused
from tidings.core.library import Library

PNG = (Path(__file__).parents[1] / "data" / "images" / "photo.png").read_bytes()


def ico() -> bytes:
    """A real 16x16 ICO wrapping the PNG (Vista-style ICO entries may hold PNG data)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(PNG), 6 + 16)
    return header + entry + PNG


def test_the_checks_keep_pictures_and_icons_and_refuse_the_rest() -> None:
    assert icons.checked_icon(ico(), "image/x-icon") == "image/x-icon"
    assert icons.checked_icon(PNG, "image/vnd.microsoft.icon") == "image/png"  # mislabelled PNG favicon
    for data, kind in (
        (b"<svg onload='x()'/>", "image/svg+xml"),
        (b"<html>", "text/html"),
        (b"\0\0\1\0", "image/x-icon"),
    ):
        try:
            icons.checked_icon(data, kind)
        except ImageRefused:
            continue
        raise AssertionError(f"{kind} was kept")


def test_icons_are_fetched_once_and_failures_are_remembered(library: Library, server: LoopbackServer) -> None:
    server.serve("/favicon.ico", ico(), "image/x-icon")
    with_favicon = add_feed(library, server.url("/feed.xml"), "Has favicon")
    library.write(
        lambda c: c.execute("UPDATE feeds SET site_url = ? WHERE id = ?", (server.url("/"), with_favicon))
    )
    named = add_feed(library, server.url("/other.xml"), "Names its icon")
    server.serve("/logo.png", PNG, "image/png")
    library.write(
        lambda c: c.execute(
            "UPDATE feeds SET icon_url = ?, site_url = 'http://127.0.0.1:9/' WHERE id = ?",
            (server.url("/logo.png"), named),
        )
    )
    svg_only = add_feed(library, "http://127.0.0.1:9/none.xml", "Nothing")
    library.write(
        lambda c: c.execute("UPDATE feeds SET icon_url = ? WHERE id = ?", (server.url("/logo.svg"), svg_only))
    )
    server.serve("/logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml")
    assert library.fetch_icons() == 2
    stored = library.feed_icons()
    assert stored[with_favicon].startswith(b"\0\0\1\0") and stored[named] == PNG and svg_only not in stored
    asked = len(server.log)
    assert library.fetch_icons() == 0 and len(server.log) == asked  # once per feed, failures included
