"""Extraction benchmark: the shared evaluator on the scrapinghub dev set, Tidings side by side with
readability-lxml (and trafilatura with favor_precision when it is installed). Prints the table; asserts nothing.

    python tests/benchmarks/extraction.py [--shared ../shared] [extra evaluate.py arguments...]

Exits 0 with a note when the shared benchmark folder is not beside the checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    args, extra = parse_args()
    shared = Path(args.shared)
    evaluator = shared / "tools" / "extraction" / "evaluate.py"
    dataset = shared / "benchmarks" / "extraction" / "scrapinghub-dev"
    if not evaluator.exists() or not dataset.exists():
        print(f"benchmark: {evaluator} or {dataset} not found; nothing to measure.")
        return 0
    command = [sys.executable, str(evaluator), str(dataset), *extractor_flags(), *extra]
    env = {**os.environ, "PROJECT_DIR": str(ROOT / "desktop")}
    return subprocess.run(command, env=env, check=False).returncode


def extractor_flags() -> list[str]:
    flags = ["-e", "project", "-e", "readability_lxml"]
    if importlib.util.find_spec("trafilatura") is not None:
        flags += ["-e", "trafilatura_precision"]
    return flags


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder")
    return parser.parse_known_args()


if __name__ == "__main__":
    sys.exit(main())
