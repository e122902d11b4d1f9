"""Untrusted HTML made safe to show (nh3 with a strict allowlist) and made into plain text for search."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = frozenset(
    [
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "caption",
        "cite",
        "code",
        "dd",
        "del",
        "dfn",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "mark",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "time",
        "tr",
        "u",
        "ul",
    ]
)
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "ol": {"start"},
    "time": {"datetime"},
}
_URL_ATTRIBUTES = frozenset({"href", "src"})
_SCHEMES = frozenset({"http", "https", "mailto"})
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
)
MAX_HTML = 5 * 1024 * 1024


def absolute_url(value: str, base: str | None) -> str | None:
    """`value` resolved against `base` if the result is http(s) or mailto, else None."""
    value = value.strip()
    if not value:
        return None
    try:
        url = urljoin(base, value) if base else value
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in _SCHEMES else None


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """A safe subset of `fragment`: allowlisted tags, absolute http(s)/mailto links only."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return absolute_url(value, base_url)
        return value

    return nh3.clean(
        fragment[:MAX_HTML],
        tags=set(ALLOWED_TAGS),
        attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(_SCHEMES),
        strip_comments=True,
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attribute_filter=keep,
        link_rel="noopener noreferrer",
    )


_INVISIBLE = re.compile(r"<(script|style|noscript|template|svg|math)\b.*?</\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_BLOCK = re.compile(
    r"</?(?:p|div|br|h[1-6]|li|ul|ol|dl|dt|dd|tr|table|blockquote|pre|figure|figcaption|section|article|hr)"
    r"\b[^>]*>",
    re.I,
)
_TAG = re.compile(r"<[^>]*>")
_PARAGRAPH = "\x1e"  # marks block boundaries while tags are stripped
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def html_to_text(fragment: str, limit: int = 200_000) -> str:
    """Plain text of an HTML fragment, paragraphs separated by a blank line. Fast: for search and previews."""
    text = fragment[: limit * 4]
    if "<" in text:
        text = _COMMENT.sub("", text) if "<!--" in text else text
        text = _INVISIBLE.sub(" ", text)
        text = _TAG.sub("", _BLOCK.sub(_PARAGRAPH, text))
    if "&" in text:
        text = html.unescape(text)
    paragraphs = (" ".join(part.split()) for part in text.split(_PARAGRAPH))
    return _CONTROLS.sub("", "\n\n".join(p for p in paragraphs if p))[:limit]


def search_text(fragment: str, limit: int = 200_000) -> str:
    """The words of an HTML fragment on one line, for the search index: no paragraph structure, so it
    costs a third less than `html_to_text` on the thousands of entries of a first refresh."""
    text = fragment[: limit * 4]
    if "<" in text:
        text = _COMMENT.sub("", text) if "<!--" in text else text
        text = _INVISIBLE.sub(" ", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return _CONTROLS.sub("", " ".join(text.split()))[:limit]


def plain_text(value: str) -> str:
    """One line of plain text from a possibly-HTML string (titles, authors)."""
    return " ".join(html_to_text(value).split())


def clean_line(value: str) -> str:
    """A plain-text string (already decoded) on one line, without control characters."""
    return " ".join(_CONTROLS.sub("", value).split())
