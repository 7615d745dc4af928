"""The validation helpers: each accepts what it names, returns it in the form the code uses, and
refuses anything else with a message naming the function, the argument and the value."""
import numpy as np
import pytest

from mtl_edu import validation as V


def test_numbers_are_returned_as_floats_and_bad_ones_named():
    assert V.positive_number(2, "lr", "SGD") == 2.0 and isinstance(V.positive_number(2, "lr", "SGD"), float)
    assert V.nonnegative_number(0, "l2", "f") == 0.0
    assert V.unit_interval(0.9, "beta1", "Adam") == 0.9
    for bad in (0, -1.0, float("nan"), float("inf"), True, "1", None):
        with pytest.raises(ValueError, match=r"SGD: lr must be a finite number > 0, got "):
            V.positive_number(bad, "lr", "SGD")
    for bad in (-1e-9, float("nan"), True):
        with pytest.raises(ValueError, match="f: l2 must be a finite number >= 0"):
            V.nonnegative_number(bad, "l2", "f")
    for bad in (1.0, -0.1, False):
        with pytest.raises(ValueError, match=r"Adam: beta1 must lie in \[0, 1\)"):
            V.unit_interval(bad, "beta1", "Adam")


def test_real_number_names_the_allowed_range():
    assert V.real_number(0.5, "noise", "make_moons", low=0.0) == 0.5
    with pytest.raises(TypeError, match="make_moons: noise must be a real number, got str"):
        V.real_number("0.1", "noise", "make_moons")
    with pytest.raises(ValueError, match="noise must be finite, got nan"):
        V.real_number(float("nan"), "noise", "make_moons", low=0.0)
    with pytest.raises(ValueError, match=r"rho must be in \[-1, 1\], got 2.0"):
        V.real_number(2, "rho", "f", low=-1, high=1)
    with pytest.raises(ValueError, match=r"turns must be > 0.0, got 0.0"):
        V.real_number(0, "turns", "f", low=0.0, low_open=True)
    with pytest.raises(ValueError, match=r"p must be < 1, got 1.0"):
        V.real_number(1, "p", "f", high=1, high_open=True)


def test_whole_numbers():
    assert V.positive_int(np.int64(3), "steps", "fit") == 3
    for bad in (0, -2, 1.0, True, "3"):
        with pytest.raises(ValueError, match=r"fit: steps must be an int >= 1, got "):
            V.positive_int(bad, "steps", "fit")
    assert V.count(0, "n", "f", minimum=0) == 0
    with pytest.raises(TypeError, match=r"f: n must be an int, got float \(2.0\)"):
        V.count(2.0, "n", "f")
    with pytest.raises(ValueError, match="f: n must be >= 3, got 2"):
        V.count(2, "n", "f", minimum=3)


def test_generator_takes_a_generator_or_a_seed_and_nothing_else():
    rng = np.random.default_rng(5)
    assert V.generator(rng, "f") is rng
    assert V.generator(7, "f").random() == np.random.default_rng(7).random()
    with pytest.raises(ValueError, match="f: a seed must be >= 0, got -1"):
        V.generator(-1, "f")
    for bad in (None, 1.5, True, np.random.RandomState(0)):
        with pytest.raises(TypeError, match="f: rng must be a numpy.random.Generator or an int seed >= 0"):
            V.generator(bad, "f")
    # a function called at every step takes only a stream, so that each call draws afresh
    assert V.generator(rng, "pcgrad", seeds=False) is rng
    with pytest.raises(TypeError, match="pcgrad: rng must be a numpy.random.Generator .* draw afresh"):
        V.generator(3, "pcgrad", seeds=False)


def test_weight_vector():
    out = V.weight_vector([1, 0.5], 2, "joint_loss")
    assert out.dtype == np.float64 and out.tolist() == [1.0, 0.5]
    with pytest.raises(ValueError, match=r"joint_loss: need one weight per task \(3\), got weights of shape \(2,\)"):
        V.weight_vector([1, 2], 3, "joint_loss")
    with pytest.raises(ValueError, match=r"fit_multitask: task_weights must be finite, got \[1.0, nan\]"):
        V.weight_vector([1, float("nan")], 2, "fit_multitask", "task_weights")
    with pytest.raises(ValueError, match="must be 2 numbers, one per task"):
        V.weight_vector(["a", object()], 2, "f")
