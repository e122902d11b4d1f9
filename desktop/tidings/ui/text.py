"""Untrusted text (feed titles, errors, addresses) in widgets that guess whether a string is HTML."""

from __future__ import annotations

import functools
import html
from datetime import datetime

UNTITLED = "(untitled)"


def as_rich_text(text: str) -> str:
    """`text` escaped and marked as rich text, for tooltips, labels and dialogs that would otherwise
    render any tag a feed put in a title: it shows exactly as written, line breaks kept."""
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


@functools.lru_cache(maxsize=4096)
def format_time(when: datetime | None) -> str:
    """A story's time in the local zone, sortable and short (cached: a list paints each date many times)."""
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""


def plural(count: int, one: str, many: str) -> str:
    """ "1 feed", "2 feeds"."""
    return f"{count} {one if count == 1 else many}"
