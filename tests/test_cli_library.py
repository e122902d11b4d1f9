"""The collection's commands, run as a person would: save, annotate, topics, export, annotations in and out."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from tests.loopback import LoopbackServer
from tests.test_cli import tidings

PARAGRAPH = "The harbour authority confirmed on Monday that the new cranes will arrive before the summer. "
PAGE = (
    "<html><head><title>Cranes</title></head><body><article><h1>New cranes for the harbour</h1>"
    + f"<p>{PARAGRAPH * 6}</p><figure><img src='/crane.png'><figcaption>A crane</figcaption></figure>"
    + "<p>Workers will assemble them over several weeks, and the port expects more ships next year.</p>"
    + "</article></body></html>"
).encode()


def feed(server: LoopbackServer) -> bytes:
    return f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Port News</title><link>{server.url("/")}</link>
<description>d</description>
<item><title>New cranes for the harbour</title><guid>c1</guid><link>{server.url("/cranes.html")}</link>
<description>Cranes are coming.</description></item>
<item><title>Ferry timetable changes</title><guid>c2</guid><link>{server.url("/ferry.html")}</link>
<description>The ferry leaves earlier from May.</description></item>
</channel></rss>""".encode()


def test_save_annotate_file_and_export(tmp_path: Path, server: LoopbackServer) -> None:
    picture = (Path(__file__).parent / "data" / "images" / "photo.png").read_bytes()
    server.serve("/rss.xml", feed(server), "application/rss+xml")
    server.serve("/cranes.html", PAGE, "text/html")
    server.serve("/crane.png", picture, "image/png")
    data = tmp_path / "lib"
    assert tidings(data, "add", server.url("/rss.xml")).returncode == 0
    stories = json.loads(tidings(data, "stories", "--json").stdout)
    cranes = next(s["id"] for s in stories if s["title"].startswith("New cranes"))
    ferry = next(s["id"] for s in stories if s["title"].startswith("Ferry"))

    out = tidings(data, "save", str(cranes))
    assert out.returncode == 0 and "Saved for offline reading: the full article and 1 image" in out.stdout, (
        out
    )

    out = tidings(
        data, "annotate", str(cranes), "--quote", "assemble them over several weeks", "--note", "How many?"
    )
    assert out.returncode == 0, out.stderr
    assert tidings(data, "annotate", str(cranes), "--note", "Ask the port.").returncode == 0
    missing = tidings(data, "annotate", str(cranes), "--quote", "a bridge")
    assert missing.returncode == 1 and "does not contain" in missing.stderr

    listed = tidings(data, "annotations", str(cranes)).stdout
    assert (
        "“assemble them over several weeks”" in listed and "How many?" in listed and "Ask the port." in listed
    )
    markdown = tidings(data, "annotations", "--format", "md").stdout
    assert "==assemble them over several weeks==" in markdown and server.url("/cranes.html") in markdown
    w3c = tidings(data, "annotations", "--format", "w3c").stdout
    (tmp_path / "notes.json").write_text(w3c)
    other = tmp_path / "other"
    assert tidings(other, "add", server.url("/rss.xml")).returncode == 0
    out = tidings(other, "import-annotations", str(tmp_path / "notes.json"))
    assert out.returncode == 0 and "Imported 2 annotations" in out.stdout, out
    assert "assemble them over several weeks" in tidings(other, "annotations").stdout

    assert tidings(data, "topic", "create", "Harbour", "--color", "#3366aa").returncode == 0
    assert tidings(data, "topic", "add", "harbour", str(cranes), str(ferry)).returncode == 0
    topics = json.loads(tidings(data, "topic", "list", "--json").stdout)
    assert topics == [{"id": 1, "name": "Harbour", "color": "#3366aa", "stories": 2, "unread": 2}]
    bad = tidings(data, "topic", "create", "harbour")
    assert bad.returncode == 1 and "already" in bad.stderr

    html = tmp_path / "harbour.html"
    assert tidings(data, "export", "--topic", "Harbour", "--format", "html", "-o", str(html)).returncode == 0
    page = html.read_text()
    assert "<mark" in page and "data:image/png;base64," in page and "Ferry timetable" in page
    assert server.url("/crane.png") not in page  # inlined, not linked
    book = tmp_path / "saved.epub"
    assert tidings(data, "export", "--saved", "--format", "epub", "-o", str(book)).returncode == 0
    with zipfile.ZipFile(book) as z:
        assert z.namelist()[0] == "mimetype" and z.read("mimetype") == b"application/epub+zip"
        assert any(name.endswith(".png") for name in z.namelist())
    md = tmp_path / "one.md"
    assert tidings(data, "export", str(cranes), "--format", "md", "-o", str(md)).returncode == 0
    assert "==assemble them over several weeks==" in md.read_text()
    unsaved = tidings(data, "save", "--remove", str(cranes))
    assert "no longer saved" in unsaved.stdout


def test_topic_suggest_learns_from_filed_stories_and_files_nothing(
    tmp_path: Path, server: LoopbackServer
) -> None:
    titles = {
        "f1": "Striker nets twice as the visitors win the derby",
        "f2": "Goalkeeper saves a late penalty to keep a clean sheet",
        "m1": "Shares slide as investors fear a recession",
        "m2": "Central bank raises interest rates by a quarter point",
        "probe": "Winger injured in cup semi-final",
    }
    items = "".join(
        f"<item><title>{t}</title><guid>{g}</guid><link>{server.url('/' + g)}</link></item>"
        for g, t in titles.items()
    )
    rss = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Mixed</title>{items}</channel></rss>'
    server.serve("/mixed.xml", rss.encode(), "application/rss+xml")
    data = tmp_path / "lib"
    assert tidings(data, "add", server.url("/mixed.xml")).returncode == 0
    ids = {s["title"]: s["id"] for s in json.loads(tidings(data, "stories", "--json").stdout)}
    probe = str(ids[titles["probe"]])
    early = tidings(data, "topic", "suggest", probe)
    assert early.returncode == 0 and "No suggestion yet" in early.stdout
    for name, keys in (("Football", ("f1", "f2")), ("Markets", ("m1", "m2"))):
        assert tidings(data, "topic", "create", name).returncode == 0
        assert tidings(data, "topic", "add", name, *(str(ids[titles[k]]) for k in keys)).returncode == 0
    out = tidings(data, "topic", "suggest", probe)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "Football"
    listed = json.loads(tidings(data, "topic", "list", "--json").stdout)
    assert sorted((t["name"], t["stories"]) for t in listed) == [
        ("Football", 2),
        ("Markets", 2),
    ]  # nothing filed
