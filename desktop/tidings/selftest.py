"""`tidings --self-test`: a headless check that this installation works, step by step.

It opens a new library in a temporary folder, parses and stores a bundled feed, extracts a bundled page and
renders the main window (offscreen when there is no display) into a PNG. Each step prints one line; a failure
prints one sentence and the exit code is 1. Nothing outside the temporary folder is read or written, so it is
safe to run in a packaged build (PyInstaller, Flatpak) to prove its files are all there.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from . import APP_ID, __version__, resources

if TYPE_CHECKING:
    from .core.library import Library

FEED_URL = "https://example.org/feed.xml"
PAGE_URL = "https://example.org/tide"
WINDOW_SIZE = (1000, 640)
MIN_SCREENSHOT_BYTES = 5_000  # an empty or black window compresses to far less
JOB_WAIT_MS = 5_000


class SelfTestFailed(Exception):
    """A step did not do what it should; the message is the sentence shown."""


def bundled(name: str) -> bytes:
    """A file of the self-test data shipped inside the package."""
    return resources.selftest_file(name).read_bytes()


def run_self_test(say: Callable[[str], None] = print) -> int:
    """Run every step, printing one line each; returns the process exit code."""
    say(f"Tidings {__version__} self-test (Python {sys.version.split()[0]}, {_how_installed()})")
    step = "starting"
    try:
        # ignore_cleanup_errors: on Windows a file still open by a worker must not turn success into failure
        with tempfile.TemporaryDirectory(prefix="tidings-self-test-", ignore_cleanup_errors=True) as tmp:
            step = "store"
            with open_library(Path(tmp) / "library") as library:
                for step, check in _steps(library, Path(tmp)):
                    say(f"{step}: {check()}")
    except Exception as exc:  # every failure, expected or a bug, is one sentence
        reason = str(exc) if isinstance(exc, SelfTestFailed) else f"{type(exc).__name__}: {exc}"
        print(f"tidings: the self-test failed at “{step}”: {reason}", file=sys.stderr)
        return 1
    say("self-test passed")
    return 0


def _steps(library: Library, folder: Path) -> list[tuple[str, Callable[[], str]]]:
    return [
        ("store", lambda: f"opened a new library in {library.folder}"),
        ("resources", check_resources),
        ("feed", lambda: store_bundled_feed(library)),
        ("page", lambda: extract_bundled_page(library)),
        ("keyring", check_keyring_backend),
        ("topics", check_sentence_model),
        ("window", lambda: render_window(library, folder / "main-window.png")),
    ]


def _how_installed() -> str:
    if getattr(sys, "frozen", False):
        return "a packaged build"
    if os.environ.get("FLATPAK_ID"):
        return "Flatpak"
    return "from Python packages"


@contextmanager
def open_library(folder: Path) -> Iterator[Library]:
    from .core.credentials import MemoryCredentials
    from .core.library import Library

    library = Library(folder, credentials=MemoryCredentials())  # never the user's keyring
    try:
        yield library
    finally:
        library.close()


def check_resources() -> str:
    sizes = resources.ICON_SIZES
    files = (resources.icon_svg(), resources.desktop_file(), *map(resources.icon_png, sizes))
    missing = [str(p) for p in files if not p.is_file()]
    if missing:
        raise SelfTestFailed(f"files are missing from the package: {', '.join(missing)}.")
    return f"the icon (SVG and {len(sizes)} PNG sizes) and {APP_ID}.desktop are in the package"


def store_bundled_feed(library: Library) -> str:
    """Parse the bundled feed as a refresh does (parse_job) and store it as a new subscription would."""
    from .core.fetch import FetchResult
    from .core.refresh import body_hash, parse_job, store_feed
    from .core.storage import feeds as feed_store

    body = bundled("feed.xml")
    prepared = parse_job(body, FEED_URL, "application/atom+xml")
    if isinstance(prepared, str):
        raise SelfTestFailed(f"the bundled feed could not be parsed: {prepared}")
    result = FetchResult(FEED_URL, 200, body, "application/atom+xml")

    def subscribe(conn: sqlite3.Connection) -> int:
        feed_id = feed_store.add_feed(conn, FEED_URL, title=prepared.title, site_url=prepared.site_url)
        store_feed(feed_id, prepared, result, None, body_hash(result))(conn)
        return feed_id

    feed = library.feed(library.write(subscribe))
    if feed.total != len(prepared.rows) or not feed.total:
        raise SelfTestFailed(f"{len(prepared.rows)} stories were parsed but {feed.total} were stored.")
    hits = library.search("lighthouse")
    if not hits:
        raise SelfTestFailed("the stored stories cannot be found by full-text search.")
    return f"parsed “{feed.title}” and stored its {feed.total} stories (full-text search finds them)"


def extract_bundled_page(library: Library) -> str:
    """Extract the bundled page as the article of its story, and store it as fetching articles would."""
    from .core.articles import extract_job
    from .core.sanitize import search_text
    from .core.storage import articles as article_store

    story = next((s for s, _key in library.stories() if s.url == PAGE_URL), None)
    if story is None:
        raise SelfTestFailed(f"the bundled feed has no story for {PAGE_URL}.")
    row = extract_job(story.id, PAGE_URL, bundled("page.html"), "text/html; charset=utf-8", 0)
    if not row.is_article:
        raise SelfTestFailed(f"no article was extracted from the bundled page ({row.failure}).")
    if "stone quay" not in row.text or "Privacy" in row.text:
        raise SelfTestFailed("the article extracted from the bundled page is not the story it holds.")
    library.write(lambda conn: article_store.save(conn, row, search_text(row.html)))
    if not any(hit.story.id == story.id for hit in library.search("quay")):
        raise SelfTestFailed("the stored article cannot be found by full-text search.")
    words = len(row.text.split())
    return f"extracted “{row.title}” by {row.byline} ({words} words) from the bundled page and stored it"


# The modules the OS keyring needs, per system: a packaged build that lost one would quietly keep logins in
# memory only. Imported, never contacted: the self-test reads and writes no secret.
KEYRING_MODULES = {
    "linux": ("Secret Service", ("keyring.backends.SecretService", "secretstorage", "jeepney")),
    "win32": ("Windows Credential Locker", ("keyring.backends.Windows", "win32ctypes.pywin32.win32cred")),
    "darwin": ("macOS Keychain", ("keyring.backends.macOS", "keyring.backends.macOS.api")),
}


def check_keyring_backend() -> str:
    import importlib

    name, modules = KEYRING_MODULES.get(sys.platform, KEYRING_MODULES["linux"])
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError as exc:
            raise SelfTestFailed(f"the {name} back end of keyring cannot load ({exc}).") from exc
    return f"the {name} back end of keyring loads (not contacted: no secret is read or written)"


def check_sentence_model() -> str:
    """The sentence model behind topic suggestions loads and tells a match from a mismatch: a packaged build
    that lost onnxruntime, the model or its tokenizer would quietly suggest from words alone."""
    from tidings.core.topics_embed import embedder, unavailable_reason

    model = embedder()
    if model is None:
        raise SelfTestFailed(
            f"the sentence model for topic suggestions cannot load ({unavailable_reason()})."
        )
    match, other, probe = model.embed(
        ["The striker scored twice", "Interest rates rose again", "A late goal"]
    )
    if not float(probe @ match) > float(probe @ other):
        raise SelfTestFailed("the sentence model loads but its vectors make no sense.")
    return "the sentence model for topic suggestions loads and ranks a football headline with football"


def render_window(library: Library, path: Path, size: tuple[int, int] = WINDOW_SIZE) -> str:
    """Build the main window as `run_app` does (on `library`), show the first story, save a PNG to `path`."""
    use_offscreen_without_display()
    from .jobs.runner import JobRunner
    from .ui.app import _application
    from .ui.main_window import MainWindow

    app = _application()
    if app.windowIcon().pixmap(64, 64).isNull():
        raise SelfTestFailed("the window icon cannot be loaded (is the SVG icon engine missing?).")
    runner = JobRunner()
    window = MainWindow(library, runner)
    try:
        window.resize(*size)
        rows = window.stories_model.rowCount()
        if rows == 0:
            raise SelfTestFailed("the window shows no stories, although the library has some.")
        window.stories_view.setCurrentIndex(window.stories_model.index(0, 0))
        app.processEvents()
        if not window.grab().save(str(path)) or path.stat().st_size < MIN_SCREENSHOT_BYTES:
            raise SelfTestFailed(f"the screenshot of the window could not be saved to {path}, or is empty.")
    finally:
        stopped = runner.shutdown(JOB_WAIT_MS)
        window.deleteLater()
    if not stopped:
        raise SelfTestFailed(f"a background job of the window did not end within {JOB_WAIT_MS / 1000:g} s.")
    kb = path.stat().st_size // 1024
    where = f"Qt platform {app.platformName()}"
    return f"rendered the main window with {rows} stories ({where}, {size[0]}×{size[1]}, {kb} KB PNG)"


def use_offscreen_without_display() -> None:
    """Qt's offscreen platform when Linux has no display: Qt would abort the process. With a display the
    real platform plugin loads (that is part of the check), but the window is never shown."""
    if not os.environ.get("QT_QPA_PLATFORM") and sys.platform.startswith("linux"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
