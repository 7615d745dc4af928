"""tools/test_matrix.py: which legs run, what each switches off, and that the kernels nbval starts see it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from browser_helpers import load_run_notebooks

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import test_matrix as TM  # noqa: E402

NUMPY_2_4 = ["X86_V3", "X86_V4", "AVX512_ICL", "AVX512_SPR"]
NUMPY_2_0 = ["SSSE3", "SSE41", "POPCNT", "SSE42", "AVX", "F16C", "FMA3", "AVX2", "AVX512F", "AVX512CD",
             "AVX512_KNL", "AVX512_KNM", "AVX512_SKX", "AVX512_CLX", "AVX512_CNL", "AVX512_ICL", "AVX512_SPR"]


def test_the_avx2_leg_switches_off_only_the_avx512_targets_under_either_naming():
    assert TM.disabled_targets("avx2", NUMPY_2_4) == ["X86_V4", "AVX512_ICL", "AVX512_SPR"]
    off = TM.disabled_targets("avx2", NUMPY_2_0)
    assert off == [name for name in NUMPY_2_0 if name.startswith("AVX512")]


def test_the_avx_leg_switches_off_the_avx2_targets_too_and_keeps_avx():
    assert TM.disabled_targets("avx", NUMPY_2_4) == NUMPY_2_4
    off = TM.disabled_targets("avx", NUMPY_2_0)
    assert {"AVX2", "FMA3", "F16C"} <= set(off) and "AVX" not in off and "SSE42" not in off
    assert TM.disabled_targets("native", NUMPY_2_4) == []


def _fake_probe(machine, features):
    return lambda python, env=None: {"numpy": "2.4", "machine": machine, "dispatch": NUMPY_2_4,
                                     "features": dict.fromkeys(features, True)}


def test_a_leg_the_cpu_cannot_run_is_skipped_with_the_reason(monkeypatch):
    monkeypatch.setattr(TM, "probe", _fake_probe("x86_64", ["AVX"]))
    avx2, avx = TM.plan_leg("avx2", Path(sys.executable)), TM.plan_leg("avx", Path(sys.executable))
    assert "lacks AVX2, FMA3" in avx2.skip and "illegal instruction" in avx2.skip
    assert "OPENBLAS_CORETYPE" not in avx2.env
    assert avx.skip is None and avx.env["OPENBLAS_CORETYPE"] == "Sandybridge"
    monkeypatch.setattr(TM, "probe", _fake_probe("aarch64", []))
    assert "not x86-64" in TM.plan_leg("avx", Path(sys.executable)).skip


def test_every_leg_starts_from_the_environment_without_a_forced_kernel(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Prescott")
    monkeypatch.setenv("NPY_DISABLE_CPU_FEATURES", "X86_V4")
    native = TM.plan_leg("native", Path(sys.executable))
    assert "OPENBLAS_CORETYPE" not in native.env and "NPY_DISABLE_CPU_FEATURES" not in native.env
    monkeypatch.setattr(TM, "probe", _fake_probe("x86_64", ["AVX", "AVX2", "FMA3"]))
    assert TM.plan_leg("avx2", Path(sys.executable)).env["OPENBLAS_CORETYPE"] == "Haswell"


def test_the_kernels_nbval_starts_inherit_the_legs_cpu_level():
    env = load_run_notebooks().deterministic_kernel_env(
        {"OPENBLAS_CORETYPE": "Sandybridge", "NPY_DISABLE_CPU_FEATURES": "X86_V3 X86_V4", "PATH": "/bin"})
    assert env["OPENBLAS_CORETYPE"] == "Sandybridge"
    assert env["NPY_DISABLE_CPU_FEATURES"] == "X86_V3 X86_V4"


def test_the_floors_are_the_lower_bounds_of_pyproject():
    pins = TM.floors_requirements()
    assert {pin.split("==")[0] for pin in pins} == {"numpy", "matplotlib", "ipywidgets", "jupyterlab"}
    assert "numpy==2.0" in pins  # NEP 50 promotion; numpy 1.x promotes float32 gradients to float64


def test_a_dependency_without_a_floor_is_refused(monkeypatch, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["numpy"]\n')
    monkeypatch.setattr(TM, "REPO_ROOT", tmp_path)
    with pytest.raises(SystemExit, match="cannot read a floor from 'numpy'"):
        TM.floors_requirements()
