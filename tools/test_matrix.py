#!/usr/bin/env python3
"""The course's reproducibility matrix: every lesson under strict nbval, plus the lesson tests, once
per CPU level this machine can run and once at the dependency floors.

Usage::

    python tools/test_matrix.py                     # every leg this CPU can run (`make test-matrix`)
    python tools/test_matrix.py --legs avx          # just these legs (native, avx2, avx, floors)
    python tools/test_matrix.py --legs avx --notebooks-only   # the lessons only (what .ci/run adds)
    python tools/test_matrix.py --list              # the legs, and why a leg would be skipped

Two layers of the CPU change the last bits of a computation: OpenBLAS picks its matrix-product
kernels for the CPU (``OPENBLAS_CORETYPE`` forces one), and NumPy picks its own SIMD loops for
``exp``, ``log1p``, ``tanh``... (``NPY_DISABLE_CPU_FEATURES`` switches dispatch targets off). Together
they let one machine compute what an older CPU computes. The legs:

- ``native``: this machine's own level, with ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``) unset
  whatever the environment set, and no NumPy dispatch target switched off;
- ``avx2``: OpenBLAS's Haswell kernels, NumPy's AVX-512 targets off (needs a CPU with AVX2 and FMA3);
- ``avx``: OpenBLAS's Sandybridge kernels, NumPy's AVX2 targets off too (needs AVX);
- ``floors``: the native level in a second venv (``.venv-floors``) holding the runtime dependencies at
  the lowest versions ``pyproject.toml`` allows, with the test tools current.

A leg is never forced onto a CPU that lacks its instructions (that dies with an illegal instruction):
it is skipped with one line saying why. The dispatch target names are read from the NumPy that runs
the leg (they differ between NumPy releases), never hard-coded. The variables are set before pytest
starts, and tests/conftest.py hands the environment on to every kernel nbval starts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
FLOORS_VENV = REPO_ROOT / ".venv-floors"
NBVAL_ARGS = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
              "--nbval-cell-timeout", "120"]
ALL_LEGS = ("native", "avx2", "avx", "floors")

# What each forced level needs from the CPU, as NumPy names the features.
REQUIRED_FEATURES = {"avx2": ("AVX", "AVX2", "FMA3"), "avx": ("AVX",)}
OPENBLAS_CORE = {"avx2": "Haswell", "avx": "Sandybridge"}

# Printed by the leg's own Python: which NumPy targets it may dispatch to, what the CPU has.
_PROBE = r"""
import json, platform
import numpy
try:
    from numpy._core import _multiarray_umath as m
except ImportError:  # NumPy 1.x
    from numpy.core import _multiarray_umath as m
print(json.dumps({"numpy": numpy.__version__, "machine": platform.machine(),
                  "dispatch": list(m.__cpu_dispatch__),
                  "features": {k: bool(v) for k, v in m.__cpu_features__.items()}}))
"""

_KERNEL_PROBE = r"""
import json, numpy
from threadpoolctl import threadpool_info
try:
    from numpy._core import _multiarray_umath as m
except ImportError:
    from numpy.core import _multiarray_umath as m
blas = [i.get("architecture") for i in threadpool_info() if i.get("internal_api") == "openblas"]
top = [name for name in m.__cpu_dispatch__ if m.__cpu_features__.get(name)]
print(json.dumps({"openblas": blas[0] if blas else "not OpenBLAS", "numpy_targets": top,
                  "baseline": list(m.__cpu_baseline__)}))
