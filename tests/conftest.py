"""Test setup: Qt offscreen, GUI tests marked, a loopback HTTP server, a fresh library per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("TIDINGS_DATA_DIR", None)

from tests.loopback import LoopbackServer


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/ui" in item.nodeid or "qtbot" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.gui)


@pytest.fixture
def server() -> Iterator[LoopbackServer]:
    srv = LoopbackServer().start()
    yield srv
    srv.stop()


@pytest.fixture
def library(tmp_path: Path) -> Iterator[object]:
    from tidings.core.credentials import MemoryCredentials
    from tidings.core.library import Library
    from tidings.core.models import FetchPolicy

    policy = FetchPolicy(connect_timeout=2, read_timeout=2, deadline=5)
    lib = Library(tmp_path / "data", credentials=MemoryCredentials(), policy=policy)
    yield lib
    lib.close()
