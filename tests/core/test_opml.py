"""OPML: faithful round trips of real readers' exports, safe parsing of hostile files, Tidings' own export."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tests.loopback import LoopbackServer
from tidings.core import opml
from tidings.core.errors import OPMLError
from tidings.core.models import OPMLDocument, Outline
from tidings.core.opml import feed_outline, flatten, folder_outline, parse_opml, write_opml

DATA = Path(__file__).parent.parent / "data" / "opml"
EXPORTS = [
    "netnewswire.opml",
    "feedly.opml",
    "inoreader.opml",
    "rssguard.opml",
    "liferea.opml",
    "thunderbird.opml",
    "misc.opml",
    "latin1.opml",
]


def read(name: str) -> bytes:
    return (DATA / name).read_bytes()


def canonical(data: bytes) -> tuple[Any, ...]:
    """Element names, attributes (namespace URIs included, in order) and non-blank text, as a tree."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, remove_comments=True)
    return _tree(etree.fromstring(data, parser))


def _tree(element: Any) -> tuple[Any, ...]:
    text = element.text if element.text and element.text.strip() else ""
    children = tuple(_tree(c) for c in element if isinstance(c.tag, str))
    return (element.tag, tuple(element.attrib.items()), text, children)


def feeds(doc: OPMLDocument) -> list[tuple[str | None, str, str | None]]:
    return [(folder, o.text, o.xml_url) for folder, o in flatten(doc)]


# Round trips


@pytest.mark.parametrize("name", EXPORTS)
def test_round_trip_is_exact(name: str) -> None:
    original = read(name)
    doc = parse_opml(original)
    written = write_opml(doc)
    assert parse_opml(written) == doc
    assert canonical(written) == canonical(original)


@pytest.mark.parametrize("name", ["rssguard.opml", "thunderbird.opml"])
def test_namespace_declarations_are_kept_on_the_root(name: str) -> None:
    original = etree.fromstring(read(name))
    written = etree.fromstring(write_opml(parse_opml(read(name))))
    assert written.nsmap == original.nsmap


def test_written_file_is_indented_utf8_with_a_declaration() -> None:
    written = write_opml(parse_opml(read("latin1.opml")))
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="1.0">\n  <head>\n')
    assert "Abonnements de Renée".encode() in written
    assert b"\n    <outline " in written


# What each export holds


def test_netnewswire_nested_folders_are_joined() -> None:
    doc = parse_opml(read("netnewswire.opml"))
    assert (doc.title, doc.version) == ("Subscriptions-OnMyMac.opml", "1.1")
    assert feeds(doc) == [
        (None, "Daring Fireball", "https://daringfireball.net/feeds/main"),
        ("Tech", "Six Colors", "https://feedpress.me/sixcolors?type=xml&lang=en"),
        ("Tech / Apple", "Apple Newsroom — Actualités", "https://www.apple.com/fr/newsroom/rss-feed.rss"),
        ("Tech / Apple", "Swift.org", "https://www.swift.org/atom.xml"),
        ("Ελληνικά", "Καθημερινή", "https://www.kathimerini.gr/feed/?cat=news&type=rss2"),
    ]
    tech = doc.outlines[1]
    assert tech.xml_url is None and tech.children[1].text == "Apple"  # the tree keeps the nesting


def test_netnewswire_attributes_are_kept_in_order() -> None:
    fireball = parse_opml(read("netnewswire.opml")).outlines[0]
    assert [name for name, _ in fireball.attrs] == [
        "text",
        "title",
        "description",
        "type",
        "version",
        "htmlUrl",
        "xmlUrl",
    ]
    assert dict(fireball.attrs)["description"] == ""


def test_feedly_categories() -> None:
    doc = parse_opml(read("feedly.opml"))
    assert doc.title == "Jane subscriptions in feedly Cloud"
    assert [(f, t) for f, t, _ in feeds(doc)] == [
        ("Tech", "The Verge"),
        ("Tech", "Ars Technica"),
        ("Cuisine & vins", "Chocolate & Zucchini"),
        ("Cuisine & vins", "日本の料理ブログ"),
        (None, "xkcd.com"),
    ]
    assert feeds(doc)[2][2] == "https://cnz.to/feed/?lang=fr&format=rss"


