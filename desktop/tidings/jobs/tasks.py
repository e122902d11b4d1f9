"""Plain functions the window runs as jobs: core calls plus the file and lock handling around them.

No Qt here: each runs on a worker thread and is as testable as the core.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from tidings.core.errors import UserInputError
from tidings.core.library import ImportReport, Library
from tidings.core.models import RefreshReport

if TYPE_CHECKING:
    from tidings.core.refresh import Progress  # the network stack: loaded by the refresh itself


def refresh_feeds(
    library: Library, ids: list[int] | None = None, *, cancel: threading.Event, progress: Progress
) -> RefreshReport:
    """Refresh the due feeds (or `ids`, due or not), unless another Tidings process is refreshing (then
    StoreBusyError)."""
    lock = library.lock("refresh", "refreshing feeds")
    lock.acquire(timeout=0)
    try:
        return library.refresh(ids, progress=progress, cancel=cancel)
    finally:
        lock.release()


def import_opml_file(library: Library, path: Path) -> ImportReport:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserInputError(f"{path} cannot be read: {exc.strerror or exc}.") from exc
    return library.import_opml(data)


def export_opml_file(library: Library, path: Path) -> Path:
    data = library.export_opml()
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UserInputError(f"{path} cannot be written: {exc.strerror or exc}.") from exc
    return path


def allow_images(library: Library, feed_id: int, *, cancel: threading.Event) -> object:
    """Let a feed download its articles' images, and download them now (the reader shows them after)."""
    library.set_images(feed_id, True)
    return library.fetch_articles(cancel=cancel)
