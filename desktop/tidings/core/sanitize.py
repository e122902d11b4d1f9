"""Untrusted HTML made safe to show (nh3 with a strict allowlist) and made into plain text for search."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin, urlsplit, urlunsplit

import nh3

from .htmlshape import MAX_DEPTH, limit_depth, shape

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
__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_TAGS",
    "MAX_DEPTH",
    "MAX_HTML",
    "absolute_url",
    "clean_line",
    "html_to_text",
    "plain_text",
    "sanitize_html",
    "search_text",
]
_DROP_WITH_CONTENT = frozenset(
    {"script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "math"}
)
MAX_HTML = 5 * 1024 * 1024


def absolute_url(value: str, base: str | None) -> str | None:
    """`value` resolved against `base` if the result is an absolute http(s) URL (with a host) or a mailto
    address, else None. Tabs and newlines are removed first, as browsers do (`jav&#x09;ascript:`)."""
    value = value.strip()
    if not value:
        return None
    try:
        url = urljoin(base, value) if base else value
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
    except ValueError:
        return None
    if (
        scheme not in _SCHEMES
        or (scheme != "mailto" and not parts.hostname)
        or (scheme == "mailto" and not parts.path)
    ):
        return None
    return urlunsplit(parts)


def sanitize_html(fragment: str, base_url: str | None = None) -> str:
    """A safe subset of `fragment`: allowlisted tags, absolute http(s)/mailto links only, nesting at most
    `MAX_DEPTH` deep, tables at most two deep, no tracking images. Idempotent.

    Three passes: `limit_depth` bounds nesting on the raw markup (nh3 is quadratic in depth), nh3 applies the
    allowlist and resolves URLs against `base_url`, and `shape` enforces the exact structure limits on nh3's
    well-formed output (see `htmlshape`)."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute in _URL_ATTRIBUTES:
            return absolute_url(value, base_url)
        return value

    def clean(markup: str) -> str:
        return shape(
            nh3.clean(
                markup,
                tags=set(ALLOWED_TAGS),
                attributes={k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()},
                url_schemes=set(_SCHEMES),
                strip_comments=True,
                clean_content_tags=set(_DROP_WITH_CONTENT),
                attribute_filter=keep,
                link_rel="noopener noreferrer",
            )
        )

    markup = limit_depth(fragment[:MAX_HTML])
    return clean(markup)


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
