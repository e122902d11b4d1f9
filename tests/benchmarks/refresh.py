"""Refresh benchmark: `tidings refresh` against the loopback feed server, first (all 200) and second
(all 304) run, wall and CPU time, peak memory. Prints figures; asserts nothing.

    python tests/benchmarks/refresh.py [--feeds 1000] [--latency-ms 100] [--hosts 16] [--shared ../shared]

Needs ../shared/tools/feeds/feedserver.py (beside the checkout) and the project installed (`tidings`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    args = parse_args()
    server_py = Path(args.shared) / "tools" / "feeds" / "feedserver.py"
    if not server_py.exists():
        print(f"benchmark: {server_py} not found; pass --shared DIR", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="tidings-bench-"))
    server, port = start_server(server_py, work, args)
    try:
        base = f"http://127.0.0.1:{port}"
        (work / "feeds.opml").write_bytes(urllib.request.urlopen(base + "/feeds.opml").read())
        compile_bytecode()
        results: dict[str, list[dict[str, float]]] = {"first": [], "second": []}
        for run in range(1, args.runs + 1):
            data = work / f"data-{run}"
            run_tidings(data, "import-opml", str(work / "feeds.opml"))
            for label in ("first", "second"):
                urllib.request.urlopen(base + "/control/reset-stats").read()
                server_cpu = process_cpu(server.pid)
                figures = timed_refresh(data)
                figures["server_cpu"] = process_cpu(server.pid) - server_cpu
                stats = json.loads(urllib.request.urlopen(base + "/stats").read())
                report(f"run {run}, {label}", figures, stats)
                results[label].append(figures)
        for label, runs in results.items():
            print(
                f"median of {len(runs)}, {label} refresh: wall {median(r['wall'] for r in runs):.2f} s, "
                f"CPU {median(r['cpu'] for r in runs):.2f} s, peak memory "
                f"{median(r['tree_peak_pss_mb'] for r in runs):.0f} MB PSS"
            )
        stories = json.loads(run_tidings(data, "stories", "--limit", "1", "--json"))
        print(
            f"store: {data / 'tidings.sqlite3'} ({(data / 'tidings.sqlite3').stat().st_size / 1e6:.0f} MB),"
            f" newest story: {stories[0]['title'][:60] if stories else '-'}"
        )
    finally:
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/control/quit", timeout=2).read()
        server.wait(timeout=10)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def compile_bytecode() -> None:
    """An installed app has its bytecode compiled (pip does it); a source checkout run with
    PYTHONDONTWRITEBYTECODE would recompile every module on every start."""
    import compileall

    import tidings

    compileall.compile_dir(Path(tidings.__file__).parent, quiet=1)


def process_cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--feeds", type=int, default=1000)
    p.add_argument("--latency-ms", default="100")
    p.add_argument("--hosts", type=int, default=16)
    p.add_argument("--shared", default=str(ROOT.parent / "shared"))
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder")
    p.add_argument(
        "--runs", type=int, default=3, help="fresh libraries to refresh twice each (median printed)"
    )
    return p.parse_args()


def start_server(
    server_py: Path, work: Path, args: argparse.Namespace
) -> tuple[subprocess.Popen[bytes], int]:
    port_file = work / "port"
    cmd = [
        sys.executable,
        str(server_py),
        "-n",
        str(args.feeds),
        "--latency-ms",
        args.latency_ms,
        "--hosts",
        str(args.hosts),
        "--port",
        "0",
        "--port-file",
        str(port_file),
        "--max-lifetime-s",
        "900",
    ]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    for _ in range(300):
        if port_file.exists():
            return server, int(port_file.read_text())
        time.sleep(0.05)
    server.kill()
    raise SystemExit("benchmark: the feed server did not start")


def tidings_cmd() -> list[str]:
    exe = shutil.which("tidings", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "tidings"]


def run_tidings(data: Path, *args: str) -> str:
    out = subprocess.run([*tidings_cmd(), "--data-dir", str(data), *args], capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"benchmark: tidings {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout


def timed_refresh(data: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [*tidings_cmd(), "--data-dir", str(data), "refresh", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    sampler = TreeMemory(proc.pid)
    sampler.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - started
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"benchmark: refresh failed: {err.decode().strip()}")
    result = json.loads(out)
    sampled = sum(sampler.cpu.values())  # every process of the tree, last value seen (100 ms samples)
    reaped = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "wall": wall,
        # worker processes reaped by a fork server are not in RUSAGE_CHILDREN: sample the whole tree too
        "cpu": max(reaped, sampled),
        "tree_peak_mb": sampler.peak / 1e6,
        "tree_peak_pss_mb": sampler.peak_pss / 1e6,
        "feeds": result["feeds"],
        "new": result["new"],
        "by_status": result["by_status"],
    }


class TreeMemory(threading.Thread):
    """Samples the summed RSS of a process and its descendants, and the CPU each descendant used
    (Linux /proc): worker processes reaped by a fork server are not in RUSAGE_CHILDREN."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.peak_pss, self._halt = pid, 0, 0, threading.Event()
        # Reading smaps_rollup walks page tables: sampling too often slows what is measured.
        self.interval = float(os.environ.get("TIDINGS_BENCH_SAMPLE_S", "0.1"))
        self.cpu: dict[int, float] = {}

    def run(self) -> None:
        while not self._halt.wait(self.interval):
            pids = tree(self.pid)
            self.peak = max(self.peak, sum(rss(p) for p in pids))
            self.peak_pss = max(self.peak_pss, sum(pss(p) for p in pids))
            for p in pids:
                with contextlib.suppress(OSError, IndexError, ValueError):
                    self.cpu[p] = max(self.cpu.get(p, 0.0), process_cpu(p))

    def stop(self) -> None:
        self._halt.set()
        self.join()


def tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        p = todo.pop()
        found.append(p)
        try:
            children = Path(f"/proc/{p}/task/{p}/children").read_text().split()
        except OSError:
            continue
        todo += [int(c) for c in children]
    return found


def rss(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE")


def pss(pid: int) -> int:
    """Proportional set size: pages shared with the fork server and sibling workers counted once."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def report(label: str, f: dict[str, float], stats: dict[str, object]) -> None:
    print(
        f"{label} refresh: wall {f['wall']:.2f} s, CPU {f['cpu']:.2f} s (the process tree), "
        f"peak memory {f['tree_peak_pss_mb']:.0f} MB PSS ({f['tree_peak_mb']:.0f} MB RSS summed), "
        f"{f['feeds']} feeds, {f['new']} new stories, statuses {f['by_status']}; "
        f"server: {stats.get('requests')} requests, status {stats.get('status')}, "
        f"{stats.get('conditional')} conditional, {stats.get('gzip')} gzip, {f['server_cpu']:.2f} s CPU"
    )


if __name__ == "__main__":
    sys.exit(main())