"""


def disabled_targets(leg: str, dispatch: list[str]) -> list[str]:
    """The NumPy dispatch targets to switch off so that NumPy runs the loops an older CPU runs.

    avx2: everything that needs AVX-512 (AVX512_*, the X86_V4 group); avx: also the AVX2 level
    (X86_V3 in NumPy >= 2.4, AVX2/FMA3/F16C before). Only names in `dispatch` are returned: NumPy
    refuses to disable a baseline feature.
    """
    if leg not in REQUIRED_FEATURES:
        return []

    def is_avx512(name):
        return name.startswith("AVX512") or name == "X86_V4"

    def is_avx2(name):
        return name in ("X86_V3", "AVX2", "FMA3", "FMA4", "F16C")

    return [n for n in dispatch if is_avx512(n) or (leg == "avx" and is_avx2(n))]


@dataclass
class Leg:
    name: str
    python: Path
    env: dict = field(default_factory=dict)
    skip: str | None = None
    note: str = ""


def probe(python: Path, env: dict | None = None) -> dict:
    out = subprocess.run([str(python), "-c", _PROBE], capture_output=True, text=True, env=env, check=True)
    return json.loads(out.stdout)


def base_env() -> dict:
    env = dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "NPY_DISABLE_CPU_FEATURES"):
        env.pop(name, None)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def plan_leg(name: str, python: Path) -> Leg:
    leg = Leg(name, python, base_env())
    if name in ("native", "floors"):
        return leg
    facts = probe(python, leg.env)
    if facts["machine"].lower() not in ("x86_64", "amd64"):
        leg.skip = f"this CPU is {facts['machine']}, not x86-64: there is no {name.upper()} level to select"
        return leg
    missing = [f for f in REQUIRED_FEATURES[name] if not facts["features"].get(f)]
    if missing:
        leg.skip = f"this CPU lacks {', '.join(missing)}; forcing the {name.upper()} level would die " \
                   "with an illegal instruction"
        return leg
    leg.env["OPENBLAS_CORETYPE"] = OPENBLAS_CORE[name]
    off = disabled_targets(name, facts["dispatch"])
    if off:
        leg.env["NPY_DISABLE_CPU_FEATURES"] = " ".join(off)
    return leg


def _project() -> dict:
    """The [project] table of pyproject.toml."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    return tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]


def floors_requirements() -> list[str]:
    """`name==floor` for every runtime dependency `name>=floor` in pyproject.toml."""
    pins = []
    for requirement in _project()["dependencies"]:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*>=\s*([0-9][0-9A-Za-z.]*)\s*", requirement)
        if not match:
            raise SystemExit(f"test_matrix: cannot read a floor from {requirement!r} in pyproject.toml "
                             "(expected name>=version)")
        pins.append(f"{match.group(1)}=={match.group(2)}")
    return pins


def ensure_floors_venv(base_python: str) -> Path:
    """Create or refresh .venv-floors: runtime dependencies at their floors, test tools current."""
    python = FLOORS_VENV / "bin" / "python"
    stamp = FLOORS_VENV / ".installed"
    pins = floors_requirements()
    wanted = "\n".join(pins) + "\n" + (REPO_ROOT / "pyproject.toml").read_text()
    if python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return python
    print(f"test_matrix: installing the floors into {FLOORS_VENV.name}: {' '.join(pins)}", flush=True)
    if not python.exists():
        subprocess.run([base_python, "-m", "venv", str(FLOORS_VENV)], check=True)
    pip = [str(python), "-m", "pip", "install", "--quiet"]
    subprocess.run(pip + ["--upgrade", "pip"], check=True)
    # The runtime floors and the course's [dev] tools in one resolve, then the course itself without
    # its dependencies, so that pip cannot lift a floor to satisfy `mtl-edu`'s ranges.
    subprocess.run(pip + pins + dev_requirements(), check=True, cwd=REPO_ROOT)
    subprocess.run(pip + ["--no-deps", "-e", "."], check=True, cwd=REPO_ROOT)
    stamp.write_text(wanted)
    return python


def dev_requirements() -> list[str]:
    """The course's test tools, as pyproject.toml's [dev] extra lists them (left to resolve to current)."""
    return list(_project()["optional-dependencies"]["dev"])


