"""Time one SGD training step built from `mtl_edu.Tensor` against hand-written NumPy backprop.

Both run in the same process on the same data, with BLAS pinned to one thread, in paired rounds
(engine then NumPy, order alternating); the figure reported is the median over rounds of the
per-round time ratio, which cancels most of the machine's background noise.

    python benchmarks/bench_engine.py            # full run, prints a table, exits 1 if a bar is missed
    python benchmarks/bench_engine.py --quick    # a few rounds, for a smoke test
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import handwritten  # noqa: E402

from mtl_edu import Tensor, nn, optim  # noqa: E402
from mtl_edu.engine.functional import mse_loss  # noqa: E402


# ---- the engine's side: the same networks from Tensor ops ---------------------------------------

def to_tensors(layers):
    return [(Tensor(W.copy(), requires_grad=True), Tensor(b.copy(), requires_grad=True)) for W, b in layers]


def engine_forward(layers, h):
    for i, (W, b) in enumerate(layers):
        h = h @ W + b
        if i < len(layers) - 1:
            h = h.tanh()
    return h


def engine_sgd(layers, lr):
    for W, b in layers:
        W.data -= lr * W.grad
        b.data -= lr * b.grad
        W.grad = None
        b.grad = None


def engine_mlp_step(layers, x, y, lr):
    loss = mse_loss(engine_forward(layers, Tensor(x)), y)
    loss.backward()
    engine_sgd(layers, lr)
    return loss.item()


def engine_shared_step(trunk, heads, x, targets, weights, lr):
    features = engine_forward(trunk, Tensor(x)).tanh()
    loss = 0
    for head, y, w in zip(heads, targets, weights):
        loss = loss + w * mse_loss(engine_forward(head, features), y)
    loss.backward()
    engine_sgd(trunk, lr)
    for head in heads:
        engine_sgd(head, lr)
    return loss.item()


# ---- cases ----------------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    bar: float  # the most the engine may cost, as a multiple of hand-written NumPy
    engine_step: object  # () -> loss
    numpy_step: object  # () -> loss


def mlp_case(depth, width, batch, bar, dtype=np.float64, seed=0) -> Case:
    """`depth` Linear layers of width × width, tanh between them, MSE on a (batch, width) target."""
    rng = np.random.default_rng(seed)
    sizes = [width] * (depth + 1)
    layers = handwritten.init_mlp(sizes, rng, dtype)
    tensors = to_tensors(layers)
    x = rng.standard_normal((batch, width)).astype(dtype)
    y = rng.standard_normal((batch, width)).astype(dtype)
    lr = 1e-3
    label = "float32" if dtype == np.float32 else "float64"
    return Case(
        name=f"MLP depth {depth} x width {width}, batch {batch}, {label}",
        bar=bar,
        engine_step=lambda: engine_mlp_step(tensors, x, y, lr),
        numpy_step=lambda: handwritten.mlp_step(layers, x, y, lr),
    )


def shared_case(bar, batch=128, seed=0) -> Case:
    """Trunk 3 x 64 (tanh), three heads 2 x 32 with one output each, Σ wₜ MSEₜ."""
    rng = np.random.default_rng(seed)
    trunk = handwritten.init_mlp([16, 64, 64, 64], rng)
    heads = [handwritten.init_mlp([64, 32, 1], rng) for _ in range(3)]
    trunk_t, heads_t = to_tensors(trunk), [to_tensors(h) for h in heads]
    x = rng.standard_normal((batch, 16))
    targets = [rng.standard_normal((batch, 1)) for _ in range(3)]
    weights = [1.0, 0.5, 2.0]
    return Case(
        name=f"hard sharing: trunk 3 x 64, 3 heads 2 x 32, batch {batch}",
        bar=bar,
        engine_step=lambda: engine_shared_step(trunk_t, heads_t, x, targets, weights, 1e-3),
        numpy_step=lambda: handwritten.shared_step(trunk, heads, x, targets, weights, 1e-3),
    )


# ---- the same networks from mtl_edu.nets.nn modules and optim.SGD ------------------------------------

def module_mlp(layers, activation="tanh"):
    """An nn.MLP holding copies of the hand-written [(W, b), ...], so both start from the same weights."""
    sizes = [layers[0][0].shape[0]] + [W.shape[1] for W, _ in layers]
    mlp = nn.MLP(sizes, activation=activation, init="zeros", dtype=layers[0][0].dtype)
    for linear, (W, b) in zip(mlp.layers, layers):
        linear.weight.data[...] = W
        linear.bias.data[...] = b
    return mlp


def module_mlp_step(mlp, optimizer, x, y):
    optimizer.zero_grad()
    loss = mse_loss(mlp(x), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def module_shared_step(trunk, heads, optimizer, x, targets, weights):
    optimizer.zero_grad()
    features = trunk(x).tanh()
    loss = 0
    for head, y, w in zip(heads, targets, weights):
        loss = loss + w * mse_loss(head(features), y)
    loss.backward()
    optimizer.step()
    return loss.item()


def module_mlp_case(depth, width, batch, bar, seed=0) -> Case:
    """As mlp_case, with the engine side an nn.MLP (tanh, xavier_normal weights) trained by optim.SGD."""
    rng = np.random.default_rng(seed)
    layers = handwritten.init_mlp([width] * (depth + 1), rng)
    mlp = module_mlp(layers)
    optimizer = optim.SGD(mlp.parameters(), lr=1e-3)
    x = rng.standard_normal((batch, width))
    y = rng.standard_normal((batch, width))
    return Case(
        name=f"nn.MLP depth {depth} x width {width}, batch {batch}",
        bar=bar,
        engine_step=lambda: module_mlp_step(mlp, optimizer, x, y),
        numpy_step=lambda: handwritten.mlp_step(layers, x, y, 1e-3),
    )


def module_shared_case(bar, batch=128, seed=0) -> Case:
    """As shared_case, built from nn.MLP trunk and heads, one optim.SGD over all their parameters."""
    rng = np.random.default_rng(seed)
    trunk = handwritten.init_mlp([16, 64, 64, 64], rng)
    heads = [handwritten.init_mlp([64, 32, 1], rng) for _ in range(3)]
    trunk_m, heads_m = module_mlp(trunk), [module_mlp(h) for h in heads]
    optimizer = optim.SGD(trunk_m.parameters() + [p for h in heads_m for p in h.parameters()], lr=1e-3)
    x = rng.standard_normal((batch, 16))
    targets = [rng.standard_normal((batch, 1)) for _ in range(3)]
    weights = [1.0, 0.5, 2.0]
    return Case(
        name=f"hard sharing through nn modules: trunk 3 x 64, 3 heads 2 x 32, batch {batch}",
        bar=bar,
        engine_step=lambda: module_shared_step(trunk_m, heads_m, optimizer, x, targets, weights),
        numpy_step=lambda: handwritten.shared_step(trunk, heads, x, targets, weights, 1e-3),
    )


def default_cases() -> list:
    return [
        mlp_case(depth=4, width=64, batch=128, bar=1.5),
        mlp_case(depth=50, width=32, batch=64, bar=2.0),
        mlp_case(depth=4, width=512, batch=512, bar=1.15),
        shared_case(bar=1.7),
        mlp_case(depth=4, width=64, batch=128, bar=1.5, dtype=np.float32),
        module_mlp_case(depth=4, width=64, batch=128, bar=1.5),
        module_shared_case(bar=1.7),
    ]


# ---- timing -------------------------------------------------------------------------------------

def _time_steps(step, count) -> float:
    start = time.perf_counter()
    for _ in range(count):
        step()
    return (time.perf_counter() - start) / count


def measure(case: Case, rounds: int, target_seconds: float = 0.05) -> dict:
    """Median per-step times and the median of the per-round ratios engine / NumPy."""
    for _ in range(3):  # warm caches and allocator
        case.engine_step()
        case.numpy_step()
    single = _time_steps(case.numpy_step, 3)
    count = max(1, int(target_seconds / max(single, 1e-6)))
    engine_times, numpy_times, ratios = [], [], []
    for r in range(rounds):
        if r % 2 == 0:
            t_engine = _time_steps(case.engine_step, count)
            t_numpy = _time_steps(case.numpy_step, count)
        else:
            t_numpy = _time_steps(case.numpy_step, count)
            t_engine = _time_steps(case.engine_step, count)
        engine_times.append(t_engine)
        numpy_times.append(t_numpy)
        ratios.append(t_engine / t_numpy)
    return {
        "name": case.name,
        "engine_ms": 1e3 * statistics.median(engine_times),
        "numpy_ms": 1e3 * statistics.median(numpy_times),
        "ratio": statistics.median(ratios),
        "bar": case.bar,
        "steps_per_round": count,
        "rounds": rounds,
    }


def run(cases, rounds: int) -> list:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return [measure(case, rounds) for case in cases]


def format_table(results) -> str:
    lines = [
        f"{'case':76s} {'engine ms':>10s} {'numpy ms':>9s} {'ratio':>6s} {'bar':>5s}  ",
        "-" * 114,
    ]
    for r in results:
        verdict = "ok" if r["ratio"] <= r["bar"] else "MISSED"
        lines.append(
            f"{r['name']:76s} {r['engine_ms']:10.3f} {r['numpy_ms']:9.3f} {r['ratio']:6.2f} {r['bar']:5.2f}  {verdict}"
        )
    lines.append(f"(median over {results[0]['rounds']} paired rounds; BLAS pinned to one thread)")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--quick", action="store_true", help="3 rounds, for a smoke test")
    args = parser.parse_args(argv)
    results = run(default_cases(), rounds=3 if args.quick else args.rounds)
    print(format_table(results))
    return 0 if all(r["ratio"] <= r["bar"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
