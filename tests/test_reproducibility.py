"""The margin behind the lessons' printed numbers, across the CPU levels this machine can run.

tools/printed_values.py recomputes the values behind the lesson numbers most exposed to a CPU's
rounding (long training runs, values near machine precision). Here it runs once per level of
tools/test_matrix.py (native, AVX2, AVX; a level the CPU lacks is left out, never forced), and each
value must print the same on every level and sit far from the point where its printed digits would
change: at least ten times the spread seen across the levels, and at least a millionth of the value.
A bound the lesson prints ("below 0.2") must hold with a factor 2 to spare.
"""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import test_matrix  # noqa: E402  (tools/test_matrix.py)

LEVELS = ("native", "avx2", "avx")


def rounding_distance(value: float, spec: str) -> float:
    """How far `value` is from the nearest value that `format(…, spec)` rounds the other way.

    spec: ".Nf" (N decimals), ".Ne" (N digits after the point of a mantissa), ".Ng" (N significant digits),
    ".N%" (N decimals of a percentage), each optionally with a leading "+" (the sign is printed either way;
    rounding is the same).
    """
    spec = spec.removeprefix("+")
    digits, kind = int(spec[1:-1]), spec[-1]
    magnitude = abs(value)
    if kind == "f":
        unit = 10.0 ** -digits
    elif kind == "%":
        unit = 10.0 ** -digits / 100
    elif kind in "eg":
        exponent = math.floor(math.log10(magnitude))
        unit = 10.0 ** (exponent - digits + (1 if kind == "g" else 0))
    else:
        raise ValueError(f"unsupported format {spec!r}")
    steps = magnitude / unit
    return abs(steps - math.floor(steps) - 0.5) * unit


def test_rounding_distance_finds_the_boundary_for_each_format():
    assert rounding_distance(0.284, ".2f") == pytest.approx(0.001)
    assert rounding_distance(0.2949899, ".1f") == pytest.approx(0.0449899)
    assert rounding_distance(9.4599e-09, ".1e") == pytest.approx(0.0099e-09)
    assert rounding_distance(2.546e-05, ".2g") == pytest.approx(0.004e-05)
    assert rounding_distance(0.25, ".1f") == pytest.approx(0.0, abs=1e-15)  # on the boundary itself
    assert rounding_distance(-34.1, "+.0f") == pytest.approx(0.4)
    assert rounding_distance(0.339, ".0%") == pytest.approx(0.004)  # 33.9 % is 0.4 points from 33.5 %


@pytest.fixture(scope="module")
def values_by_level() -> dict:
    """level -> the printed values as that level computes them. Levels that compute with the same
    kernels and SIMD loops as one already run (e.g. native = AVX2 on a CPU without AVX-512) run once."""
    results, seen = {}, set()
    for name in LEVELS:
        leg = test_matrix.plan_leg(name, Path(sys.executable))
        if leg.skip:
            continue
        kernels = test_matrix.describe(leg)
        if kernels in seen:
            continue
        seen.add(kernels)
        out = subprocess.run([sys.executable, str(ROOT / "tools" / "printed_values.py")], env=leg.env,
                             cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, f"printed_values.py failed on the {name} level:\n{out.stderr}"
        results[f"{name} ({kernels})"] = json.loads(out.stdout)
    return results


def test_each_printed_value_reads_the_same_on_every_level_with_room_to_spare(values_by_level):
    levels = list(values_by_level.values())
    problems = []
    for name, first in levels[0].items():
        values = [level[name]["value"] for level in levels]
        spread = max(values) - min(values)
        if "below" in first:
            bound = first["below"]
            if not all(v < bound / 2 for v in values):
                problems.append(f"{name}: {values} not all below half the printed bound {bound}")
            continue
        spec = first["format"]
        printed = {format(v, spec) for v in values}
        if len(printed) > 1:
            problems.append(f"{name}: prints {sorted(printed)} on different levels ({values})")
            continue
        room = min(rounding_distance(v, spec) for v in values)
        needed = max(10 * spread, 1e-6 * abs(values[0]))
        if room <= needed:
            problems.append(f"{name}: {values[0]!r} is {room:.3g} from its rounding boundary as {spec}, "
                            f"needs more than {needed:.3g} (spread across levels {spread:.3g})")
    assert not problems, f"levels compared: {list(values_by_level)}\n" + "\n".join(problems)
    assert len(levels[0]) >= 20  # the script still covers the lessons' exposed numbers


def _stored_text(lesson: str) -> str:
    (path,) = (ROOT / "notebooks").glob(f"{lesson}_*.ipynb")
    cells = json.loads(path.read_text())["cells"]
    return "".join("".join(output.get("text", "")) for cell in cells for output in cell.get("outputs", []))


def test_the_values_checked_are_the_ones_the_stored_lessons_print(values_by_level):
    # Guards against the script drifting from the lessons: each value, formatted as the lesson formats
    # it, appears in the stored outputs of its lesson (a bound as its "below ..." or "< ..." text).
    native = next(iter(values_by_level.values()))
    for name, entry in native.items():
        text = _stored_text(name[:2])
        if "below" in entry:
            bound = entry["below"]
            assert f"below {bound:g}" in text or f"< {bound:g}" in text, name
        else:
            assert format(entry["value"], entry["format"]) in text, name
