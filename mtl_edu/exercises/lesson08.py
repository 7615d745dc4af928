"""Lesson 08 (`08_gradients_meet_tasks`): the checkers
`check_predicted_lift`, `check_gradient_at_layer_one`, `check_balanced_aux_weight`.
"""
from __future__ import annotations

import numpy as np

from ..nets import multitask
from ..engine.autodiff import Tensor
from .core import as_array, call_learner, fail, passed, returned_number, reference_sigmoid, exercise_checker

__all__ = ["check_predicted_lift", "check_gradient_at_layer_one", "check_balanced_aux_weight"]

# (depth, attach_depth, decay_per_layer): the lesson's net, a head on top, a head at layer 1, other factors.
_LIFT_CASES = ((12, 4, 0.244), (12, 12, 0.25), (12, 1, 0.25), (20, 5, 0.3), (6, 3, 0.5), (30, 10, 0.2))


@exercise_checker
def check_predicted_lift(predicted_lift) -> None:
    """Exercise 08.1: `predicted_lift(depth, attach_depth, decay_per_layer)` returns
    decay_per_layer^−(depth − attach_depth), the predicted ratio of the layer-1 gradient with an auxiliary
    head after layer attach_depth to the layer-1 gradient of the main head alone."""
    for depth, attach, decay in _LIFT_CASES:
        call = f"predicted_lift({depth}, {attach}, {decay:g})"
        got = returned_number(call_learner(predicted_lift, depth, attach, decay, description=call), call)
        expected = decay ** -(depth - attach)
        if np.isclose(got, expected, rtol=1e-9, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        gap = depth - attach
        if gap > 0 and np.isclose(got, decay**gap, rtol=1e-9):
            fail(f"{where}. That is the inverse: the auxiliary path is {gap} layers *shorter*, so its gradient "
                  "shrinks less and the lift is larger than 1. Use a negative exponent.")
        for off in (1, -1):
            if gap + off >= 0 and np.isclose(got, decay ** -(gap + off), rtol=1e-9):
                fail(f"{where}. Off by one layer: the two paths to layer 1 differ by exactly depth − attach_depth "
                      f"= {gap} layers (the layers from attach_depth + 1 to depth), not {gap + off}.")
        if decay != 0.25 and np.isclose(got, 0.25**-gap, rtol=1e-9):
            fail(f"{where}. You used the ¼ of the sigmoid's slope bound; use the measured decay_per_layer "
                  f"({decay:g}), which includes the weights too.")
        if np.isclose(got, decay**-attach, rtol=1e-9) or np.isclose(got, decay ** -(attach - 1), rtol=1e-9):
            fail(f"{where}. The exponent counts the layers the main gradient crosses and the auxiliary one does "
                  "not: those above the attach depth, depth − attach_depth of them.")
        fail(f"{where}. Each layer multiplies the gradient by about decay_per_layer on its way down; the main "
              "head's gradient crosses depth − attach_depth more layers than the auxiliary head's.")
    depth, attach, decay = _LIFT_CASES[0]
    passed(f"the prediction decay^−(depth − attach_depth) is right on {len(_LIFT_CASES)} cases; for the lesson's "
        f"net ({depth} layers, ×{decay:g} per layer) a head after layer {attach} predicts a lift of "
        f"×{decay ** -(depth - attach):.3g} at layer 1, and a head on top (attach_depth = depth) ×1.")


# (n_in, depth of the head d, width, n_out, batch, seed): a head part-way up first (there every usual slip
# gives a different wrong answer, so the diagnosis is specific), then at layer 1 and on a deeper layer.
_LAYER_ONE_CASES = ((3, 3, 4, 2, 5, 1), (3, 1, 4, 2, 5, 0), (2, 5, 6, 3, 4, 2))


def _layer_one_case(n_in: int, attach: int, width: int, n_out: int, batch: int, seed: int) -> tuple:
    """(weights [W_1..W_d], pre_activations [z_1..z_d], head weight, ∂L/∂output, ∂L/∂z_1 by autodiff) for an
    auxiliary head after layer d of a sigmoid DeepSupervisionNet; the loss is Σ output ⊙ G, so ∂L/∂output = G."""
    rng = np.random.default_rng(seed)
    net = multitask.DeepSupervisionNet(n_in, attach + 1, width, n_outputs=n_out, attach_depths=(attach,),
                                       activation="sigmoid", rng=rng, gain=2.0)
    x = Tensor(rng.standard_normal((batch, n_in)))
    output_gradient = rng.standard_normal((batch, n_out))
    trace = net.forward_trace(x)
    trace.pre_activations[0].retain_grad()
    (trace.outputs[1] * Tensor(output_gradient)).sum().backward()
    weights = [np.array(layer.weight.data) for layer in net.trunk.layers[:attach]]
    pre_activations = [np.array(z.data) for z in trace.pre_activations[:attach]]
    return (weights, pre_activations, np.array(net.aux_heads[0].weight.data), output_gradient,
            np.array(trace.pre_activations[0].grad))


def _hand_backward(weights, pre_activations, head_weight, output_gradient, slope_at_head=True, slope=None,
                   transpose=True) -> np.ndarray:
    """∂L/∂z_1 by the chain rule, with switches for the usual slips (for the checker's diagnoses)."""
    slope = slope or (lambda z: reference_sigmoid(z) * (1.0 - reference_sigmoid(z)))
    grad_h = output_gradient @ head_weight.T
    delta = grad_h * slope(pre_activations[-1]) if slope_at_head else grad_h
    for layer in range(len(pre_activations) - 1, 0, -1):
        W = weights[layer]
        delta = (delta @ (W.T if transpose else W)) * slope(pre_activations[layer - 1])
    return delta


@exercise_checker
def check_gradient_at_layer_one(gradient_at_layer_one) -> None:
    """Exercise 08.2: `gradient_at_layer_one(weights, pre_activations, head_weight, output_gradient)` returns
    ∂L/∂z_1 (N, width) sent down by a head that reads the sigmoid trunk after layer d = len(weights)."""
    for n_in, attach, width, n_out, batch, seed in _LAYER_ONE_CASES:
        weights, pre_activations, head_weight, output_gradient, expected = _layer_one_case(
            n_in, attach, width, n_out, batch, seed)
        call = f"gradient_at_layer_one(...) for a head after layer {attach}"
        got = as_array(call_learner(gradient_at_layer_one, [w.copy() for w in weights], [z.copy() for z in pre_activations],
                           head_weight.copy(), output_gradient.copy(), description=call),
                     expected.shape, call)
        scale = float(np.abs(expected).max())
        if np.allclose(got, expected, rtol=1e-8, atol=1e-12 * scale):
            continue
        where = (f"{call}: the largest difference from autodiff is {np.abs(got - expected).max():.3g} "
                 f"(entries are up to {scale:.3g})")
        slips = [
            (dict(slope_at_head=False), "the head reads h_d = σ(z_d), so the first step down also multiplies "
                                        "by σ'(z_d) before anything else"),
            (dict(slope=reference_sigmoid), "multiply by the slope σ'(z) = σ(z)(1 − σ(z)), not by σ(z) itself"),
            (dict(slope=lambda z: np.ones_like(z)), "each layer also multiplies by the sigmoid's slope σ'(z_l)"),
            (dict(transpose=False), "going down multiplies by W_lᵀ: ∂L/∂h_(l−1) = ∂L/∂z_l · W_lᵀ "
                                    "(in this course z = h W + b, with W of shape (n_in, n_out))"),
        ]
        for switches, hint in slips:
            with np.errstate(all="ignore"):
                try:
                    wrong = _hand_backward(weights, pre_activations, head_weight, output_gradient, **switches)
                except ValueError:
                    continue
            if wrong.shape == got.shape and np.allclose(got, wrong, rtol=1e-8, atol=1e-12 * scale):
                fail(f"{where}. {hint[0].upper()}{hint[1:]}.")
        fail(f"{where}. Start from ∂L/∂h_d = output_gradient · head_weightᵀ, multiply by σ'(z_d), then for "
              "l = d, …, 2: multiply by W_lᵀ and by σ'(z_(l−1)).")
    depths = ", ".join(str(d) for d in sorted(case[1] for case in _LAYER_ONE_CASES))
    passed(f"your ∂L/∂z_1 agrees with autodiff to 1e-8 (relative) for heads after layers {depths}. A head after "
        "layer d sends its gradient through d − 1 products with W_lᵀ and σ' ≤ ¼: the shorter the path, the less "
        "it shrinks.")


def _balance_cases() -> list:
    """(G (2, P) rows [main, aux at weight 1], description): hand-made, random, and lesson-like imbalance."""
    rng = np.random.default_rng(8)
    tiny_main = np.vstack([1e-6 * rng.standard_normal(40), rng.standard_normal(40)])
    return [
        (np.array([[3.0, 4.0], [0.0, 1.0]]), "G = [[3, 4], [0, 1]]"),
        (np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -2.0]]), "G = [[1, 0, 0], [0, 0, -2]]"),
        (rng.standard_normal((2, 50)) * np.array([[0.5], [3.0]]), "a random (2, 50) G"),
        (tiny_main, "a (2, 40) G whose main row is a million times smaller, as in the lesson"),
    ]