def test_inoreader_extra_attributes() -> None:
    doc = parse_opml(read("inoreader.opml"))
    bbc = dict(doc.outlines[0].children[0].attrs)
    assert (
        bbc["rssfr-favicon"]
        == "https://www.inoreader.com/fetch_favicon?url=https%3A%2F%2Fwww.bbc.co.uk&size=32"
    )
    assert bbc["rssfr-customTitle"] == ""
    assert feeds(doc)[-1] == (
        None,
        "Hacker News: Front Page",
        "https://hnrss.org/frontpage?points=100&comments=25",
    )


def test_rssguard_namespaced_attributes() -> None:
    doc = parse_opml(read("rssguard.opml"))
    linux = doc.outlines[0]
    assert linux.attrs[0] == ("xmlns:rssguard", "https://github.com/martinrotter/rssguard")
    assert dict(linux.attrs)["rssguard:icon"].startswith("iVBORw0KGgo")
    assert feeds(doc) == [
        ("Linux", "LWN.net", "https://lwn.net/headlines/rss"),
        ("Linux", "Phoronix", "https://www.phoronix.com/rss.php?tag=linux&page=1"),
        ("Linux / Čeština", "Root.cz – články", "https://www.root.cz/rss/clanky/"),
        (None, "JSON Feed", "https://www.jsonfeed.org/feed.json"),
    ]


def test_liferea_search_folders_hold_no_feeds() -> None:
    doc = parse_opml(read("liferea.opml"))
    unread = doc.outlines[1]
    assert unread.text == "Unread" and unread.children[0].text == ""  # kept in the tree...
    assert [f for f, _, _ in feeds(doc)] == ["Example Feeds", "Example Feeds", "Blogs français", None]


def test_thunderbird_fz_attributes_and_escaped_json() -> None:
    doc = parse_opml(read("thunderbird.opml"))
    blog = doc.outlines[0].children[0]
    attrs = dict(blog.attrs)
    assert blog.attrs[0] == ("xmlns:fz", "urn:forumzilla:")
    assert attrs["fz:quickMode"] == "false"
    assert attrs["fz:options"].startswith('{"version":2,"updates":{"enabled":true,')
    assert doc.title == "Thunderbird OPML Export - Blogs & News Feeds"
    assert feeds(doc)[-1] == (None, "Русская служба Би-би-си", "https://feeds.bbci.co.uk/russian/rss.xml")


def test_misc_head_and_corner_cases() -> None:
    doc = parse_opml(read("misc.opml"))
    assert doc.title == "mySubscriptions.opml"
    assert [name for name, _ in doc.head] == [
        "title",
        "dateCreated",
        "dateModified",
        "ownerName",
        "ownerEmail",
        "expansionState",
        "vertScrollState",
        "docs",
    ]
    assert doc.head[0] == ("title", "  mySubscriptions.opml  ")
    assert dict(doc.head)["ownerName"] == "Zoë Ångström"
    assert feeds(doc) == [
        (None, 'Single quotes "inside"', "https://example.com/lower.xml"),
        (None, "Only a title", "https://example.com/upper.xml?a=1&b=<2>"),
        (None, "Title fallback", "https://example.com/spaced.xml"),
        ("Level 1 / Level 2 / Level 3", "Deep feed", "https://example.com/deep.xml"),
        (None, "A feed with children", "https://example.com/parent.xml"),
        (None, "Child feed", "https://example.com/child.xml"),
        (None, "Emoji 📰 & <friends>", "https://example.com/emoji.xml"),
    ]


def test_misc_keeps_exact_attribute_values() -> None:
    doc = parse_opml(read("misc.opml"))
    spaced = doc.outlines[2]
    assert dict(spaced.attrs)["xmlUrl"] == "  https://example.com/spaced.xml  "
    deep = doc.outlines[5].children[0].children[0].children[0]
    assert ("xml:lang", "de") in deep.attrs
    assert dict(deep.attrs)["description"] == "Line one\nline two\ttabbed <b>bold</b>"
    separator, link = doc.outlines[3], doc.outlines[4]
    assert (separator.text, separator.xml_url, separator.children) == ("Separator", None, ())
    assert (link.text, link.attrs) == ("", (("type", "link"), ("url", "https://example.com/just-a-link")))


