"""The sanitizer: nh3 allowlist, absolute URLs only, and the structure pass (depth, tables, tracking images)."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tidings.core.htmlshape import MAX_DEPTH, max_depth, max_table_depth
from tidings.core.sanitize import (
    MAX_HTML,
    absolute_url,
    clean_line,
    html_to_text,
    plain_text,
    sanitize_html,
    search_text,
)

BASE = "https://example.com/news/story.html"
BUDGET = 5.0  # seconds; measured well under a second on a 2-core machine (see benchmarks)
_TAG = re.compile(r'</?([a-z][a-z0-9]*)((?:[^>"]|"[^"]*")*)>')
_ATTRIBUTE = re.compile(r'\s([^\s="/>]+)(?:="([^"]*)")?')
_GOOD_URL = re.compile(r"(?:https?://[^/\s]+|mailto:\S)", re.I)
_FORBIDDEN_TAGS = {
    "script",
    "style",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "form",
    "input",
    "button",
    "textarea",
    "select",
    "link",
    "meta",
    "base",
    "noscript",
    "template",
}


def assert_safe(out: str) -> None:
    """Every `<` in the output starts a tag (text is escaped); no tag or attribute outside the allowlist."""
    assert "<script" not in out.lower()
    assert "<" not in _TAG.sub("", out)
    for name, attributes in _TAG.findall(out):
        assert name not in _FORBIDDEN_TAGS
        for attribute, value in _ATTRIBUTE.findall(attributes):
            assert not attribute.lower().startswith("on"), attribute
            assert attribute not in {"style", "class", "id", "xlink:href", "background", "srcset", "action"}
            if attribute in {"href", "src"}:
                assert _GOOD_URL.match(value), value


# --- the allowlist -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>Hi <b>there</b></p>", "<p>Hi <b>there</b></p>"),
        ("<script>alert(1)</script><p>x</p>", "<p>x</p>"),
        ("<style>p{}</style><p>x</p>", "<p>x</p>"),
        ('<iframe src="https://evil.example/"></iframe>x', "x"),
        ('<object data="x.swf"></object><embed src="x.swf">x', "x"),
        ('<svg><a xlink:href="javascript:alert(1)">s</a></svg>x', "x"),
        ("<math><mi>m</mi></math>x", "x"),
        (
            '<form action="https://e/"><input name=a><button>b</button><textarea>t</textarea>'
            "<select><option>o</option></select></form>x",
            "btox",
        ),
        ('<p onclick="alert(1)" onmouseover=x style="color:red" class="k" id="i">p</p>', "<p>p</p>"),
        ('<link rel="stylesheet" href="https://e/x.css"><p>t</p>', "<p>t</p>"),
        (
            '<table background="https://e/bg.png"><tr><td>c</td></tr></table>',
            "<table><tbody><tr><td>c</td></tr></tbody></table>",
        ),
        ("<p>a<!-- secret -->b</p>", "<p>ab</p>"),
        ('<base href="https://evil.example/"><meta http-equiv="refresh" content="0;url=x">x', "x"),
    ],
)
def test_only_allowlisted_markup_survives(dirty: str, clean: str) -> None:
    assert sanitize_html(dirty, BASE) == clean


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        # mXSS-style vectors: nothing executable comes out, and cleaning is stable
        # noscript is raw text (as in a browser with scripting on), so the img is real, minus its handler
        (
            '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
            '<img src="https://example.com/news/x">"&gt;',
        ),
        # </p> breaks out of svg (foreign content), as in a browser; the img loses its handler
        (
            '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
            '<p></p><img src="https://example.com/news/1">"&gt;',
        ),
        ("<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>", ""),
        ('<a href="jav&#x09;ascript:alert(1)">j</a>', '<a rel="noopener noreferrer">j</a>'),
        ('<a href="&#106;avascript:alert(1)">j</a>', '<a rel="noopener noreferrer">j</a>'),
        ('<a href=" JaVaScRiPt:alert(1)">j</a>', '<a rel="noopener noreferrer">j</a>'),
        ('<a href="java\nscript:alert(1)">j</a>', '<a rel="noopener noreferrer">j</a>'),
        ('<a href="vbscript:msgbox(1)">v</a>', '<a rel="noopener noreferrer">v</a>'),
        ('<a href="data:text/html,<script>alert(1)</script>">d</a>', '<a rel="noopener noreferrer">d</a>'),
        ('<a href="file:///">f</a>', '<a rel="noopener noreferrer">f</a>'),
        ('<img src="file:///etc/passwd" alt="passwd">', "passwd"),
        ('<img src="data:image/png;base64,AAAA" alt="inline">', "inline"),
    ],
)
def test_hostile_urls_and_mxss(dirty: str, clean: str) -> None:
    out = sanitize_html(dirty, BASE)
    assert out == clean
    assert_safe(out)
    assert sanitize_html(out, BASE) == out


def test_relative_urls_are_resolved_against_the_base() -> None:
    out = sanitize_html(
        '<a href="/dev/zero">a</a><img src="//cdn.example.org/i.png"><a href="b.html">b</a>', BASE
    )
    assert out == (
        '<a href="https://example.com/dev/zero" rel="noopener noreferrer">a</a>'
        '<img src="https://cdn.example.org/i.png">'
        '<a href="https://example.com/news/b.html" rel="noopener noreferrer">b</a>'
    )


def test_relative_urls_without_a_base_are_dropped() -> None:
    out = sanitize_html('<img src="/dev/zero" alt="zero"><img src="//tracker/x.png"><a href="/x">x</a>')
    assert out == 'zero<a rel="noopener noreferrer">x</a>'


def test_a_link_whose_href_is_dropped_keeps_a_stable_attribute_order() -> None:
    out = sanitize_html('<a href="javascript:x" title="t">a</a>', BASE)
    assert out == '<a title="t" rel="noopener noreferrer">a</a>'
    assert sanitize_html(out, BASE) == out


def test_mailto_links_survive() -> None:
    out = sanitize_html('<a href="mailto:ann@example.com">mail</a>', BASE)
    assert out == '<a href="mailto:ann@example.com" rel="noopener noreferrer">mail</a>'


@pytest.mark.parametrize(
    ("value", "base", "expected"),
    [
        ("/dev/zero", None, None),
        ("/dev/zero", BASE, "https://example.com/dev/zero"),
        ("//tracker.example/p", None, None),
        ("file:///etc/passwd", BASE, None),
        ("java\tscript:alert(1)", BASE, None),
        ("http:no-host", BASE, None),
        ("mailto:", BASE, None),
        ("https://example.org/a b", None, "https://example.org/a b"),
        ("HTTPS://Example.org/x", None, "https://Example.org/x"),
        ("", BASE, None),
    ],
)
def test_absolute_url(value: str, base: str | None, expected: str | None) -> None:
    assert absolute_url(value, base) == expected


# --- images ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "img",
    [
        '<img src="https://e.com/a.png" width="1" height="1" alt="A">',
        '<img src="https://e.com/a.png" width="0" alt="A">',
        '<img src="https://e.com/a.png" height="1px" alt="A">',
        '<img src="https://stats.e.com/pixel.gif" alt="A">',
        '<img src="https://pixel.e.com/p?id=1" alt="A">',
        '<img src="https://e.com/track/open?id=1" alt="A">',
        '<img src="https://e.com/tracking.gif" alt="A">',
        '<img src="https://e.com/beacon?x=1" alt="A">',
        '<img src="https://mail.e.com/open.aspx?u=1" alt="A">',
        '<img src="https://u1.ct.sendgrid.net/wf/open?upn=1" alt="A">',
        '<img src="https://feeds.feedburner.com/~r/blog/~4/abc" alt="A">',
        '<img src="https://e.com/spacer.gif?utm_source=feed" alt="A">',
    ],
)
def test_tracking_images_are_dropped_keeping_alt(img: str) -> None:
    assert sanitize_html(f"<p>x{img}y</p>", BASE) == "<p>xAy</p>"


def test_real_images_stay() -> None:
    img = '<img src="https://e.com/photo.jpg" alt="A &lt;cat&gt;" title="t" width="600" height="400">'
    assert sanitize_html(img, BASE) == img


def test_alt_text_of_a_dropped_image_stays_escaped() -> None:
    out = sanitize_html('<img src="javascript:x" alt="<script>alert(1)</script>">', BASE)
    assert out == "&lt;script&gt;alert(1)&lt;/script&gt;"


# --- structure ---------------------------------------------------------------------------------------


def test_depth_is_capped_and_text_kept() -> None:
    out = sanitize_html("<div>" * 200 + "deep" + "</div>" * 200)
    assert max_depth(out) == MAX_DEPTH
    assert "deep" in out
    assert sanitize_html(out) == out


def test_shallow_nesting_is_untouched() -> None:
    markup = "<div>" * 40 + "<p>ok</p>" + "</div>" * 40
    assert sanitize_html(markup) == markup


def test_tables_nested_deeper_than_two_are_flattened() -> None:
    markup = "<table><tr><td>" * 4 + "core" + "</td></tr></table>" * 4
    out = sanitize_html(markup)
    assert max_table_depth(out) == 2
    assert out.startswith("<table><tbody><tr><td><table><tbody><tr><td><div><div>core</div></div></td>")
    assert sanitize_html(out) == out


def test_two_nested_tables_are_kept() -> None:
    inner = "<table><tbody><tr><th>a</th><td>b</td></tr></tbody></table>"
    markup = f"<table><tbody><tr><td>{inner}</td></tr></tbody></table>"
    assert sanitize_html(markup) == markup


def test_a_flattened_table_keeps_each_cell_as_a_block() -> None:
    inner = "<table><caption>cap</caption><tr><th>h</th><td>d</td></tr></table>"
    out = sanitize_html("<table><tr><td><table><tr><td>" + inner + "</td></tr></table></td></tr></table>")
    assert "<div>cap</div>" in out and "<div>h</div>" in out and "<div>d</div>" in out
    assert html_to_text(out) == "cap\n\nh\n\nd"


def test_leading_newlines_of_pre_are_dropped_so_cleaning_is_stable() -> None:
    assert sanitize_html("<pre></div>\n\ncode</pre>") == "<pre>code</pre>"


def test_unclosed_paragraphs_are_not_mistaken_for_depth() -> None:
    markup = "<p>para " * 500
    out = sanitize_html(markup)
    assert out.count("<p>") == 500


# --- hostile sizes: bounded time ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        pytest.param("<p>" + "word " * 4_000_000 + "</p>", id="20MB-text"),
        pytest.param("<div>" * 10_000 + "x" + "</div>" * 10_000, id="10k-divs"),
        pytest.param("<div>" * 100_000 + "x", id="100k-unclosed-divs"),
        pytest.param("<div></i>" * 20_000 + "x", id="stray-end-tags"),
        pytest.param("<table><tr><td>" * 30 + "x" + "</td></tr></table>" * 30, id="30-tables"),
        pytest.param("<ul><li>" * 10_000 + "x", id="10k-lists"),
        pytest.param("<b>" * 100_000 + "x", id="100k-formatting"),
        pytest.param("<b>x</b><i>y</i>" * 1_300_000, id="20MB-dense-tags"),
    ],
)
def test_hostile_sizes_are_bounded(markup: str) -> None:
    start = time.perf_counter()
    out = sanitize_html(markup, BASE)
    assert time.perf_counter() - start < BUDGET
    assert len(out) <= MAX_HTML * 2
    assert max_depth(out) <= MAX_DEPTH and max_table_depth(out) <= 2


# --- properties --------------------------------------------------------------------------------------

_TAGS = [
    "p",
    "div",
    "b",
    "a",
    "img",
    "table",
    "tr",
    "td",
    "ul",
    "li",
    "span",
    "pre",
    "script",
    "style",
    "iframe",
    "svg",
    "math",
    "form",
    "input",
    "object",
    "embed",
    "textarea",
    "select",
    "noscript",
    "template",
    "title",
    "xmp",
    "br",
    "blockquote",
    "h1",
    "SCRIPT",
    "ScRiPt",
    "link",
    "base",
    "meta",
]
_SCHEMES = [
    "javascript:",
    "JaVaScRiPt:",
    "jav&#x09;ascript:",
    "&#106;avascript:",
    "java\nscript:",
    " javascript:",
    "data:",
    "vbscript:",
    "file://",
    "FILE:",
    "",
    "/",
    "//",
    "../",
    "http://",
    "https://",
    "mailto:",
    "\x01javascript:",
]
_ATTRS = [
    "href",
    "src",
    "onclick",
    "ONERROR",
    "onload",
    "style",
    "class",
    "id",
    "xlink:href",
    "background",
    "alt",
    "title",
    "width",
    "height",
    "srcset",
    "formaction",
    "action",
]
_url = st.builds(
    lambda s, rest: s + rest, st.sampled_from(_SCHEMES), st.sampled_from(["alert(1)", "e.com/x", "x"])
)
_value = st.one_of(_url, st.sampled_from(["1", "0", "x", '"><script>alert(1)</script>', "&quot;", "a>b"]))
_attr = st.builds(
    lambda name, quote, value: f" {name}={quote}{value}{quote}",
    st.sampled_from(_ATTRS),
    st.sampled_from(['"', "'", ""]),
    _value,
)
_text = st.sampled_from(
    ["x", " ", "&lt;", "&amp;", "<", ">", "&#x3c;script&#x3e;", "\n", "<!--", "-->", "]]>", "\xa0"]
)


@st.composite
def _markup(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 30))):
        kind = draw(st.integers(0, 3))
        tag = draw(st.sampled_from(_TAGS))
        if kind == 0:
            parts.append(f"<{tag}{''.join(draw(st.lists(_attr, max_size=3)))}>")
        elif kind == 1:
            parts.append(f"</{tag}>")
        else:
            parts.append(draw(_text))
    return "".join(parts)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_markup(), st.sampled_from([None, BASE]))
def test_property_output_is_safe_and_stable(markup: str, base: str | None) -> None:
    out = sanitize_html(markup, base)
    assert_safe(out)
    assert max_depth(out) <= MAX_DEPTH
    assert sanitize_html(out, base) == out


_STRUCTURE = st.lists(
    st.sampled_from(
        [
            "<p>",
            "</p>",
            "<a href=https://e.com/>",
            "</a>",
            "<b>",
            "</b>",
            "<i>",
            "</i>",
            "<div>",
            "</div>",
            "<h1>",
            "<h2>",
            "</h1>",
            "<li>",
            "</li>",
            "<ul>",
            "</ul>",
            "<ol>",
            "<dl>",
            "<dt>",
            "<dd>",
            "<table>",
            "</table>",
            "<tr>",
            "<td>",
            "<th>",
            "</td>",
            "<caption>",
            "<pre>",
            "\n",
            "<hr>",
            "<br>",
            "<blockquote>",
            "<select>",
            "<font>",
            "<center>",
            "<button>",
            "<form>",
            "<option>",
            "<span>",
            "<em>",
            "<figure>",
            "<figcaption>",
            "x",
        ]
    ),
    max_size=40,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(_STRUCTURE)
def test_property_misnested_structure_is_stable(markup: str) -> None:
    out = sanitize_html(markup)
    assert sanitize_html(out) == out
    assert max_table_depth(out) <= 2


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.sampled_from(["div", "table", "blockquote", "ul", "span"]))
def test_property_depth_never_exceeds_the_cap(depth: int, tag: str) -> None:
    inner = {"table": "<table><tr><td>", "ul": "<ul><li>"}.get(tag, f"<{tag}>")
    out = sanitize_html(inner * depth + "x")
    assert max_depth(out) <= MAX_DEPTH and max_table_depth(out) <= 2
    assert "x" in out
    assert sanitize_html(out) == out


# --- text ----------------------------------------------------------------------------------------------


def test_text_helpers() -> None:
    markup = "<p>One &amp; <b>two</b></p><script>bad()</script><p>three\x07</p>"
    assert html_to_text(markup) == "One & two\n\nthree"
    assert search_text(markup) == "One & two three"
    assert plain_text("<i>A</i>  title") == "A title"
    assert clean_line(" a\x00b \n c ") == "ab c"
