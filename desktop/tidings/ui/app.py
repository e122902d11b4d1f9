"""Starting the window: the application, the library, the job runner and the main window, wired by hand.

Everything is built here and passed down through constructors; nothing is global.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from tidings import APP_ID, APP_NAME, __version__, resources
from tidings.core import paths
from tidings.core.credentials import LazyCredentials
from tidings.core.errors import StoreBusyError, StoreError
from tidings.core.library import Library
from tidings.jobs.runner import JobRunner

from .main_window import MainWindow
from .messages import show_error
from .preferences import Preferences
from .screenshot import ScreenshotRequest, take_screenshot

logger = logging.getLogger(__name__)

SHUTDOWN_MS = 3000
HEADLESS_PLATFORMS = frozenset({"offscreen", "minimal"})


class WarningRelay(QObject):
    """Carries a warning from whichever thread noticed it (the keyring opens on a worker) to the window."""

    warned = Signal(str)


def run_app(data_dir: str | None, *, screenshot: ScreenshotRequest | None = None) -> int:
    """Show the main window for the library in `data_dir` (or save it as `screenshot` says and quit);
    returns the process exit code."""
    app = _application()
    relay = WarningRelay()
    folder = paths.data_dir(data_dir)
    try:
        library = Library(folder, credentials=LazyCredentials(relay.warned.emit))
    except (StoreError, OSError) as exc:
        return _fail_to_open(app, _open_error(folder, exc))
    try:
        if screenshot is not None:
            code, clean = take_screenshot(app, library, relay, screenshot)
        else:
            code, clean = _run_window(app, library, relay)
    finally:
        library.close()
    if not clean:
        _exit_now(code)
    return code


def _application() -> QApplication:
    QApplication.setApplicationName(APP_NAME)
    QApplication.setOrganizationName(APP_NAME)
    QApplication.setOrganizationDomain("tidings.github.io")
    QApplication.setApplicationVersion(__version__)
    QApplication.setDesktopFileName(APP_ID)
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    app.setWindowIcon(QIcon(str(resources.icon_svg())))
    return app


def _run_window(app: QApplication, library: Library, relay: WarningRelay) -> tuple[int, bool]:
    """Runs the event loop; returns the exit code and whether every background job stopped in time."""
    lock = library.lock("window", "showing the Tidings window")
    try:
        lock.acquire(timeout=0)
    except StoreBusyError:
        print(f"tidings: Tidings is already open for {library.folder}; use that window.", file=sys.stderr)
        return 1, True
    try:
        runner = JobRunner()
        settings = QSettings()
        window = MainWindow(library, runner, settings=settings, preferences=Preferences(settings))
        relay.warned.connect(window.on_warning_received, Qt.ConnectionType.QueuedConnection)
        window.show()
        _quit_on_interrupt(app)
        code = app.exec()
        return code, runner.shutdown(SHUTDOWN_MS)
    finally:
        lock.release()


def _quit_on_interrupt(app: QApplication) -> None:
    # WORKAROUND: Python runs signal handlers only between bytecodes, and Qt's event loop is C++, so Ctrl+C
    # in the terminal does nothing; a timer hands control back to Python now and then.
    signal.signal(signal.SIGINT, lambda *_args: app.quit())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)


def _open_error(folder: Path, exc: StoreError | OSError) -> str:
    if isinstance(exc, StoreError):
        return str(exc)
    return f"The library folder {folder} cannot be used: {exc.strerror or exc}."


def _fail_to_open(app: QApplication, message: str) -> int:
    print(f"tidings: {message}", file=sys.stderr)
    if app.platformName() not in HEADLESS_PLATFORMS:
        show_error(None, APP_NAME, message)
    return 1


def _exit_now(code: int) -> None:
    """Leave although a worker is still busy (a fetch can run until its deadline): the store is closed and
    everything acknowledged is on disk, and QThreadPool's destructor would otherwise wait without limit."""
    logger.warning("leaving with background work still running")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