def test_default_namespace_and_namespaced_head_elements() -> None:
    data = (
        b'<opml xmlns="http://example.org/opml" xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">'
        b"<head><title>T</title><dc:creator>me</dc:creator></head>"
        b'<body><outline text="a" xmlUrl="https://a/"/></body></opml>'
    )
    doc = parse_opml(data)
    assert doc.title == "T"
    assert doc.head == (
        ("xmlns:dc", "http://purl.org/dc/elements/1.1/"),
        ("title", "T"),
        ("dc:creator", "me"),
    )
    assert feeds(doc) == [(None, "a", "https://a/")]
    written = write_opml(doc)
    assert etree.fromstring(written)[0][1].tag == "{http://purl.org/dc/elements/1.1/}creator"
    assert parse_opml(written) == doc


def test_latin1_file_is_decoded() -> None:
    doc = parse_opml(read("latin1.opml"))
    assert doc.title == "Abonnements de Renée"
    assert feeds(doc) == [
        ("Français", "Le Dévoir à l’école", "https://www.ledevoir.com/rss/manchettes.xml?a=1&b=2"),
    ]


# Broken files readers write


def test_broken_file_is_read_with_urls_intact() -> None:
    doc = parse_opml(read("broken.opml"))
    assert doc.title == "Exported by a careless reader — café"
    assert feeds(doc) == [
        (
            "News & Views",
            "Le Monde\u00a0International",
            "https://www.lemonde.fr/rss/une.xml?a=1&b=2",
        ),
        ("News & Views", "AT&T Tech", "https://about.att.com/feed?cat=tech&lang=en"),
        (None, "Unknown &foo; entity", "https://example.com/feed"),
    ]
    assert dict(doc.outlines[0].children[0].attrs)["htmlUrl"] == "https://www.lemonde.fr/?x=1&y=2"


def test_broken_file_is_written_as_valid_xml() -> None:
    doc = parse_opml(read("broken.opml"))
    written = write_opml(doc)
    etree.fromstring(written)  # strict: raises if the output were not well-formed
    assert parse_opml(written) == doc


def test_unclosed_document_is_recovered() -> None:
    data = b'<opml version="2.0"><head><title>Cut</title></head><body><outline text="A" xmlUrl="https://a/"'
    assert feeds(parse_opml(data)) == [(None, "A", "https://a/")]


