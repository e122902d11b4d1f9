"""Sanitized article HTML as Markdown (for exports): blocks and inline marks, special characters escaped."""

from __future__ import annotations

import re
from typing import Any

from .annotation_formats import markdown_escape, markdown_url
from .export_blocks import BLOCKS as _BLOCKS

_MD_WRAP = {
    "em": "*",
    "i": "*",
    "cite": "*",
    "dfn": "*",
    "strong": "**",
    "b": "**",
    "mark": "==",
    "del": "~~",
}
_MD_WRAP |= {"s": "~~", "code": "`", "kbd": "`", "samp": "`"}
_LINE_START = re.compile(r"^([#>+-]|\d+[.)])")


def blocks(element: Any) -> str:
    text = _md_inner(element)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _md_inner(element: Any) -> str:
    parts = [_md_text(element.text)]
    for child in element:
        parts.append(_md_element(child))
        parts.append(_md_text(child.tail))
    return "".join(parts)


def _md_text(text: str | None) -> str:
    """HTML text as Markdown: whitespace collapsed as a browser would, special characters escaped."""
    if not text:
        return ""
    words = " ".join(text.split())
    lead = " " if text[0].isspace() else ""
    trail = " " if text[-1].isspace() and words else ""
    return lead + markdown_escape(words) + trail


def _md_element(element: Any) -> str:
    tag = str(element.tag)
    inner = _md_inner(element)
    if tag in _MD_WRAP and inner.strip():
        words = inner.strip()
        lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
        return f"{lead}{_MD_WRAP[tag]}{words}{_MD_WRAP[tag]}{trail}"
    if tag in {"h1", "h2", "h3", "h4", "h5", "h6"}:
        return f"\n\n{'#' * int(tag[1])} {' '.join(inner.split())}\n\n"
    if tag == "a" and element.get("href"):
        return f"[{inner.strip()}](<{markdown_url(element.get('href'))}>)"
    if tag == "img":
        return f"![{markdown_escape(element.get('alt', ''))}](<{markdown_url(element.get('src', ''))}>)"
    if tag == "br":
        return "\\\n"
    if tag == "hr":
        return "\n\n---\n\n"
    if tag == "pre":
        return "\n\n```\n" + "".join(element.itertext()).strip("\n").replace("```", "` ` `") + "\n```\n\n"
    if tag == "blockquote":
        lines = blocks(element).splitlines()
        return "\n\n" + "\n".join(f"> {line}" if line else ">" for line in lines) + "\n\n"
    if tag in {"ul", "ol"}:
        return _md_list(element, ordered=tag == "ol")
    if tag == "sup" and element.get("class") == "noteref":
        return ""
    if tag in _BLOCKS or tag in {"td", "th"}:
        return f"\n\n{inner.strip()}\n\n"
    return inner


def _md_list(element: Any, *, ordered: bool) -> str:
    first = int(element.get("start") or 1)
    items = []
    for index, item in enumerate((c for c in element if c.tag == "li"), first):
        marker = f"{index}." if ordered else "-"
        lines = blocks(item).splitlines() or [""]
        rest = "".join(f"\n{' ' * (len(marker) + 1)}{line}" if line else "\n" for line in lines[1:])
        items.append(f"{marker} {lines[0]}{rest}")
    return "\n\n" + "\n".join(items) + "\n\n"
