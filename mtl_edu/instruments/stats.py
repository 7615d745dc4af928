"""Statistics over seeds: is one setting better than another, or did the seeds just fall that way?

A comparison trains both settings with the same seeds (same data draw, same initial weights where
the layouts allow) and looks at the per-seed differences dᵢ = aᵢ − bᵢ. Pairing removes what the
seeds share, so the spread left is that of the difference itself. The 95 % confidence interval of
the mean difference is

    d̄ ± t₀.₉₇₅,ₙ₋₁ · s_d / √n          (Student 1908; s_d the sample standard deviation of the dᵢ)

and "a is better than b" means the whole interval lies on one side of 0. A mean ± standard
deviation is a description of the seeds, not a test: it says nothing about how well n seeds pin
the mean down.

For outcomes that are all or nothing (a run diverged, a run escaped a plateau), `fraction_interval`
gives the Wilson (1927) score interval of the fraction of seeds.

The t quantile is computed here rather than taken from SciPy: the integral of Student's density
(by Simpson's rule) is inverted by bisection. Tests check it against the closed forms for 1 and 2
degrees of freedom, published table values, and the interval's coverage in simulation.
"""
from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np

__all__ = ["t_quantile", "PairedInterval", "paired_interval", "mean_interval", "fraction_interval"]


def _log_gamma_ratio(x: float) -> float:
    """ln Γ(x + ½) − ln Γ(x). For large x the two lgamma values cancel to ~1e-6, so use the
    asymptotic series ½ ln x − 1/(8x) + 1/(192x³) + 1/(640x⁵) there (its next term is < 1e-16 from x = 200)."""
    if x < 200:
        return math.lgamma(x + 0.5) - math.lgamma(x)
    return 0.5 * math.log(x) - 1 / (8 * x) + 1 / (192 * x**3) + 1 / (640 * x**5)


def _t_cdf(x: float, df: float) -> float:
    """P(T ≤ x) for Student's t with df degrees of freedom, x ≥ 0: ½ + ∫₀ˣ density (Simpson, 2048 panels)."""
    grid = np.linspace(0.0, x, 4097)
    log_norm = _log_gamma_ratio(df / 2) - 0.5 * math.log(df * math.pi)
    density = np.exp(log_norm - (df + 1) / 2 * np.log1p(grid * grid / df))
    weights = np.ones(grid.size)
    weights[1:-1:2], weights[2:-1:2] = 4.0, 2.0
    return 0.5 + float(weights @ density) * (grid[1] - grid[0]) / 3.0


@functools.lru_cache(maxsize=256)
def t_quantile(p: float, df: float) -> float:
    """The p-quantile of Student's t distribution with df > 0 degrees of freedom (0 < p < 1).

    t_quantile(0.975, 9) = 2.262…: the factor of a 95 % interval from 10 seeds.
    """
    if not (isinstance(p, (int, float, np.floating)) and 0 < p < 1):
        raise ValueError(f"t_quantile: p must be a probability strictly between 0 and 1, got {p!r}")
    if not (isinstance(df, (int, float, np.integer, np.floating)) and not isinstance(df, bool)
            and math.isfinite(df) and df > 0):
        raise ValueError(f"t_quantile: df (degrees of freedom) must be a finite number > 0, got {df!r}")
    p, df = float(p), float(df)
    if p < 0.5:
        return -t_quantile(1.0 - p, df)
    if p == 0.5:
        return 0.0
    high = 1.0
    while _t_cdf(high, df) < p:
        high *= 2.0
        if high > 1e12:
            raise ValueError(f"t_quantile: p = {p!r} is too close to 1 for df = {df:g}")
    low = 0.0
    for _ in range(200):
        middle = 0.5 * (low + high)
        if _t_cdf(middle, df) < p:
            low = middle
        else:
            high = middle
        if high - low <= 1e-13 * high:
            break
    return 0.5 * (low + high)


