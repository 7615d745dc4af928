"""Time every registered explorer's update (compute + render to PNG) at its default settings.

An explorer is the learner's main way of asking "what if?", so each redraw must feel immediate:
the bar is a median of at most 200 ms per update (aim: 100 ms), on one BLAS thread, Agg backend.
The script walks `mtl_edu.teaching.explorers.EXPLORERS` (every lesson's explorers, registered by importing `mtl_edu.lessons`), so explorers added by later lessons are timed too.

    python benchmarks/bench_explorers.py            # 15 timed runs each; exits 1 if a median > 200 ms
    python benchmarks/bench_explorers.py --runs 3   # quicker
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

from threadpoolctl import threadpool_limits  # noqa: E402

import mtl_edu.lessons  # noqa: E402,F401  (importing the lessons registers their explorers)
from mtl_edu.teaching.explorers import EXPLORERS, figure_to_png  # noqa: E402

BAR_MS = 200.0


def time_update(update, controls: dict, runs: int) -> tuple:
    """Wall-clock and CPU milliseconds per update+render, `runs` runs after one untimed warm-up.

    The bar is on wall-clock time, what a learner waits; CPU time is printed beside it because it
    hardly changes when other programs compete for the cores, so it tells a slow explorer from a busy machine.
    """
    result = update(**controls)
    if isinstance(result, str):
        raise ValueError(f"default settings produce a message instead of a figure: {result}")
    figure_to_png(result)
    wall, cpu = [], []
    for _ in range(runs):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        figure_to_png(update(**controls))
        wall.append(1000.0 * (time.perf_counter() - wall_start))
        cpu.append(1000.0 * (time.process_time() - cpu_start))
    return wall, cpu


def main(argv: list | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per explorer (default: %(default)s)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")

    medians = {}
    with threadpool_limits(limits=1):
        for name, (update, defaults) in EXPLORERS.items():
            wall, cpu = time_update(update, defaults, args.runs)
            medians[name] = statistics.median(wall)
            print(f"{name:<24} median {medians[name]:7.1f} ms   max {max(wall):7.1f} ms   "
                  f"(CPU median {statistics.median(cpu):6.1f} ms, {args.runs} runs)", flush=True)
    slowest = max(medians, key=medians.get)
    print(f"slowest median: {slowest} {medians[slowest]:.1f} ms (bar {BAR_MS:.0f} ms)")
    over = [name for name, median in medians.items() if median > BAR_MS]
    if over:
        print(f"FAIL: median above {BAR_MS:.0f} ms: {', '.join(over)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