# Hostile and wrong files


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<opml version="2.0"><head><title>&xxe;</title></head><body/></opml>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<opml version="2.0"><head><title>&lol3;</title></head><body><outline text="&lol3;"/></body></opml>"""

PARAMETER = b"""<?xml version="1.0"?>
<!DOCTYPE opml [<!ENTITY % remote SYSTEM "file:///etc/passwd"> %remote;]>
<opml version="2.0"><head><title>t</title></head><body/></opml>"""

INTERNAL_IN_BROKEN = b"""<!DOCTYPE opml [<!ENTITY e "x">]>
<opml version="2.0"><body><outline text="&e;" xmlUrl="https://a/?a=1&b=2"/></body></opml>"""


@pytest.mark.parametrize(
    "data",
    [XXE, LAUGHS, PARAMETER, INTERNAL_IN_BROKEN],
    ids=["xxe", "billion-laughs", "parameter-entity", "internal-in-broken"],
)
def test_entity_declarations_are_refused(data: bytes) -> None:
    with pytest.raises(OPMLError, match="declares XML entities"):
        parse_opml(data)


def test_external_dtd_is_never_read(tmp_path: Path) -> None:
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY secret "LEAKED">\n<!ATTLIST outline xmlUrl CDATA "https://evil.example/">\n')
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "{dtd.as_uri()}">\n'
        '<opml version="2.0"><head><title>t &secret;</title></head>'
        '<body><outline text="&secret;"/><outline text="plain"/></body></opml>'
    ).encode()
    doc = parse_opml(data)
    assert "LEAKED" not in repr(doc) and b"LEAKED" not in write_opml(doc)
    assert all(o.xml_url is None for o in doc.outlines)  # no attribute defaults from the DTD either


def test_xinclude_is_never_processed(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("LEAKED")
    data = (
        '<opml version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude"><head><title>t</title></head><body>'
        f'<xi:include href="{secret}" parse="text"/><outline text="a">'
        f'<xi:include href="{secret.as_uri()}" parse="text"/></outline></body></opml>'
    ).encode()
    doc = parse_opml(data)
    assert "LEAKED" not in repr(doc) and b"LEAKED" not in write_opml(doc)
    assert [o.text for o in doc.outlines] == ["a"]


def test_nothing_is_fetched(server: LoopbackServer) -> None:
    server.serve("/evil.dtd", b'<!ENTITY secret "LEAKED">', "application/xml-dtd")
    server.serve("/include.xml", b"<outline text='LEAKED'/>")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "{server.url("/evil.dtd")}">\n'
        '<opml version="2.0" xmlns:xi="http://www.w3.org/2001/XInclude">'
        "<head><title>&secret;</title></head><body>"
        f'<xi:include href="{server.url("/include.xml")}"/>'
        f'<outline text="&secret;" xmlUrl="{server.url("/feed.xml")}"/></body></opml>'
    ).encode()
    doc = parse_opml(data)
    write_opml(doc)
    flatten(doc)
    assert server.log == []
    assert "LEAKED" not in repr(doc)


NOT_OPML = [
    b"<html><head><title>Hi</title></head><body><p>A page</p></body></html>",
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>A feed</title></channel></rss>',
    b'<opml version="2.0"><head><title>No body</title></head></opml>',
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "JSON"}',
    b"\x00\x01\x02 binary \xff\xfe garbage",
    b"just some text",
]


@pytest.mark.parametrize("data", NOT_OPML, ids=["html", "rss", "no-body", "json", "binary", "text"])
def test_other_files_are_refused_in_words(data: bytes) -> None:
    with pytest.raises(OPMLError) as raised:
        parse_opml(data)
    assert str(raised.value) == opml.NOT_OPML


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_empty_file_is_refused_in_words(data: bytes) -> None:
    with pytest.raises(OPMLError, match="empty"):
        parse_opml(data)


def test_too_large_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(opml, "MAX_OPML_BYTES", 100)
    with pytest.raises(OPMLError, match="too large"):
        parse_opml(read("feedly.opml"))


def test_deep_nesting_does_not_crash() -> None:
    data = (
        b'<opml version="2.0"><body>'
        + b'<outline text="x">' * 5000
        + b"</outline>" * 5000
        + b"</body></opml>"
    )
    try:
        doc = parse_opml(data)
    except OPMLError:
        return
    write_opml(doc)
    assert flatten(doc) == []


# Writing Tidings' own export


def test_feed_outline_attributes() -> None:
    outline = feed_outline("Zoë & co", "https://a.example/feed?x=1&y=2", "https://a.example/")
    assert outline.attrs == (
        ("type", "rss"),
        ("text", "Zoë & co"),
        ("title", "Zoë & co"),
        ("xmlUrl", "https://a.example/feed?x=1&y=2"),
        ("htmlUrl", "https://a.example/"),
    )
    assert (outline.text, outline.xml_url) == ("Zoë & co", "https://a.example/feed?x=1&y=2")
    assert "htmlUrl" not in dict(feed_outline("t", "https://a/").attrs)


def test_tidings_export() -> None:
    doc = OPMLDocument(
        "Tidings subscriptions",
        (
            folder_outline(
                "Tech", (feed_outline("LWN", "https://lwn.net/headlines/rss", "https://lwn.net/"),)
            ),
            feed_outline("xkcd", "https://xkcd.com/rss.xml"),
        ),
    )
    written = write_opml(doc)
    assert b'<opml version="2.0">' in written
    assert b"<title>Tidings subscriptions</title>" in written
    back = parse_opml(written)
    assert back.title == "Tidings subscriptions" and back.head == (("title", "Tidings subscriptions"),)
    assert back.outlines == doc.outlines
    assert feeds(back) == [
        ("Tech", "LWN", "https://lwn.net/headlines/rss"),
        (None, "xkcd", "https://xkcd.com/rss.xml"),
    ]


def test_outlines_built_without_attrs_are_written() -> None:
    doc = OPMLDocument("t", (Outline("Folder", None, (), (Outline("Feed", "https://a/feed"),)),))
    folder = parse_opml(write_opml(doc)).outlines[0]
    assert folder.attrs == (("text", "Folder"),)
    assert folder.children[0].attrs == (("text", "Feed"), ("xmlUrl", "https://a/feed"))


def test_changed_text_and_address_are_written() -> None:
    doc = parse_opml(read("netnewswire.opml"))
    fireball = doc.outlines[0]
    renamed = dataclasses.replace(fireball, text="DF", xml_url="https://df.example/rss")
    unfed = dataclasses.replace(doc.outlines[2].children[0], xml_url=None)
    doc = dataclasses.replace(doc, title="Renamed", outlines=(renamed, doc.outlines[1], unfed))
    back = parse_opml(write_opml(doc))
    assert back.title == "Renamed" and back.head == (("title", "Renamed"),)
    assert dict(back.outlines[0].attrs)["text"] == "DF"
    assert dict(back.outlines[0].attrs)["title"] == "Daring Fireball"  # the rest as it was
    assert back.outlines[0].xml_url == "https://df.example/rss"
    assert back.outlines[2].xml_url is None and "xmlUrl" not in dict(back.outlines[2].attrs)


def test_an_imported_outline_keeps_its_namespace_in_a_new_document() -> None:
    blog = parse_opml(read("thunderbird.opml")).outlines[0].children[0]
    written = write_opml(OPMLDocument("Tidings subscriptions", (blog,)))
    element = etree.fromstring(written)[1][0]
    assert element.get("{urn:forumzilla:}quickMode") == "false"
    assert parse_opml(written).outlines == (blog,)


def test_conflicting_prefixes_keep_their_own_namespace() -> None:
    first = Outline("a", None, (("xmlns:x", "urn:one"), ("text", "a"), ("x:k", "1")))
    second = Outline("b", None, (("xmlns:x", "urn:two"), ("text", "b"), ("x:k", "2")))
    written = write_opml(OPMLDocument("t", (first, second)))
    body = etree.fromstring(written)[1]
    assert body[0].get("{urn:one}k") == "1" and body[1].get("{urn:two}k") == "2"
    assert parse_opml(written).outlines == (first, second)


def test_undeclared_prefix_is_dropped_not_fatal() -> None:
    data = b'<opml version="2.0"><body><outline text="a" foo:bar="1" xmlUrl="https://a/"/></body></opml>'
    doc = parse_opml(data)  # not namespace-well-formed: read by the recovering parser
    assert ("foo:bar", "1") in doc.outlines[0].attrs
    back = parse_opml(write_opml(doc))
    assert back.outlines[0].attrs == (("text", "a"), ("xmlUrl", "https://a/"))


def test_special_and_illegal_characters_are_written_safely() -> None:
    outline = feed_outline("<b> & \"q\" 'a'\x00\x0b\ufffe", "https://a/?x=1&y=<2>")
    back = parse_opml(write_opml(OPMLDocument("t\x01 & <t>", (outline,))))
    assert back.outlines[0].text == "<b> & \"q\" 'a'"
    assert back.outlines[0].xml_url == "https://a/?x=1&y=<2>"
    assert back.title == "t & <t>"


def test_flatten_skips_empty_outlines_and_nameless_folders() -> None:
    feed = feed_outline("f", "https://a/f")
    doc = OPMLDocument(
        "t",
        (
            Outline("empty"),
            folder_outline("", (feed,)),
            folder_outline("A", (folder_outline("", (feed,)), Outline("x"))),
        ),
    )
    assert [(folder, o.text) for folder, o in flatten(doc)] == [(None, "f"), ("A", "f")]


# Property: any tree of folders and feeds survives a write and a read


_TEXT = st.text(
    st.characters(exclude_categories=("Cc", "Cs", "Cn"), include_characters="<>&\"'"),
    max_size=20,
)
_FEEDS = st.builds(feed_outline, _TEXT, _TEXT, st.none() | _TEXT)
_TREES = st.recursive(
    _FEEDS,
    lambda children: st.builds(folder_outline, _TEXT, st.lists(children, max_size=4).map(tuple)),
    max_leaves=25,
)
_HEAD_EXTRA = st.lists(st.tuples(st.sampled_from(["dateCreated", "ownerName", "docs"]), _TEXT), max_size=3)


@st.composite
def documents(draw: st.DrawFn) -> OPMLDocument:
    title = draw(_TEXT)
    return OPMLDocument(
        title=title.strip(),
        outlines=tuple(draw(st.lists(_TREES, max_size=5))),
        head=(("title", title), *draw(_HEAD_EXTRA)),
        version=draw(st.sampled_from(["1.0", "1.1", "2.0"])),
    )


@settings(max_examples=200, deadline=None)
@given(documents())
def test_any_document_round_trips(doc: OPMLDocument) -> None:
    assert parse_opml(write_opml(doc)) == doc
