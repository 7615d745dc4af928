"""Statistics over seeds: the t quantile, paired intervals, and the fraction-of-seeds interval."""
import math

import numpy as np
import pytest

from mtl_edu.instruments.stats import fraction_interval, mean_interval, paired_interval, t_quantile


@pytest.mark.parametrize("p", [0.55, 0.75, 0.9, 0.975, 0.995])
def test_t_quantile_matches_the_closed_forms_for_one_and_two_degrees_of_freedom(p):
    # df = 1 is the Cauchy distribution; df = 2 has t = (2p − 1) √(2 / (4p(1 − p)))
    assert t_quantile(p, 1) == pytest.approx(math.tan(math.pi * (p - 0.5)), rel=1e-10)
    assert t_quantile(p, 2) == pytest.approx((2 * p - 1) * math.sqrt(2 / (4 * p * (1 - p))), rel=1e-10)


@pytest.mark.parametrize("df, expected", [(3, 3.182), (5, 2.571), (9, 2.262), (10, 2.228), (19, 2.093),
                                          (29, 2.045), (31, 2.040), (100, 1.984)])
def test_t_quantile_matches_the_published_table(df, expected):
    # two-sided 95 % critical values as printed in standard t tables (3 decimals)
    assert round(t_quantile(0.975, df), 3) == expected


def test_t_quantile_tends_to_the_normal_quantile_and_is_symmetric():
    assert t_quantile(0.975, 1e9) == pytest.approx(1.959963984540054, abs=1e-8)
    assert t_quantile(0.025, 9) == -t_quantile(0.975, 9)
    assert t_quantile(0.5, 4) == 0.0
    assert t_quantile(0.995, 9) > t_quantile(0.975, 9) > t_quantile(0.975, 30)


def test_t_quantile_names_bad_arguments():
    with pytest.raises(ValueError, match="p must be a probability strictly between 0 and 1, got 1.2"):
        t_quantile(1.2, 5)
    with pytest.raises(ValueError, match="df .* must be a finite number > 0, got 0"):
        t_quantile(0.975, 0)


def test_the_interval_covers_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    samples = rng.normal(loc=3.0, scale=2.0, size=(4000, 10))
    covered = [interval.low <= 3.0 <= interval.high for interval in map(mean_interval, samples)]
    # 4000 trials: the standard error of the coverage is 0.0034
    assert 0.94 <= np.mean(covered) <= 0.96


def test_pairing_removes_what_the_seeds_share():
    rng = np.random.default_rng(1)
    seed_effect = rng.normal(scale=5.0, size=12)   # e.g. an easy or a hard data draw
    a = seed_effect + 1.0 + rng.normal(scale=0.2, size=12)
    b = seed_effect + rng.normal(scale=0.2, size=12)
    paired = paired_interval(a, b)
    assert paired.excludes_zero and paired.low > 0.5
    assert paired.verdict(lower_is_better=True, names=("a", "b")) == "b better"
    assert paired.verdict(lower_is_better=False, names=("a", "b")) == "a better"
    # the unpaired view (each setting's own interval) overlaps: it cannot see the difference
    assert mean_interval(a).low < mean_interval(b).high


def test_paired_interval_is_the_mean_difference_plus_minus_t_times_the_standard_error():
    a, b = np.array([1.0, 2.0, 3.0, 4.0, 5.0]), np.array([0.0, 0.0, 1.0, 1.0, 1.0])
    interval = paired_interval(a, b)
    d = a - b
    half = t_quantile(0.975, 4) * d.std(ddof=1) / math.sqrt(5)
    assert (interval.mean, interval.n) == (2.4, 5)
    assert interval.low == pytest.approx(2.4 - half) and interval.high == pytest.approx(2.4 + half)
    assert str(interval) == "+2.4 [+0.984, +3.82] (95 % interval, n = 5)"
    tied = paired_interval([1.0, 2.0, 3.0], [1.5, 1.0, 3.5])
    assert not tied.excludes_zero and tied.verdict() == "no difference shown"


def test_intervals_name_bad_input():
    with pytest.raises(ValueError, match="one value per seed each, got 3 and 2 values"):
        paired_interval([1, 2, 3], [1, 2])
    with pytest.raises(ValueError, match=r"non-finite values at seeds \[1\]: \[nan\]"):
        paired_interval([1, float("nan"), 3], [1, 2, 3])
    with pytest.raises(ValueError, match="at least 2 seeds, got 1"):
        mean_interval([1.0])
    with pytest.raises(ValueError, match="confidence must lie strictly between 0 and 1"):
        mean_interval([1.0, 2.0], confidence=95)


def test_fraction_interval_is_wilsons_and_stays_inside_zero_one():
    fraction, low, high = fraction_interval(18, 20)
    assert fraction == 0.9
    assert low == pytest.approx(0.699, abs=1e-3) and high == pytest.approx(0.972, abs=1e-3)
    assert fraction_interval(0, 3)[1] == 0.0 and fraction_interval(0, 3)[2] == pytest.approx(0.5615, abs=1e-4)
    assert fraction_interval(3, 3)[2] == 1.0
    # three of three seeds is not yet evidence of "always": the interval reaches below one half
    assert fraction_interval(3, 3)[1] < 0.5
    with pytest.raises(ValueError, match="need 0 <= successes <= n"):
        fraction_interval(4, 3)