def _values(x, name: str, where: str) -> np.ndarray:
    values = np.asarray(x, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"{where}: {name} must be one value per seed, a 1-D array, got shape {values.shape}")
    if not np.all(np.isfinite(values)):
        bad = np.flatnonzero(~np.isfinite(values))
        raise ValueError(f"{where}: {name} has non-finite values at seeds {bad.tolist()}: {values[bad].tolist()}")
    return values


def _check_confidence(confidence, where: str) -> float:
    if not (isinstance(confidence, (int, float, np.floating)) and 0 < confidence < 1):
        raise ValueError(f"{where}: confidence must lie strictly between 0 and 1 (0.95 for 95 %), got {confidence!r}")
    return float(confidence)


class PairedInterval(NamedTuple):
    """The mean of per-seed values (or of paired differences) with its confidence interval.

    mean: d̄. low, high: the interval's ends. n: the number of seeds. sd: the sample standard
    deviation (n − 1 in the denominator). confidence: e.g. 0.95.
    """

    mean: float
    low: float
    high: float
    n: int
    sd: float
    confidence: float

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)

    @property
    def excludes_zero(self) -> bool:
        """True when the whole interval lies on one side of 0: the seeds show a difference."""
        return self.low > 0 or self.high < 0

    def verdict(self, lower_is_better: bool = True, names=("a", "b")) -> str:
        """"a better", "b better" or "no difference shown" for the difference a − b."""
        first, second = names
        if not self.excludes_zero:
            return "no difference shown"
        a_lower = self.high < 0
        return f"{first} better" if a_lower == lower_is_better else f"{second} better"

    def __str__(self) -> str:
        return (f"{self.mean:+.3g} [{self.low:+.3g}, {self.high:+.3g}] "
                f"({100 * self.confidence:g} % interval, n = {self.n})")


def mean_interval(values, confidence: float = 0.95) -> PairedInterval:
    """The mean of n ≥ 2 per-seed values with its t interval, x̄ ± t · s / √n."""
    where = "mean_interval"
    values = _values(values, "values", where)
    confidence = _check_confidence(confidence, where)
    n = values.size
    if n < 2:
        raise ValueError(f"{where}: an interval needs at least 2 seeds, got {n}")
    mean, sd = float(values.mean()), float(values.std(ddof=1))
    half = t_quantile(0.5 + confidence / 2, n - 1) * sd / math.sqrt(n)
    return PairedInterval(mean=mean, low=mean - half, high=mean + half, n=n, sd=sd, confidence=confidence)


def paired_interval(a, b, confidence: float = 0.95) -> PairedInterval:
    """The mean per-seed difference a − b with its t interval.

    a, b: (n,) one value per seed for each setting, seed i of a paired with seed i of b.
    """
    where = "paired_interval"
    a, b = _values(a, "a", where), _values(b, "b", where)
    if a.shape != b.shape:
        raise ValueError(f"{where}: a and b must have one value per seed each, got {a.size} and {b.size} values")
    return mean_interval(a - b, confidence)


def fraction_interval(successes: int, n: int, confidence: float = 0.95) -> tuple:
    """(fraction, low, high): k of n seeds, with the Wilson score interval of the fraction.

    Unlike k/n ± z·√(p(1−p)/n), it stays inside [0, 1] and is not empty at 0 of n or n of n.
    """
    where = "fraction_interval"
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise ValueError(f"{where}: {name} must be a whole number, got {value!r}")
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"{where}: need 0 <= successes <= n and n >= 1, got successes={successes}, n={n}")
    confidence = _check_confidence(confidence, where)
    z = t_quantile(0.5 + confidence / 2, 1e9)  # the normal quantile (t with very many degrees of freedom)
    fraction = successes / n
    centre = (fraction + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(fraction * (1 - fraction) / n + z * z / (4 * n * n))
    return fraction, max(0.0, centre - half), min(1.0, centre + half)
