"""Guards against a Qt binding that corrupts None's reference count (PySide6 6.12.0 on Python < 3.12):
the window then aborts with "none_dealloc" after some use, at the latest on exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QModelIndex, Qt


def test_invalid_qvariants_do_not_eat_references_to_none() -> None:
    before = sys.getrefcount(None)
    for _ in range(2000):
        QModelIndex().data(Qt.ItemDataRole.DisplayRole)
    assert sys.getrefcount(None) >= before - 50


def test_the_window_opens_and_quits_cleanly(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from PySide6.QtCore import QTimer\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(sys.argv[:1])\n"
        "QTimer.singleShot(1500, app.quit)\n"
        "from tidings.ui.app import run_app\n"
        f"sys.exit(run_app({str(tmp_path / 'lib')!r}))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert "none_dealloc" not in out.stderr and "Traceback" not in out.stderr
    assert (tmp_path / "lib" / "tidings.sqlite3").exists()