@exercise_checker
def check_balanced_aux_weight(balanced_aux_weight) -> None:
    """Exercise 08.3: `balanced_aux_weight(G)` returns the auxiliary weight w at which w·‖g_aux‖ = ‖g_main‖,
    for G (2, P) with rows [g_main, g_aux] measured at weight 1 on the shared layers."""
    for G, shown in _balance_cases():
        call = f"balanced_aux_weight({shown})"
        got = returned_number(call_learner(balanced_aux_weight, G.copy(), description=call), call)
        main, aux = (float(np.linalg.norm(row)) for row in G)
        expected = main / aux
        if np.isclose(got, expected, rtol=1e-6, atol=0.0):
            continue
        where = f"{call}: expected {expected:.6g}, got {got:.6g}"
        if np.isclose(got, aux / main, rtol=1e-6):
            fail(f"{where}. That is ‖g_aux‖/‖g_main‖, the inverse: the weight multiplies the auxiliary "
                  "gradient, so w·‖g_aux‖ = ‖g_main‖ gives w = ‖g_main‖/‖g_aux‖.")
        if np.isclose(got, expected**2, rtol=1e-6):
            fail(f"{where}. You compared squared norms (e.g. g·g): the weight scales the gradient itself, so use "
                  "the norms ‖g‖ = √(g·g).")
        if np.isclose(got, np.abs(G[0]).max() / np.abs(G[1]).max(), rtol=1e-6):
            fail(f"{where}. You compared the largest entries; the balance is between whole gradients: use their "
                  "norms.")
        summed = G[0].sum() / G[1].sum() if G[1].sum() != 0 else np.nan
        if np.isclose(got, summed, rtol=1e-6):
            fail(f"{where}. Summing the entries lets positive and negative ones cancel; use the norms.")
        fail(f"{where}. The weighted auxiliary gradient is w·g_aux; find w with ‖w·g_aux‖ = ‖g_main‖.")
    n_cases = len(_balance_cases())
    passed(f"w = ‖g_main‖/‖g_aux‖ is right on {n_cases} gradient matrices. Below this weight the main task's "
        "gradient is the larger one on the shared layers; above it the auxiliary task's.")
