"""Render time of hostile and real pages in the reader (target: each under 100 ms).

    python tests/benchmarks/reader.py [--runs 3]

Prints, for every page of tests/hardening/hostile_pages.py, the median time from `show_story` to a painted
reader (offscreen), and whether it is within the target.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from PySide6.QtWidgets import QApplication
from tests.hardening.hostile_pages import pages

from tidings.core.models import Story
from tidings.ui.reader_view import ReaderView

TARGET_MS = 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    reader = ReaderView()
    reader.resize(900, 700)
    reader.show()
    print(f"{'page':<22} {'median ms':>10}  target {TARGET_MS:.0f} ms")
    worst = 0.0
    for name, html in sorted(pages().items()):
        story = Story(
            1, 1, name, "https://news.example/a", datetime.now(UTC), False, False, "Feed", content_html=html
        )
        times = []
        for _ in range(args.runs):
            started = time.perf_counter()
            reader.show_story(story)
            reader.grab()
            app.processEvents()
            times.append((time.perf_counter() - started) * 1000)
        median = statistics.median(times)
        worst = max(worst, median)
        print(f"{name:<22} {median:>10.1f}  {'ok' if median <= TARGET_MS else 'OVER'}")
    print(f"worst: {worst:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
