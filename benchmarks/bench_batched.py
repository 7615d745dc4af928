"""Time 16 seeds trained as one ModelBatch against the same 16 networks trained one after another.

Both sides run the same full-batch Adam steps through the engine, on one BLAS thread, in paired
rounds (order alternating); the figure is the median over rounds of the per-round speed-up
(sequential time / batched time). The first two nets are the course's seed studies: lesson 05's
transfer network (10 → 2 → 2, two heads, 120 examples), whose time is Python's cost per operation
and which carries the bar, and lesson 10's penguin network (6 → 16 → 16, three heads, 240
examples). The third, a 4-layer tanh MLP of width 32 on 128 examples, shows where batching stops
paying: once the arithmetic (a tanh and a few element-wise passes over every unit) is most of the
time, it is the same either way, and only the per-operation cost is saved.

    python benchmarks/bench_batched.py            # full run, prints a table, exits 1 below the bar
    python benchmarks/bench_batched.py --quick    # a few rounds, for a smoke test
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits

from mtl_edu import nn
from mtl_edu.nets.batched import ModelBatch
from mtl_edu.nets.multitask import HardSharingNet, task_loss
from mtl_edu.nets.optim import Adam

SEEDS = 16
BAR = 6.0  # the speed-up the course needs for 10-32 seeds per lesson within its time budget


@dataclass
class Case:
    name: str
    make: object       # seed -> network
    X: np.ndarray      # (SEEDS, N, d)
    targets: list      # per output: (SEEDS, N, k)
    steps: int
    bar: float | None  # the speed-up this case must reach, or None (shown for information)


def joint_loss(outputs, targets, per_model):
    outputs = outputs if isinstance(outputs, list) else [outputs]
    loss = None
    for output, target in zip(outputs, targets):
        term = task_loss("regression", output, target, per_model=per_model)
        loss = term if loss is None else loss + term
    return loss


def train_one_by_one(case: Case) -> list:
    nets = [case.make(seed) for seed in range(SEEDS)]
    for s, net in enumerate(nets):
        optimizer = Adam(net.parameters(), lr=0.01)
        for _ in range(case.steps):
            optimizer.zero_grad()
            joint_loss(net(case.X[s]), [target[s] for target in case.targets], False).backward()
            optimizer.step()
    return nets


def train_batched(case: Case) -> list:
    nets = [case.make(seed) for seed in range(SEEDS)]
    batch = ModelBatch(nets)
    optimizer = Adam(batch.parameters(), lr=0.01)
    for _ in range(case.steps):
        optimizer.zero_grad()
        joint_loss(batch(case.X), case.targets, True).sum().backward()
        optimizer.step()
    return batch.unstack()


def default_cases(steps: int = 30) -> list:
    rng = np.random.default_rng(0)
    transfer_X = rng.normal(size=(SEEDS, 120, 10))
    penguin_X = rng.normal(size=(SEEDS, 240, 6))
    mlp_X = rng.normal(size=(SEEDS, 128, 8))
    return [
        Case("lesson 05 transfer net (10-2-2, 2 heads, N=120)",
             lambda seed: HardSharingNet(10, [2, 2], [1, 1], branch_depth=2, rng=seed), transfer_X,
             [rng.normal(size=(SEEDS, 120, 1)) for _ in range(2)], steps, BAR),
        Case("lesson 10 penguin net (6-16-16, 3 heads, N=240)",
             lambda seed: HardSharingNet(6, [16, 16], [1, 1, 1], branch_depth=2, rng=seed), penguin_X,
             [rng.normal(size=(SEEDS, 240, 1)) for _ in range(3)], steps, None),
        Case("tanh MLP 8-32-32-32-1 (N=128), compute-bound",
             lambda seed: nn.MLP([8, 32, 32, 32, 1], activation="tanh", rng=seed), mlp_X,
             [rng.normal(size=(SEEDS, 128, 1))], steps, None),
    ]


def max_weight_difference(case: Case) -> float:
    """How far the batched weights are from the one-by-one weights (both paths train the same nets)."""
    alone, batched = train_one_by_one(case), train_batched(case)
    return max(float(np.max(np.abs(p.data - q.data)))
               for a, b in zip(alone, batched) for p, q in zip(a.parameters(), b.parameters()))


def measure(case: Case, rounds: int) -> dict:
    speedups, sequential_times, batched_times = [], [], []
    for r in range(rounds):
        order = (train_one_by_one, train_batched) if r % 2 == 0 else (train_batched, train_one_by_one)
        times = {}
        for run in order:
            start = time.perf_counter()
            run(case)
            times[run] = time.perf_counter() - start
        sequential_times.append(times[train_one_by_one])
        batched_times.append(times[train_batched])
        speedups.append(times[train_one_by_one] / times[train_batched])
    return {"case": case.name, "bar": case.bar, "sequential_ms": 1e3 * statistics.median(sequential_times) / case.steps,
            "batched_ms": 1e3 * statistics.median(batched_times) / case.steps,
            "speedup": statistics.median(speedups), "max_difference": max_weight_difference(case)}


def format_table(results) -> str:
    lines = [f"{'case':<48} {'16 one by one':>14} {'16 batched':>11} {'speed-up':>9} {'bar':>5} {'max |Δw|':>9}",
             f"{'':<48} {'(ms / step)':>14} {'(ms / step)':>11} {'(median)':>9}"]
    for r in results:
        bar = f"{r['bar']:g}×" if r["bar"] else "-"
        lines.append(f"{r['case']:<48} {r['sequential_ms']:>14.2f} {r['batched_ms']:>11.2f} "
                     f"{r['speedup']:>8.1f}× {bar:>5} {r['max_difference']:>9.1e}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 5 steps")
    args = parser.parse_args(argv)
    rounds, steps = (3, 5) if args.quick else (9, 30)
    with threadpool_limits(limits=1):
        results = [measure(case, rounds) for case in default_cases(steps)]
    print(f"{SEEDS} seeds, full-batch Adam, one BLAS thread, median of {rounds} paired rounds")
    print(format_table(results))
    slow = [r["case"] for r in results if r["bar"] and r["speedup"] < r["bar"]]
    if slow:
        print(f"below the bar: {', '.join(slow)}")
    return 1 if slow and not args.quick else 0


if __name__ == "__main__":
    sys.exit(main())
