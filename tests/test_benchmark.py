"""The benchmark compares like with like: the engine and the hand-written backprop agree."""
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
import bench_engine  # noqa: E402
import handwritten  # noqa: E402

from mtl_edu import Tensor  # noqa: E402
from mtl_edu.engine.functional import mse_loss  # noqa: E402


def test_engine_and_handwritten_gradients_agree():
    rng = np.random.default_rng(1)
    layers = handwritten.init_mlp([5, 7, 7, 3], rng)
    tensors = bench_engine.to_tensors(layers)
    x, y = rng.standard_normal((6, 5)), rng.standard_normal((6, 3))
    loss = mse_loss(bench_engine.engine_forward(tensors, Tensor(x)), y)
    loss.backward()
    activations = handwritten.mlp_forward(layers, x)
    diff = activations[-1] - y
    grads = handwritten.mlp_backward(layers, activations, 2 * diff / diff.size)
    for (W, b), (dW, db) in zip(tensors, grads):
        np.testing.assert_allclose(W.grad, dW, rtol=1e-10, atol=1e-14)
        np.testing.assert_allclose(b.grad, db, rtol=1e-10, atol=1e-14)


def test_every_case_takes_the_same_step_in_both_implementations():
    for case in bench_engine.default_cases():
        if "512" in case.name:
            continue  # same code path as the small MLP, only slower
        for _ in range(3):
            engine_loss, numpy_loss = case.engine_step(), case.numpy_step()
            np.testing.assert_allclose(engine_loss, numpy_loss, rtol=1e-4, err_msg=case.name)


def test_benchmark_reports_a_ratio_per_case():
    case = bench_engine.mlp_case(depth=2, width=8, batch=4, bar=10.0)
    result = bench_engine.run([case], rounds=2)[0]
    assert result["ratio"] > 0 and result["engine_ms"] > 0 and result["numpy_ms"] > 0
    assert "ratio" in bench_engine.format_table([result]).splitlines()[0]


def test_the_batched_benchmark_times_two_paths_to_the_same_weights():
    import bench_batched

    for case in bench_batched.default_cases(steps=3):
        assert bench_batched.max_weight_difference(case) <= 1e-12, case.name
    result = bench_batched.measure(bench_batched.default_cases(steps=2)[0], rounds=2)
    assert result["speedup"] > 0 and result["sequential_ms"] > 0 and result["batched_ms"] > 0
    assert "speed-up" in bench_batched.format_table([result]).splitlines()[0]
