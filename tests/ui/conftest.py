"""Window-test fixtures: a job runner that is shut down after each test, and a shown main window."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tidings.core.library import Library
from tidings.jobs.runner import JobRunner
from tidings.ui.main_window import MainWindow


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[JobRunner]:
    jobs = JobRunner()
    yield jobs
    assert jobs.shutdown(10_000), "a background job outlived its test"


@pytest.fixture
def make_window(qtbot: QtBot, library: Library, runner: JobRunner) -> Iterator[Callable[[], MainWindow]]:
    """Builds the window from the same pieces as `run_app` (after the test has stocked the library)."""

    def make() -> MainWindow:
        window = MainWindow(library, runner)
        qtbot.addWidget(window)
        window.resize(1200, 720)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()  # shortcuts only reach the active window
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        return window

    yield make
    runner.shutdown(10_000)  # before the window goes: no result is delivered to a closed window