def describe(leg: Leg) -> str:
    out = subprocess.run([str(leg.python), "-c", _KERNEL_PROBE], capture_output=True, text=True,
                         env=leg.env, cwd=REPO_ROOT)
    if out.returncode != 0:
        return "(could not read the kernels: " + out.stderr.strip().splitlines()[-1] + ")"
    facts = json.loads(out.stdout)
    numpy_level = (facts["numpy_targets"][-1] if facts["numpy_targets"]
                   else "none above its baseline " + (facts["baseline"][-1] if facts["baseline"] else ""))
    return f"OpenBLAS {facts['openblas']} kernels, NumPy's best SIMD target {numpy_level}"


def run_leg(leg: Leg, notebooks_only: bool, extra: list[str]) -> tuple[bool, float]:
    lessons = sorted(str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    lesson_tests = [] if notebooks_only else sorted(
        str(p.relative_to(REPO_ROOT)) for p in (REPO_ROOT / "tests").glob("test_lesson[0-9][0-9].py"))
    # A path under tests/ comes first so that pytest loads tests/conftest.py, which gives the nbval
    # kernels the course's kernel environment; without lesson tests, `tests` with every test file ignored.
    tests = lesson_tests or ["tests", "--ignore-glob=tests/test_*.py"]
    command = [str(leg.python), "-m", "pytest", *tests, *lessons, *NBVAL_ARGS, "-p", "no:cacheprovider",
               *extra]
    shown = {k: leg.env[k] for k in ("OPENBLAS_CORETYPE", "NPY_DISABLE_CPU_FEATURES") if k in leg.env}
    print(f"\n=== leg {leg.name}: {describe(leg)}" + (f"  [{' '.join(f'{k}={v!r}' for k, v in shown.items())}]"
                                                     if shown else ""), flush=True)
    start = time.perf_counter()
    result = subprocess.run(command, env=leg.env, cwd=REPO_ROOT)
    elapsed = time.perf_counter() - start
    return result.returncode == 0, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--legs", nargs="+", choices=ALL_LEGS, default=list(ALL_LEGS))
    parser.add_argument("--notebooks-only", action="store_true", help="only the lessons under strict nbval")
    parser.add_argument("--list", action="store_true", help="show the legs and exit")
    parser.add_argument("--python", default=os.environ.get("PYTHON", "python3"),
                        help="base interpreter for .venv-floors (default: $PYTHON or python3)")
    args, extra = parser.parse_known_args(argv)

    legs = []
    for name in args.legs:
        python = Path(sys.executable)
        if name == "floors":
            if not args.list:
                python = ensure_floors_venv(args.python)
            elif (FLOORS_VENV / "bin" / "python").exists():
                python = FLOORS_VENV / "bin" / "python"
            else:
                print(f"leg floors: {FLOORS_VENV.name} is not installed yet (make test-matrix installs it)")
                continue
        legs.append(plan_leg(name, python))

    results = []
    for leg in legs:
        if leg.skip:
            print(f"\n=== leg {leg.name}: SKIPPED, {leg.skip}", flush=True)
            results.append((leg.name, "skipped", 0.0))
            continue
        if args.list:
            print(f"leg {leg.name}: {describe(leg)}")
            continue
        ok, elapsed = run_leg(leg, args.notebooks_only, extra)
        results.append((leg.name, "passed" if ok else "FAILED", elapsed))

    if args.list:
        return 0
    print("\n=== test matrix")
    for name, status, elapsed in results:
        print(f"  {name:7s} {status:8s}" + (f" {elapsed:6.0f} s" if status != "skipped" else ""))
    ran = [r for r in results if r[1] != "skipped"]
    failed = [r for r in results if r[1] == "FAILED"]
    if not ran:
        print("test_matrix: none of the requested legs can run on this CPU (see the lines above)")
    if failed:
        print("test_matrix: a lesson prints something else on another CPU level or at the floors; "
              "see README, 'Checking your own machine'")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
