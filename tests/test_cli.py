"""The headless CLI, run as a person would: a subprocess per command, a loopback server for the web."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.loopback import LoopbackServer, read_data
from tidings import __version__


def tidings(data: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tidings", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=stdin,
    )


def page(*links: str) -> bytes:
    heads = "".join(links)
    return f"<!doctype html><html><head><title>Site</title>{heads}</head><body><p>Hello</p></body></html>".encode()


def test_version() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "tidings", "--version"], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 0 and out.stdout.strip() == f"Tidings {__version__}"


@pytest.mark.parametrize(
    "module",
    [
        "tidings.core",
        "tidings.core.library",
        "tidings.cli",
        "tidings.commands",
        "tidings.core.refresh",
        "tidings.core.subscribe",
    ],
)
def test_the_core_and_cli_never_load_qt(module: str) -> None:
    code = f"import sys, {module}; print('PySide6' in sys.modules or any(m.startswith('PySide6') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.stdout.strip() == "False"


def test_a_whole_session(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve(
        "/site/",
        page(
            f'<link rel="alternate" type="application/rss+xml" title="All news" href="{server.url("/rss.xml")}">',
            '<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">',
        ),
        "text/html",
    )
    server.serve("/rss.xml", read_data("refresh", "rss20.xml"), "application/rss+xml")
    server.serve("/atom.xml", read_data("refresh", "atom10.xml"), "application/atom+xml")
    data = tmp_path / "lib"

    choose = tidings(data, "add", server.url("/site/"))
    assert choose.returncode == 1
    assert "offers 2 feeds" in choose.stderr and "1. All news" in choose.stderr and "--pick" in choose.stderr
    added = tidings(data, "add", server.url("/site/"), "--pick", "2", "--folder", "Science")
    assert added.returncode == 0, added.stderr
    assert "Art of the Problem" in added.stdout and "15 stories" in added.stdout

    direct = tidings(data, "add", server.url("/rss.xml"))
    assert direct.returncode == 0 and "Lunar Phase" in direct.stdout
    again = tidings(data, "add", server.url("/rss.xml"))
    assert again.returncode == 1 and "already subscribed" in again.stderr

    feeds = json.loads(tidings(data, "feeds", "--json").stdout)
    assert [(f["title"], f["folder"], f["unread"]) for f in feeds] == [
        ("Lunar Phase", None, 15),
        ("Art of the Problem", "Science", 15),
    ]
    assert set(feeds[0]) >= {"id", "url", "title", "folder", "unread", "last_error"}

    stories = json.loads(tidings(data, "stories", "--feed", "Lunar Phase", "--limit", "5", "--json").stdout)
    assert len(stories) == 5 and all(s["feed_id"] == feeds[0]["id"] and not s["read"] for s in stories)
    assert set(stories[0]) >= {"id", "feed_id", "title", "url", "published", "read", "starred"}
    first = stories[0]["id"]

    shown = json.loads(tidings(data, "show", str(first), "--json").stdout)
    assert shown["title"] == stories[0]["title"] and shown["text"]
    assert tidings(data, "mark-read", str(first)).returncode == 0
    unread = json.loads(tidings(data, "stories", "--unread", "--limit", "100", "--json").stdout)
    assert first not in [s["id"] for s in unread] and len(unread) == 29

    hits = json.loads(tidings(data, "search", "page images", "--json").stdout)
    assert hits and ("[page]" in hits[0]["snippet"].lower() or "[images]" in hits[0]["snippet"].lower())

    refreshed = json.loads(tidings(data, "refresh", "--json").stdout)
    assert refreshed["feeds"] == 2 and refreshed["by_status"] == {"unchanged": 2}

    assert tidings(data, "mark-read", "--all").returncode == 0
    assert json.loads(tidings(data, "stories", "--unread", "--json").stdout) == []

    opml = tidings(data, "export-opml")
    assert opml.returncode == 0 and 'text="Science"' in opml.stdout and server.url("/rss.xml") in opml.stdout
    assert tidings(data, "rename", "Lunar Phase", "The Moon").returncode == 0
    assert tidings(data, "move", "The Moon", "Comics").returncode == 0
    assert tidings(data, "remove", "Art of the Problem").returncode == 0
    feeds = json.loads(tidings(data, "feeds", "--json").stdout)
    assert [(f["title"], f["folder"]) for f in feeds] == [("The Moon", "Comics")]

    other = tmp_path / "other"
    (tmp_path / "subs.opml").write_text(opml.stdout)
    imported = tidings(other, "import-opml", str(tmp_path / "subs.opml"))
    assert imported.returncode == 0 and "Imported 2 feeds" in imported.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["show", "999"], "There is no story 999."),
        (["stories", "--feed", "nope"], "There is no feed “nope”"),
        (["import-opml", "/nonexistent/file.opml"], "cannot be read"),
        (["search", "   "], "Type a word"),
        (["add", "ftp://example.org/feed"], "web addresses"),
        (["add", "http://127.0.0.1:9/feed"], "refused the connection"),
        (["mark-read"], "Give one or more story numbers."),
    ],
)
def test_errors_are_one_sentence_and_exit_1(tmp_path: Path, args: list[str], words: str) -> None:
    out = tidings(tmp_path / "lib", *args)
    assert out.returncode == 1
    assert words in out.stderr
    assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1


def test_a_site_without_a_feed_says_so(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/plain/", page(), "text/html")
    out = tidings(tmp_path / "lib", "add", server.url("/plain/"))
    assert out.returncode == 1 and "No feed was found" in out.stderr
    probed = {s.path for s in server.log}
    assert "/plain/feed" in probed or "/feed" in probed  # the usual places were tried


def test_discovery_falls_back_to_the_usual_paths(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/", page(), "text/html")
    server.serve("/feed", read_data("refresh", "rss20.xml"), "application/rss+xml")
    out = tidings(tmp_path / "lib", "add", server.url("/"))
    assert out.returncode == 0, out.stderr
    assert server.url("/feed") in out.stdout


def test_refresh_exits_0_with_errors_in_its_report(tmp_path: Path, server: LoopbackServer) -> None:
    data = tmp_path / "lib"
    (tmp_path / "x.opml").write_text(
        f'<opml version="2.0"><head/><body><outline text="gone" xmlUrl="{server.url("/gone.xml")}"/></body></opml>'
    )
    tidings(data, "import-opml", str(tmp_path / "x.opml"))
    out = tidings(data, "refresh")
    assert out.returncode == 0
    assert "not found at this address (HTTP 404)" in out.stdout and "1 with errors" in out.stdout
    feeds = json.loads(tidings(data, "feeds", "--json").stdout)
    assert "HTTP 404" in feeds[0]["last_error"] and feeds[0]["failures"] == 1


def test_the_data_dir_comes_from_the_environment(tmp_path: Path) -> None:
    env = {"TIDINGS_DATA_DIR": str(tmp_path / "envlib"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-m", "tidings", "feeds"], capture_output=True, text=True, timeout=30, env=env
    )
    assert out.returncode == 0 and "No feeds yet" in out.stdout
    assert (tmp_path / "envlib" / "tidings.sqlite3").exists()


def test_a_second_refresh_waits_for_the_first_with_a_clear_message(tmp_path: Path) -> None:
    from tidings.core.storage.lock import FileLock

    data = tmp_path / "lib"
    assert tidings(data, "feeds").returncode == 0
    holder = FileLock(data / "refresh.lock", "refreshing feeds")
    holder.acquire()  # as a running refresh (or window) would
    try:
        out = tidings(data, "refresh", "--wait", "1")
    finally:
        holder.release()
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert lines[0].startswith("tidings: Waiting for another Tidings process (pid ")
    assert "is refreshing feeds in" in lines[-1] and "try again" in lines[-1]
    assert tidings(data, "refresh").returncode == 0  # once it is free, it runs


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    data = tmp_path / "lib"
    opml = "".join(f'<outline text="f{i}" xmlUrl="https://example.org/{i}.xml"/>' for i in range(40))
    for half in (0, 1):
        (tmp_path / f"{half}.opml").write_text(
            f'<opml version="2.0"><head/><body>{opml.replace(".xml", f"-{half}.xml")}</body></opml>'
        )
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tidings",
                "--data-dir",
                str(data),
                "import-opml",
                str(tmp_path / f"{half}.opml"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for half in (0, 1)
    ]
    results = [(p.communicate(timeout=60)[1], p.returncode) for p in procs]
    assert [code for _err, code in results] == [0, 0], results
    feeds = json.loads(tidings(data, "feeds", "--json").stdout)
    assert len(feeds) == 80 and len({f["url"] for f in feeds}) == 80


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the display check is for Linux desktops")
def test_without_a_display_the_window_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    out = subprocess.run(
        [sys.executable, "-m", "tidings", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
    )
    assert out.returncode == 1 and "There is no display" in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


ARTICLE_PAGE = b"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Harbour reopens after storm | Coast Gazette</title>
<meta property="og:title" content="Harbour reopens after storm">
<meta name="author" content="Ana Ruiz">
<meta property="article:published_time" content="2024-03-05T08:30:00Z">
</head><body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Harbour reopens after storm</h1>
<p>The harbour reopened on Tuesday after three days of repairs to the sea wall, the port authority said.</p>
<p>Fishing boats were the first to leave, followed by the morning ferry to the islands, which had been
cancelled since the weekend when waves of up to six metres broke over the quay.</p>
<p>Engineers will inspect the northern breakwater again next week, and the authority said that a longer
closure in the spring could not be ruled out while the damage to its foundations is assessed.</p>
<h2>Most read</h2><ul><li><a href="/a">Celebrity chef opens a new restaurant downtown</a></li>
<li><a href="/b">Local team wins the regional championship final</a></li>
<li><a href="/c">Ten things to do this weekend in the old town</a></li></ul>
</article></body></html>"""


