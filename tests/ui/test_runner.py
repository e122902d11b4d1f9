"""The job runner: work on a pool thread, outcomes on the GUI thread, cancel and shutdown."""

from __future__ import annotations

import logging
import threading

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from tidings.core.errors import UserInputError
from tidings.jobs.runner import CANCEL, PROGRESS, JobFailure, JobRunner


def test_a_result_is_delivered_on_the_gui_thread(qtbot: QtBot, runner: JobRunner) -> None:
    seen: list[tuple[object, bool]] = []
    worker: list[bool] = []

    def work(a: int, b: int) -> int:
        worker.append(threading.current_thread() is threading.main_thread())
        return a + b

    with qtbot.waitSignal(runner.job_finished) as blocker:
        job = runner.submit(work, 2, 3, on_done=lambda v: seen.append((v, _on_gui_thread())))
    assert blocker.args == [job.id, 5]
    assert seen == [(5, True)] and worker == [False]
    assert runner.active() == []


def test_a_known_error_gives_its_sentence(qtbot: QtBot, runner: JobRunner) -> None:
    failures: list[JobFailure] = []

    def work() -> None:
        raise UserInputError("That address is not a feed.")

    with qtbot.waitSignal(runner.job_failed):
        runner.submit(work, on_done=lambda _v: pytest.fail("no result expected"), on_error=failures.append)
    assert [f.message for f in failures] == ["That address is not a feed."]
    assert isinstance(failures[0].error, UserInputError)


def test_a_bug_is_logged_and_reported_as_an_internal_error(
    qtbot: QtBot, runner: JobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    failures: list[JobFailure] = []

    def work() -> None:
        raise KeyError("oops")

    with caplog.at_level(logging.ERROR, logger="tidings.jobs.runner"), qtbot.waitSignal(runner.job_failed):
        runner.submit(work, on_error=lambda f: failures.append(f) if _on_gui_thread() else None)
    assert failures[0].message.startswith("Tidings hit an internal error (KeyError")
    assert "Traceback" in caplog.text or caplog.records[0].exc_info is not None


def test_progress_reaches_the_gui_thread_and_cancel_reaches_the_work(qtbot: QtBot, runner: JobRunner) -> None:
    started, progress = threading.Event(), []

    def work(*, cancel: threading.Event, progress: object) -> str:
        progress(1, 2)  # type: ignore[operator]
        started.set()
        return "cancelled" if cancel.wait(10) else "not cancelled"

    def on_progress(done: int, total: int) -> None:
        progress.append((done, total, _on_gui_thread()))

    results: list[str] = []
    with qtbot.waitSignal(runner.job_progressed):
        job = runner.submit(
            work, cancel=CANCEL, progress=PROGRESS, on_progress=on_progress, on_done=results.append
        )
    assert progress == [(1, 2, True)]
    assert started.wait(5)
    with qtbot.waitSignal(runner.job_finished):
        job.cancel()
    assert results == ["cancelled"] and job.cancelled


def test_shutdown_cancels_running_work_and_drops_its_result(qtbot: QtBot) -> None:
    runner = JobRunner(max_threads=1)
    started = threading.Event()
    delivered: list[object] = []

    def work(*, cancel: threading.Event) -> bool:
        started.set()
        return cancel.wait(10)

    running = runner.submit(work, cancel=CANCEL, on_done=delivered.append)
    queued = runner.submit(work, cancel=CANCEL, on_done=delivered.append)
    assert started.wait(5)
    assert runner.shutdown(5_000)
    assert running.cancelled and queued.cancelled
    QCoreApplication.processEvents()  # deliver whatever was queued: there must be nothing
    assert delivered == []
    with pytest.raises(RuntimeError):
        runner.submit(work, cancel=CANCEL)


def _on_gui_thread() -> bool:
    return threading.current_thread() is threading.main_thread()
