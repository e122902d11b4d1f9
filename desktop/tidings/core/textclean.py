"""Text from feeds made fit to store and to show: the one set of rules applied where parsed text becomes rows.

Three kinds of field:

- `clean_line`: one line of plain text (titles, authors, feed titles and descriptions, folder names). Every
  control character goes, and so do the bidi embedding, override and isolate controls (U+202A-U+202E,
  U+2066-U+2069): in a list, a title bar or a notification they reorder what follows them, so a title could
  pass "gpj.exe" off as "exe.jpg" or spill its direction into the text around it. Runs of whitespace become
  one space. The bidi *marks* (U+200E, U+200F, U+061C) stay: they only set the direction of neutral
  characters next to them, and right-to-left titles need them.
- `clean_text`: plain text on several lines (the search text, shown in result snippets): the same, but tabs
  and newlines stay and carriage returns become newlines.
- `clean_html`: markup (story summaries and content): control characters go except tab and newline; the
  bidi controls stay, as the article wrote them (sanitizing and rendering keep them inside their paragraph).

Lone surrogates go from every kind: they cannot be encoded (SQLite refuses them).
`clean_url` removes controls and bidi controls from an address (RFC 3987 forbids bidi controls in IRIs).

All four are idempotent, and leave printable text as it is (apart from `clean_line` collapsing spaces).
"""

from __future__ import annotations

import re

_C0_C1 = "\x00-\x1f\x7f-\x9f"
_SURROGATES = "\ud800-\udfff"
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"

_LINE_JUNK = re.compile(f"[{_C0_C1}{_SURROGATES}{BIDI_CONTROLS}]")
# Tab (\x09) and newline (\x0a) are kept; carriage returns are made newlines before this runs.
_TEXT_JUNK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_SURROGATES}{BIDI_CONTROLS}]")
_HTML_JUNK = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_SURROGATES}]")
_URL_JUNK = _LINE_JUNK
_NEWLINES = re.compile("\r\n?")


def clean_line(value: str) -> str:
    """One line of plain text: no control or bidi control characters, whitespace runs made one space."""
    line = " ".join(value.split())  # whitespace controls (tab, newline, \x1c-\x1f, NEL) separate words
    if _LINE_JUNK.search(line):
        line = " ".join(_LINE_JUNK.sub("", line).split())
    return line


def clean_text(value: str) -> str:
    """Plain text on several lines: no control characters but tab and newline, no bidi controls."""
    if "\r" in value:
        value = _NEWLINES.sub("\n", value)
    return _TEXT_JUNK.sub("", value) if _TEXT_JUNK.search(value) else value


def clean_html(value: str) -> str:
    """Markup as a feed sent it, without control characters (tab and newline stay; CR becomes newline)."""
    if "\r" in value:
        value = _NEWLINES.sub("\n", value)
    return _HTML_JUNK.sub("", value) if _HTML_JUNK.search(value) else value


def clean_url(value: str | None) -> str | None:
    """An address without control or bidi control characters and outer spaces; None when nothing is left."""
    if value is None:
        return None
    if _URL_JUNK.search(value):
        value = _URL_JUNK.sub("", value)
    return value.strip() or None
