#!/usr/bin/env python3
"""The unrounded values behind the lesson numbers that sit closest to a CPU's rounding, and how each
lesson prints them.

tests/test_reproducibility.py runs this script once per CPU level the machine can run (the legs of
tools/test_matrix.py), then checks that every value prints the same on every level and sits well away
from the boundary where its printed digits would change. The experiments repeat the lesson cells
they name, with the same calls and seeds.

Usage: python tools/printed_values.py   (prints JSON: name -> {"value", "format" | "below"})
"""

from __future__ import annotations

import json
import sys

import numpy as np


def lesson03_stall_runs() -> dict:
    """Lesson 03, section 4: 10 sigmoid or tanh layers on the two moons, 500 steps; activation -> History."""
    from mtl_edu import nn, train
    from mtl_edu.data.datasets import make_moons

    X, y = make_moons(200, noise=0.1, rng=np.random.default_rng(0))
    histories = {}
    for activation in ("sigmoid", "tanh"):
        net = nn.MLP([2] + [32] * 10 + [2], activation=activation, init="xavier_normal",
                     rng=np.random.default_rng(1))
        histories[activation] = train.fit(net, X, y, loss="cross_entropy", lr=0.1, steps=500, record_every=10)
    return histories


def lesson03_update_ratios() -> tuple:
    """Lesson 03, "Which layers learn?": ({"sgd", "adam"}: (L,) median ‖ΔW_l‖/‖W_l‖ per 10 steps over the first
    100 steps, Adam's loss at step 100) for the sigmoid net of section 4 under gradient descent and Adam (lr 0.01)."""
    from mtl_edu import nn, optim, probes, train
    from mtl_edu.data.datasets import make_moons

    X, y = make_moons(200, noise=0.1, rng=np.random.default_rng(0))
    medians, adam_loss = {}, None
    for name in ("sgd", "adam"):
        net = nn.MLP([2] + [32] * 10 + [2], activation="sigmoid", init="xavier_normal", rng=np.random.default_rng(1))
        recorder = probes.WeightChangeRecorder()
        optimizer = optim.SGD(net.parameters(), lr=0.1) if name == "sgd" else optim.Adam(net.parameters(), lr=0.01)
        history = train.fit(net, X, y, loss="cross_entropy", optimizer=optimizer, steps=101, record_every=10,
                            probes=[recorder], progress=False)
        medians[name] = np.median(recorder.as_array(), axis=1)
        if name == "adam":
            adam_loss = history.loss[history.steps.index(100)]
    return medians, adam_loss


def lesson03() -> dict:
    from mtl_edu import nn, probes

    out = {}
    for activation, history in lesson03_stall_runs().items():
        out[f"03 {activation} loss at step 0"] = {"value": history.loss[0], "format": ".3f"}
        out[f"03 {activation} loss at step 100"] = {"value": history.loss[history.steps.index(100)], "format": ".2f"}
        last = history.loss[-1]
        out[f"03 {activation} loss at step 499"] = ({"value": last, "below": 0.2} if activation == "tanh"
                                                    else {"value": last, "format": ".2f"})
    medians, _ = lesson03_update_ratios()  # Adam's loss at step 100 is printed as a bound (test_lesson03)
    for name, label in (("sgd", "gradient descent"), ("adam", "Adam")):
        out[f"03 {label}, layer 1 update ratio"] = {"value": medians[name][0], "format": ".0e"}
        out[f"03 {label}, output layer update ratio"] = {"value": medians[name][-1], "format": ".0e"}
    width, depth = 64, 30  # section 5, singular values of the end-to-end Jacobian
    x = np.random.default_rng(2).standard_normal(width)
    configs = {"linear, Gaussian": ("identity", "xavier_normal", 1.0), "tanh, orthogonal": ("tanh", "orthogonal", 1.0),
               "tanh, Gaussian": ("tanh", "xavier_normal", 1.0), "relu, orthogonal": ("relu", "orthogonal", np.sqrt(2))}
    for label, (activation, scheme, gain) in configs.items():
        net = nn.MLP([width] * (depth + 1) + [width], activation=activation, init=scheme, gain=gain,
                     rng=np.random.default_rng(3))
        s = probes.jacobian_singular_values(net, x, from_layer=0, to_layer=depth)
        out[f"03 Jacobian {label} largest"] = {"value": s[0], "format": ".2g"}
        median = float(np.median(s))
        out[f"03 Jacobian {label} median"] = ({"value": median / s[0], "below": 1e-12} if label.startswith("relu")
                                              else {"value": median, "format": ".2g"})
    return out


