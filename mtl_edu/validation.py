"""Checks for values coming in from outside: one named helper per kind of value, used everywhere.

Each helper takes the value, its name and `where` (the public function that received it), returns the
value in the form the code uses (a float, an int, a Generator, a float64 array) and otherwise raises
with one sentence that names the function, the argument and the value received:

    positive_number(0.0, "lr", "SGD")  ->  ValueError: SGD: lr must be a finite number > 0, got 0.0

A value is checked once, where it enters the package; code that receives it from a checked caller
does not check it again. The bottom layer: it imports nothing from the rest of the package.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "positive_number", "nonnegative_number", "unit_interval", "real_number", "positive_int", "count", "generator",
    "weight_vector",
]


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def positive_number(value, name: str, where: str) -> float:
    """A finite number > 0 (a learning rate, a scale), as a float."""
    if not _is_real(value) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{where}: {name} must be a finite number > 0, got {value!r}")
    return float(value)


def nonnegative_number(value, name: str, where: str) -> float:
    """A finite number >= 0 (a weight decay, a tolerance), as a float."""
    if not _is_real(value) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value!r}")
    return float(value)


def unit_interval(value, name: str, where: str) -> float:
    """A number in [0, 1) (a momentum, an exponential decay), as a float."""
    if not _is_real(value) or not 0 <= value < 1:
        raise ValueError(f"{where}: {name} must lie in [0, 1), got {value!r}")
    return float(value)


def real_number(value, name: str, where: str, low=None, high=None, low_open: bool = False,
                high_open: bool = False) -> float:
    """A finite real number, optionally within [low, high] (an end is excluded when *_open is true).

    Not a number: TypeError; not finite or out of range: ValueError naming the allowed range.
    """
    if not _is_real(value):
        raise TypeError(f"{where}: {name} must be a real number, got {type(value).__name__} ({value!r})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{where}: {name} must be finite, got {value}")
    too_low = low is not None and (value < low or (low_open and value == low))
    too_high = high is not None and (value > high or (high_open and value == high))
    if too_low or too_high:
        if low is not None and high is not None:
            allowed = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
        elif low is not None:
            allowed = f"{'>' if low_open else '>='} {low}"
        else:
            allowed = f"{'<' if high_open else '<='} {high}"
        raise ValueError(f"{where}: {name} must be {allowed}, got {value}")
    return value


def positive_int(value, name: str, where: str) -> int:
    """A whole number >= 1 (a number of steps, of tasks), as an int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {name} must be an int >= 1, got {value!r}")
    return int(value)


def count(value, name: str, where: str, minimum: int = 1) -> int:
    """A whole number >= minimum (a number of samples), as an int. Not an int: TypeError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{where}: {name} must be an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{where}: {name} must be >= {minimum}, got {value}")
    return int(value)


def generator(rng, where: str, seeds: bool = True) -> np.random.Generator:
    """A numpy Generator as given, or one made from an int seed >= 0.

    Anything else (None, a float, the legacy RandomState) is refused: where randomness comes from
    stays visible in the caller's code. A function that offers a default seed says so in its
    signature and passes it here. seeds=False refuses seeds too, for a function called once per
    training step: a seed would give it the same draw at every step, a Generator a fresh one.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if not seeds:
        raise TypeError(f"{where}: rng must be a numpy.random.Generator (e.g. numpy.random.default_rng(0)), "
                        f"got {type(rng).__name__}: it is called at every step and must draw afresh each time")
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        if rng < 0:
            raise ValueError(f"{where}: a seed must be >= 0, got {int(rng)}")
        return np.random.default_rng(int(rng))
    raise TypeError(f"{where}: rng must be a numpy.random.Generator or an int seed >= 0, got {rng!r}; "
                    "pass e.g. rng=np.random.default_rng(0)")


def weight_vector(weights, n: int, where: str, name: str = "weights") -> np.ndarray:
    """n finite numbers, one per task, as a float64 array of shape (n,)."""
    try:
        array = np.asarray(weights, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: {name} must be {n} numbers, one per task, got {weights!r}") from None
    if array.shape != (n,):
        raise ValueError(f"{where}: need one weight per task ({n}), got {name} of shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: {name} must be finite, got {array.tolist()}")
    return array
