"""Autodiscovery: sniffing responses, reading feed links from pages, the usual places to probe."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tidings.core import discover
from tidings.core.discover import candidate_paths, discover_links, looks_like_feed
from tidings.core.models import FeedLink

PAGES = Path(__file__).parent.parent / "data" / "pages"


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def urls(links: list[FeedLink]) -> list[str]:
    return [link.url for link in links]


# looks_like_feed

RSS = b'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title></channel></rss>'
PROLOGUE_RSS = (
    codecs.BOM_UTF8
    + b'<?xml version="1.0"?>\n<!-- generated -->\n<?xml-stylesheet type="text/xsl" href="/rss.xsl"?>\n'
    + b'<!DOCTYPE rss PUBLIC "-//Netscape//DTD RSS 0.91//EN" "http://example.com/rss-0.91.dtd"'
    + b" [ <!ELEMENT x ANY> ]>"
    + b'\n<rss version="0.91"><channel/></rss>'
)
ATOM = b'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title></feed>'
PREFIXED_ATOM = b'<atom:feed xmlns:atom="http://www.w3.org/2005/Atom"><atom:title>t</atom:title></atom:feed>'
RDF = b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"></rdf:RDF>'
JSON_FEED = (
    b'{\n  "version": "https://jsonfeed.org/version/1.1",\n  "title": "My Example Feed",\n  "items": []\n}'
)
PHP_JSON_FEED = b'{"version":"https:\\/\\/jsonfeed.org\\/version\\/1","title":"Escaped slashes","items":[]}'
UTF16_RSS = '\ufeff<?xml version="1.0" encoding="UTF-16"?><rss version="2.0"/>'.encode("utf-16-le")
HTML = (
    b"<!DOCTYPE html>\n"
    b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head></html>'
)
XHTML = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">\n'
    b'<html xmlns="http://www.w3.org/1999/xhtml"><head><title>rss feed atom</title></head></html>'
)
LONG_COMMENT_RSS = b"<!-- " + b"x" * 20_000 + b" -->\n<rss version='2.0'/>"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (RSS, "application/rss+xml"),
        (RSS, "text/xml; charset=utf-8"),
        (RSS, "text/html"),  # misconfigured servers: the body decides
        (RSS, None),
        (PROLOGUE_RSS, "application/xml"),
        (ATOM, "application/atom+xml"),
        (ATOM, "application/xml"),
        (PREFIXED_ATOM, "text/xml"),
        (RDF, "application/rdf+xml"),
        (JSON_FEED, "application/feed+json"),
        (JSON_FEED, "application/json"),
        (PHP_JSON_FEED, "text/plain"),
        (UTF16_RSS, "application/xml"),
        (LONG_COMMENT_RSS, "application/rss+xml; charset=utf-8"),  # past the sniff window: the type decides
    ],
)
def test_feeds_are_recognised(body: bytes, content_type: str | None) -> None:
    assert looks_like_feed(body, content_type)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (HTML, "text/html; charset=utf-8"),
        (HTML, "application/rss+xml"),  # a page is a page, whatever the header says
        (XHTML, "application/xhtml+xml"),
        (XHTML, "text/xml"),
        (b'{"version": "1.0", "title": "Some JSON API"}', "application/json"),
        (b"<sitemapindex><sitemap/></sitemapindex>", "application/xml"),
        (b"User-agent: *\nDisallow:", "text/plain"),
        (b"", None),
        (LONG_COMMENT_RSS, "text/plain"),
        (b"<!DOCTYPE [" + b"[]" * 5000, "application/xml"),  # hostile prologue: no backtracking blowup
    ],
)
def test_pages_and_other_files_are_not_feeds(body: bytes, content_type: str | None) -> None:
    assert not looks_like_feed(body, content_type)


# discover_links: link tags


def test_wordpress_page_gives_feed_then_comment_feeds() -> None:
    links = discover_links(page("wordpress.html"), "https://blog.example.com/2024/01/15/hello-world/")
    assert links == [
        FeedLink("https://blog.example.com/feed/", "Example Blog » Feed", "application/rss+xml"),
        FeedLink(
            "https://blog.example.com/comments/feed/", "Example Blog » Comments Feed", "application/rss+xml"
        ),
        FeedLink(
            "https://blog.example.com/2024/01/15/hello-world/feed/",
            "Example Blog » Hello world! Comments Feed",
            "application/rss+xml",
        ),
    ]  # no REST API (wp-json), no oEmbed, no RSD


def test_comment_feeds_come_after_the_others() -> None:
    html = """<head>
    <link rel="alternate" type="application/rss+xml" title="Comments" href="/c1">
    <link rel="alternate" type="application/rss+xml" title="Posts" href="/posts">
    <link rel="alternate" type="application/atom+xml" title="Thread" href="/comments/atom">
    <link rel="alternate" type="application/atom+xml" title="Atom" href="/atom"></head>"""
    assert urls(discover_links(html, "https://a.example/")) == [
        "https://a.example/posts",
        "https://a.example/atom",
        "https://a.example/c1",
        "https://a.example/comments/atom",
    ]


def test_rss_atom_and_json_feeds() -> None:
    links = discover_links(page("multi.html"), "https://notes.example.org/posts/")
    assert links == [
        FeedLink("https://notes.example.org/posts/index.rss", "Zoë’s notes (RSS)", "application/rss+xml"),
        FeedLink("https://notes.example.org/posts/atom.xml", "Zoë’s notes (Atom)", "application/atom+xml"),
        FeedLink("https://notes.example.org/posts/feed.json", "Zoë’s notes (JSON)", "application/feed+json"),
        FeedLink("https://notes.example.org/index.rdf", "RDF", "application/rdf+xml"),
        FeedLink("https://notes.example.org/everything.xml", "All of it", ""),
    ]  # case-insensitive rel/type, duplicate dropped, text/html and javascript: left out


def test_base_href_is_used_and_other_schemes_rejected() -> None:
    links = discover_links(page("base.html"), "https://example.com/page/x.html")
    assert urls(links) == [
        "https://cdn.example.net/blog/feed.xml",
        "https://cdn.example.net/atom.xml",
        "https://other.example.org/rss",
    ]  # the second <base> is ignored; data:, feed:, empty and javascript: hrefs are dropped


def test_relative_hrefs_resolve_against_the_page() -> None:
    links = discover_links(page("relative.html"), "https://example.com/blog/post/")
    assert urls(links) == [
        "https://example.com/feed.xml",
        "https://example.com/blog/post/atom/",
        "https://example.com/blog/post/?feed=rss2",
        "https://example.com/index.xml",
    ]
    assert [link.type for link in links] == [
        "application/rss+xml",
        "application/atom+xml",
        "text/xml",
        "application/xml",
    ]


@pytest.mark.parametrize("base", ["javascript:alert(1)", "data:text/html,x", "  "])
def test_unusable_base_href_falls_back_to_the_page(base: str) -> None:
    html = f'<head><base href="{base}"><link rel="alternate" type="application/rss+xml" href="feed"></head>'
    assert urls(discover_links(html, "https://a.example/dir/page")) == ["https://a.example/dir/feed"]


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        " JAVASCRIPT:alert(1)",
        "java\nscript:alert(1)",
        "vbscript:x",
        "data:,x",
        "ftp://a/",
    ],
)
def test_script_and_other_scheme_hrefs_are_rejected(href: str) -> None:
    html = f'<link rel="alternate" type="application/rss+xml" href="{href}"><a href="{href}">RSS</a>'
    assert discover_links(html, "https://a.example/") == []


# discover_links: <a> fallback


def test_anchor_fallback_when_no_link_tags() -> None:
    links = discover_links(page("anchors.html"), "https://example.com/")
    assert links == [
        FeedLink("https://example.com/feed", "Subscribe"),
        FeedLink("https://www.example.com/feed", "Subscribe again (same feed via www)"),
        FeedLink("https://example.com/subscribe", "Atom"),
        FeedLink("https://example.com/podcast.rss", "Podcast"),
        FeedLink("https://blog.example.com/posts/comments.xml", "Comment feed"),
    ]  # other sites, sitemaps, javascript: and mailto: left out; comment feeds last


def test_only_an_anchor_to_feed() -> None:
    html = b"<html><body><p>Posts.</p><a href='/feed'>Subscribe</a></body></html>"
    assert discover_links(html, "https://example.com/blog/") == [
        FeedLink("https://example.com/feed", "Subscribe")
    ]


def test_anchors_are_ignored_when_link_tags_exist() -> None:
    html = '<link rel="alternate" type="application/atom+xml" href="/atom.xml"><a href="/rss.xml">RSS</a>'
    assert urls(discover_links(html, "https://example.com/")) == ["https://example.com/atom.xml"]


def test_anchor_fallback_gives_at_most_ten() -> None:
    html = "".join(f'<a href="/feeds/{i}.xml">Feed {i}</a>' for i in range(30))
    links = discover_links(html, "https://example.com/")
    assert urls(links) == [f"https://example.com/feeds/{i}.xml" for i in range(10)]


def test_page_without_feeds() -> None:
    assert discover_links(page("none.html"), "https://example.com/") == []


# discover_links: encodings and hostile input


def test_utf8_page_without_declared_charset() -> None:
    html = '<link rel="alternate" type="application/rss+xml" title="Café — news" href="/f">'.encode()
    assert discover_links(html, "https://a.example/")[0].title == "Café — news"


def test_windows_1252_page_with_meta_charset() -> None:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        '<link rel="alternate" type="application/rss+xml" title="Café “news”" href="/f">'
    ).encode("cp1252")
    assert discover_links(html, "https://a.example/")[0].title == "Café “news”"


def test_latin1_page_without_charset_does_not_fail() -> None:
    html = '<link rel="alternate" type="application/rss+xml" title="Café" href="/f">'.encode("latin-1")
    assert discover_links(html, "https://a.example/")[0].title == "Café"


def test_text_with_an_xml_declaration() -> None:
    xhtml = XHTML.decode().replace(
        "</head>", '<link rel="alternate" type="application/atom+xml" href="/a"/></head>'
    )
    assert urls(discover_links(xhtml, "https://a.example/")) == ["https://a.example/a"]


@pytest.mark.parametrize("charset", ["rot13", "base64", "no-such-charset", "utf-16"])
def test_bogus_meta_charset(charset: str) -> None:
    html = f'<meta charset="{charset}"><link rel="alternate" type="application/rss+xml" href="/f">'.encode()
    assert urls(discover_links(html, "https://a.example/")) == ["https://a.example/f"]


def test_deep_nesting_does_not_raise() -> None:
    head = b'<html><head><link rel="alternate" type="application/rss+xml" href="/feed"></head><body>'
    html = head + b"<div>" * 100_000 + b"</div>" * 100_000 + b"</body></html>"
    assert urls(discover_links(html, "https://a.example/")) == ["https://a.example/feed"]


def test_input_is_capped() -> None:
    link = b'<link rel="alternate" type="application/rss+xml" href="/%s">'
    filler = b"<p>" + b"x" * discover.MAX_PAGE_BYTES + b"</p>"
    html = b"<html><head>" + link % b"early" + b"</head><body>" + filler + link % b"late" + b"</body></html>"
    assert urls(discover_links(html, "https://a.example/")) == ["https://a.example/early"]


@pytest.mark.parametrize(
    "html",
    [
        b"",
        "",
        b"   ",
        b"\x00\xff\xfe\x00garbage",
        b"<",
        b"<html",
        b"<link rel=alternate type=application/rss+xml href=/unclosed",
        "<a href='http://[::1'>RSS</a><link rel=alternate type=application/rss+xml href='https://[bad'>",
        "\ud800 lone surrogate <a href='/rss'>RSS</a>",
    ],
)
def test_broken_input_does_not_raise(html: bytes | str) -> None:
    assert isinstance(discover_links(html, "https://a.example/"), list)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000) | st.text(max_size=2000))
def test_any_input_gives_web_links_only(html: bytes | str) -> None:
    for link in discover_links(html, "https://a.example/"):
        assert link.url.startswith(("http://", "https://"))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.text(max_size=50))
def test_any_href_gives_web_links_only(href: str, base: str) -> None:
    html = f'<base href="{base}"><link rel="alternate" type="application/rss+xml" href="{href}">'
    for link in discover_links(html, "https://a.example/"):
        assert link.url.startswith(("http://", "https://"))


# candidate_paths


ROOT_PROBES = [
    "https://example.com/feed",
    "https://example.com/feed/",
    "https://example.com/rss",
    "https://example.com/rss.xml",
    "https://example.com/atom.xml",
    "https://example.com/feed.xml",
    "https://example.com/index.xml",
    "https://example.com/feed.json",
    "https://example.com/?feed=rss2",
]


@pytest.mark.parametrize(
    "page_url",
    [
        "https://example.com",
        "https://example.com/",
        "https://example.com/?p=1#top",
        "https://example.com/index.html",
    ],
)
def test_site_root_probes(page_url: str) -> None:
    assert candidate_paths(page_url) == ROOT_PROBES


@pytest.mark.parametrize(
    "page_url",
    ["https://example.com/blog", "https://example.com/blog/", "https://example.com/blog/index.html?x=1"],
)
def test_page_path_probes_come_first(page_url: str) -> None:
    blog = [url.replace("example.com/", "example.com/blog/") for url in ROOT_PROBES]
    assert candidate_paths(page_url) == blog + ROOT_PROBES


def test_the_page_itself_is_not_a_candidate() -> None:
    candidates = candidate_paths("https://example.com/feed")
    assert "https://example.com/feed" not in candidates
    assert candidates[0] == "https://example.com/feed/feed"
    assert "https://example.com/rss.xml" in candidates
    assert "https://Example.COM/rss.xml" not in candidate_paths("https://Example.COM/rss.xml")


def test_port_and_scheme_are_kept() -> None:
    assert candidate_paths("HTTP://127.0.0.1:8080/")[0] == "http://127.0.0.1:8080/feed"


@pytest.mark.parametrize(
    "page_url", ["", "example.com", "ftp://example.com/", "javascript:alert(1)", "http://[::1"]
)
def test_no_candidates_for_non_web_addresses(page_url: str) -> None:
    assert candidate_paths(page_url) == []