def lesson04() -> dict:
    from mtl_edu import nn, optim
    from mtl_edu.data.datasets import make_moons
    from mtl_edu.nets.train import fit

    out = {}
    X, y = make_moons(128, noise=0.1, rng=np.random.default_rng(0))
    for label, clipping in {"norm": {"clip_norm": 1.0}, "value": {"clip_value": 0.05}}.items():
        net = nn.MLP([2] + [32] * 10 + [2], activation="relu", init="he_normal", gain=1.3, rng=np.random.default_rng(1))
        history = fit(net, X, y, loss="cross_entropy", steps=100,
                      optimizer=optim.SGD(net.parameters(), lr=0.1, momentum=0.9), **clipping)
        out[f"04 clip by {label}, loss after 100 steps"] = {"value": history.loss[-1], "below": 0.01}
    return out


def lesson05() -> dict:
    from mtl_edu.instruments.stats import mean_interval
    from mtl_edu.lessons.lesson05 import transfer_experiment

    # section 3b: Δm% over 10 seeds at ρ = 1 and 0.9, n = 120, 2 layers shared, as the lesson prints it
    result = transfer_experiment(n_train=120, shared_layers=2)
    out = {}
    for rho in (1.0, 0.9):
        interval = mean_interval(result.delta_m_per_seed[list(result.rhos).index(rho)])
        out[f"05 ρ = {rho:g} mean Δm%"] = {"value": interval.mean, "format": "+.0f"}
        out[f"05 ρ = {rho:g} sd of Δm%"] = {"value": interval.sd, "format": ".0f"}
        out[f"05 ρ = {rho:g} interval low"] = {"value": interval.low, "format": "+.0f"}
        out[f"05 ρ = {rho:g} interval high"] = {"value": interval.high, "format": "+.0f"}
    return out


def lesson06() -> dict:
    from mtl_edu.lessons.lesson06 import fine_weight_sweep

    # section 3, "Why the curve jumps": 10 inits × 41 values of λ, as the lesson prints them
    fine = fine_weight_sweep()
    switch = fine.switch_interval()
    out = {f"06 switch λ, init {seed}": {"value": lam, "format": ".2f"} for seed, lam in zip(fine.inits, fine.switch)}
    out.update({"06 switch mean": {"value": switch.mean, "format": ".2f"},
                "06 switch interval low": {"value": switch.low, "format": ".2f"},
                "06 switch interval high": {"value": switch.high, "format": ".2f"},
                "06 smallest largest jump": {"value": fine.largest_jump.min(), "format": ".0%"},
                "06 largest largest jump": {"value": fine.largest_jump.max(), "format": ".0%"},
                "06 median step": {"value": float(np.median(fine.median_step)), "format": ".1%"}})
    return out


def lesson08() -> dict:
    from mtl_edu import stats
    from mtl_edu.lessons import lesson08 as experiments

    out = {}
    for k, label in ((0, "no aux head"), (4, "aux after layer 4")):
        run = experiments.deep_supervision_run(k, 1.0, optimizer="sgd")
        out[f"08 sgd, {label}, spread of h_4"] = {"value": run.spread_after[3], "format": ".1e"}
        out[f"08 sgd, {label}, spread of h_12"] = {"value": run.spread_after[-1], "format": ".1e"}
        out[f"08 sgd, {label}, main-task loss"] = {"value": run.main_loss[-1], "format": ".2f"}
    ratios = []
    for seed in range(10):  # section 1: the change of the factor with three heads, paired over ten trunks
        norms = experiments.heads_on_top_gradients(n_heads=(1, 3), seed=seed)
        ratios.append(experiments.fitted_decay_per_layer(norms[3]) / experiments.fitted_decay_per_layer(norms[1]))
    change = stats.mean_interval(np.log(ratios))
    for name, value in (("mean", change.mean), ("low", change.low), ("high", change.high)):
        out[f"08 heads on top, change of the factor, {name}"] = {"value": np.expm1(value), "format": ".1%"}
    return out


def printed_values() -> dict:
    values = {}
    for lesson in (lesson03, lesson04, lesson05, lesson06, lesson08):
        values.update(lesson())
    return {name: {key: float(v) for key, v in entry.items() if key != "format"}
            | ({"format": entry["format"]} if "format" in entry else {}) for name, entry in values.items()}


if __name__ == "__main__":
    json.dump(printed_values(), sys.stdout, indent=1)
    print()
