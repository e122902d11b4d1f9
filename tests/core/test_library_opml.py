"""OPML through the library: import keeps folders, order and attributes; export gives them back;
credentials in addresses go to the keyring, never into the store or the export."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from tests.loopback import LoopbackServer, read_data
from tidings.core.library import Library

EXACT = [
    "feedly.opml",
    "inoreader.opml",
    "rssguard.opml",
    "thunderbird.opml",
    "netnewswire.opml",
    "liferea.opml",
]


def body(data: bytes) -> tuple[Any, ...]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    root = etree.fromstring(data, parser)
    return _tree(root.find("body"))


def _tree(element: Any) -> tuple[Any, ...]:
    return (
        element.tag,
        tuple(element.attrib.items()),
        tuple(_tree(c) for c in element if isinstance(c.tag, str)),
    )


@pytest.mark.parametrize("name", EXACT)
def test_import_then_export_gives_the_same_outlines(library: Library, name: str) -> None:
    original = read_data("opml", name)
    report = library.import_opml(original)
    assert report.added > 0
    exported = library.export_opml()
    assert body(exported) == body(_without_empty_folders(original))


def _without_empty_folders(data: bytes) -> bytes:
    """Outlines that hold no feed at any depth (saved searches, rules, separators) are not subscriptions."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    for outline in list(root.iter("outline")):
        if outline.getparent() is not None and not any(o.get("xmlUrl") for o in outline.iter("outline")):
            outline.getparent().remove(outline)
    return etree.tostring(root)


def test_every_feed_of_an_odd_file_is_kept(library: Library) -> None:
    """Separators, plain links and empty folders are not subscriptions; every feed is, even nested in one."""
    report = library.import_opml(read_data("opml", "misc.opml"))
    urls = {f.url for f in library.feeds()}
    assert report.added == len(urls) == 7
    assert {
        "https://example.com/child.xml",
        "https://example.com/spaced.xml",
        "https://example.com/deep.xml",
    } <= urls
    assert any(f.folder == "Level 1 / Level 2 / Level 3" for f in library.feeds())


def test_nested_folders_survive_a_second_library(library: Library) -> None:
    library.import_opml(read_data("opml", "rssguard.opml"))
    assert any(f.folder and " / " in f.folder for f in library.feeds())
    again = Library(library.folder.parent / "again")
    try:
        again.import_opml(library.export_opml())
        assert [(f.folder, f.title, f.url) for f in again.feeds()] == [
            (f.folder, f.title, f.url) for f in library.feeds()
        ]
    finally:
        again.close()


def test_importing_twice_adds_nothing(library: Library) -> None:
    first = library.import_opml(read_data("opml", "feedly.opml"))
    second = library.import_opml(read_data("opml", "feedly.opml"))
    assert second.added == 0 and second.already == first.added
    assert len(library.feeds()) == first.added


def test_importing_fetches_nothing(library: Library, server: LoopbackServer) -> None:
    opml = (
        f'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'<outline text="Local" xmlUrl="{server.url("/feed.xml")}"/></body></opml>'
    ).encode()
    library.import_opml(opml)
    assert server.log == []


def test_credentials_go_to_the_keyring_not_the_store(library: Library, tmp_path: Path) -> None:
    opml = (
        b'<?xml version="1.0"?><opml version="2.0"><head/><body>'
        b'<outline text="Private" type="rss" xmlUrl="https://reader:s3cr%40t-pw@example.org/private.xml"/>'
        b"</body></opml>"
    )
    report = library.import_opml(opml)
    assert report.credentials == 1
    (feed,) = library.feeds()
    assert feed.url == "https://example.org/private.xml" and feed.auth == "basic"
    secret = library.credentials.get(feed.id)
    assert secret is not None and (secret.username, secret.password) == ("reader", "s3cr@t-pw")
    library.close()
    for path in library.folder.rglob("*"):
        if path.is_file():
            assert b"s3cr" not in path.read_bytes(), path
    assert b"s3cr" not in Library(library.folder).export_opml()


def test_renamed_and_moved_feeds_export_as_they_are_now(library: Library) -> None:
    library.import_opml(read_data("opml", "feedly.opml"))
    feed = next(f for f in library.feeds() if f.title == "xkcd.com")
    library.rename_feed(feed.id, "XKCD comics")
    exported = library.export_opml().decode()
    assert 'text="XKCD comics"' in exported and 'title="XKCD comics"' in exported
    assert 'xmlUrl="https://xkcd.com/rss.xml"' in exported
