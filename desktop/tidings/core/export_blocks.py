"""The HTML tags that start a block of their own, shared by the exports."""

from __future__ import annotations

BLOCKS = frozenset(
    {"p", "div", "br", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd", "tr", "table"}
    | {"blockquote", "pre", "figure", "figcaption", "section", "article", "hr"}
)
