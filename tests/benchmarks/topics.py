"""Topics benchmark: the shared evaluator on the dev set, same-story grouping (B-cubed F1, ms per story) and
topic suggestions (balanced accuracy with 5 and 20 examples per topic), Tidings beside the evaluator's TF-IDF
baselines. Prints the tables; asserts nothing.

    python tests/benchmarks/topics.py [--shared ../shared] [--python PY] [extra evaluate.py arguments...]

The evaluator needs numpy, which Tidings' own environment has (the sentence model behind suggestions needs
it); --python runs it under another interpreter. Exits 0 with a note when the shared folder is not beside
the checkout.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
METHODS = "project,tfidf_online,tfidf_centroid"


def main() -> int:
    args, extra = parse_args()
    shared = Path(args.shared)
    evaluator = shared / "tools" / "topics" / "evaluate.py"
    dataset = shared / "benchmarks" / "topics"
    if not evaluator.exists() or not dataset.exists():
        print(f"benchmark skipped: {evaluator} or {dataset} not found; nothing to measure.")
        return 0
    if not has_numpy(args.python):
        print(f"benchmark skipped: the evaluator needs numpy, which {args.python} lacks (try --python).")
        return 0
    command = [args.python, str(evaluator), "--methods", args.methods, *extra]
    print("$", " ".join(command), flush=True)
    env = {**os.environ, "PROJECT_DIR": str(ROOT / "desktop")}
    return subprocess.run(command, env=env, check=False).returncode


def has_numpy(python: str) -> bool:
    probe = subprocess.run([python, "-c", "import numpy"], capture_output=True, check=False)
    return probe.returncode == 0


def parse_args() -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=str(ROOT.parent / "shared"), help="the shared folder")
    parser.add_argument("--python", default=sys.executable, help="interpreter for the evaluator")
    parser.add_argument("--methods", default=METHODS, help=f"evaluator methods (default {METHODS})")
    return parser.parse_known_args()


if __name__ == "__main__":
    sys.exit(main())
