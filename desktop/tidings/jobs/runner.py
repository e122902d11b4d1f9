"""Background work for the window: plain core callables on a thread pool, results back on the GUI thread.

Workers never touch widgets. A worker only emits the runner's private signals; those are queued to the
runner's slots, which run on the GUI thread and call the job's callbacks there.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

from tidings.core.errors import TidingsError

logger = logging.getLogger(__name__)

MAX_THREADS = 4

Done = Callable[[Any], None]
Failed = Callable[["JobFailure"], None]
Progressed = Callable[..., None]


class _Marker:
    """A keyword value that the runner replaces with something that belongs to the job."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


CANCEL = _Marker("the job's cancel event")
"""Pass as a keyword value (`cancel=CANCEL`): the callable receives the job's `threading.Event`."""
PROGRESS = _Marker("the job's progress callback")
"""Pass as a keyword value (`progress=PROGRESS`): the callable receives a thread-safe progress callback
whose arguments reach `on_progress` on the GUI thread."""


@dataclass(frozen=True, slots=True)
class JobFailure:
    """Why a job failed: `message` is a sentence for the user; `error` is the exception itself."""

    message: str
    error: BaseException


@dataclass(eq=False)
class Job:
    """One submitted piece of work. `cancel()` sets the event that was handed to the callable."""

    id: int
    name: str
    cancel_event: threading.Event = field(default_factory=threading.Event)
    on_done: Done | None = None
    on_error: Failed | None = None
    on_progress: Progressed | None = None

    def cancel(self) -> None:
        self.cancel_event.set()

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()


def internal_error_message(exc: BaseException) -> str:
    return f"Tidings hit an internal error ({type(exc).__name__}: {exc}). Please report it."


class JobRunner(QObject):
    """Runs callables on a small `QThreadPool` and delivers their outcome on the GUI thread."""

    job_finished = Signal(int, object)  # job id, result
    job_failed = Signal(int, object)  # job id, JobFailure
    job_progressed = Signal(int, tuple)  # job id, the progress callback's arguments

    _result_ready = Signal(int, object)
    _failure_ready = Signal(int, object)
    _progress_ready = Signal(int, tuple)

    def __init__(self, parent: QObject | None = None, *, max_threads: int = MAX_THREADS):
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(max_threads)
        self._jobs: dict[int, Job] = {}
        self._ids = itertools.count(1)
        self._closed = False
        queued = Qt.ConnectionType.QueuedConnection  # always: the emitter is a worker thread
        self._result_ready.connect(self._on_result_ready, queued)
        self._failure_ready.connect(self._on_failure_ready, queued)
        self._progress_ready.connect(self._on_progress_ready, queued)

    # -- public -----------------------------------------------------------------------------------
    def submit(
        self,
        fn: Callable[..., Any],
        *args: Any,
        on_done: Done | None = None,
        on_error: Failed | None = None,
        on_progress: Progressed | None = None,
        **kwargs: Any,
    ) -> Job:
        """Run `fn(*args, **kwargs)` on a worker; keyword values CANCEL and PROGRESS are filled in."""
        if self._closed:
            raise RuntimeError("The job runner is shut down.")
        job = Job(next(self._ids), _name_of(fn), on_done=on_done, on_error=on_error, on_progress=on_progress)
        self._jobs[job.id] = job
        bound = {key: self._fill(job, value) for key, value in kwargs.items()}
        self._pool.start(functools.partial(self._work, job, fn, args, bound))
        return job

    def active(self) -> list[Job]:
        """Jobs submitted and not delivered yet."""
        return list(self._jobs.values())

    def cancel_all(self) -> None:
        for job in self._jobs.values():
            job.cancel()

    def shutdown(self, timeout_ms: int = 3000) -> bool:
        """Cancel everything, drop queued jobs, wait at most `timeout_ms`; True when no worker is left."""
        self._closed = True
        self.cancel_all()
        self._pool.clear()
        finished = self._pool.waitForDone(timeout_ms)
        self._jobs.clear()
        if not finished:
            logger.warning("%d background jobs were still running at exit", self._pool.activeThreadCount())
        return finished

    # -- worker side ------------------------------------------------------------------------------
    def _fill(self, job: Job, value: Any) -> Any:
        if value is CANCEL:
            return job.cancel_event
        if value is PROGRESS:
            return functools.partial(self._report, job.id)
        return value

    def _report(self, job_id: int, *values: Any) -> None:
        self._progress_ready.emit(job_id, values)

    def _work(self, job: Job, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            result = fn(*args, **kwargs)
        except TidingsError as exc:
            self._failure_ready.emit(job.id, JobFailure(str(exc), exc))
        except Exception as exc:  # a bug: logged with its traceback, shown as one sentence
            logger.exception("background job %s failed", job.name)
            self._failure_ready.emit(job.id, JobFailure(internal_error_message(exc), exc))
        else:
            self._result_ready.emit(job.id, result)

    # -- GUI side ---------------------------------------------------------------------------------
    @Slot(int, object)
    def _on_result_ready(self, job_id: int, result: object) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None or self._closed:
            return
        _call(job.on_done, result)
        self.job_finished.emit(job_id, result)

    @Slot(int, object)
    def _on_failure_ready(self, job_id: int, failure: JobFailure) -> None:
        job = self._jobs.pop(job_id, None)
        if job is None or self._closed:
            return
        if job.on_error is None:
            logger.warning("background job %s failed: %s", job.name, failure.message)
        _call(job.on_error, failure)
        self.job_failed.emit(job_id, failure)

    @Slot(int, tuple)
    def _on_progress_ready(self, job_id: int, values: tuple[Any, ...]) -> None:
        job = self._jobs.get(job_id)
        if job is None or self._closed:
            return
        if job.on_progress is not None and _receiver_alive(job.on_progress):
            job.on_progress(*values)
        self.job_progressed.emit(job_id, values)


def _call(callback: Callable[[Any], None] | None, value: object) -> None:
    if callback is not None and _receiver_alive(callback):
        callback(value)


def _receiver_alive(callback: Callable[..., Any]) -> bool:
    """False when the callback is a method of a Qt object already deleted (a window closed meanwhile)."""
    while isinstance(callback, functools.partial):
        callback = callback.func
    owner = getattr(callback, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


def _name_of(fn: Callable[..., Any]) -> str:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return getattr(fn, "__qualname__", repr(fn))