def test_extract_prints_the_article_of_a_page_or_a_file(tmp_path: Path, server: LoopbackServer) -> None:
    server.serve("/news/harbour.html", ARTICLE_PAGE, "text/html; charset=utf-8")
    out = tidings(tmp_path / "lib", "extract", server.url("/news/harbour.html"), "--format", "json")
    assert out.returncode == 0, out.stderr
    article = json.loads(out.stdout)
    assert article["title"] == "Harbour reopens after storm" and article["byline"] == "Ana Ruiz"
    assert "sea wall" in article["text"] and "Celebrity chef" not in article["text"]
    (tmp_path / "page.html").write_bytes(ARTICLE_PAGE)
    text = tidings(tmp_path / "lib", "extract", str(tmp_path / "page.html"), "--url", "https://example.org/a")
    assert text.returncode == 0 and text.stdout.startswith("Harbour reopens after storm")
    missing = tidings(tmp_path / "lib", "extract", str(tmp_path / "nope.html"))
    assert missing.returncode == 1 and "cannot be read" in missing.stderr


def test_summary_feeds_show_the_article_and_can_be_extracted_again(
    tmp_path: Path, server: LoopbackServer
) -> None:
    server.serve("/news/harbour.html", ARTICLE_PAGE, "text/html; charset=utf-8")
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Coast</title><item><title>Harbour</title>"
        f"<link>{server.url('/news/harbour.html')}</link><description>The harbour reopened.</description>"
        "</item></channel></rss>"
    ).encode()
    server.serve("/coast.xml", feed)
    data = tmp_path / "lib"
    assert tidings(data, "add", server.url("/coast.xml")).returncode == 0
    assert tidings(data, "show-as", "Coast", "article").returncode == 0
    assert tidings(data, "mark-read", "--all").returncode == 0
    server.serve(
        "/coast.xml", feed.replace(b"Harbour<", b"Harbour, day two<").replace(b".html", b".html?day=2")
    )
    refreshed = tidings(data, "refresh", "--articles")
    assert refreshed.returncode == 0 and "Articles: 1 extracted" in refreshed.stdout, refreshed.stdout
    story = json.loads(tidings(data, "stories", "--unread", "--json").stdout)[0]
    shown = json.loads(tidings(data, "show", str(story["id"]), "--json").stdout)
    assert shown["shown"] == "article" and "sea wall" in shown["article"]["text"]
    plain = tidings(data, "show", str(story["id"])).stdout
    assert "sea wall" in plain and "Celebrity chef" not in plain
    again = tidings(data, "reextract", "--all")
    assert again.returncode == 0 and "Extracted 1 articles again" in again.stdout
