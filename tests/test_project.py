"""The project's own files agree with each other: the two dependency lists, the set-up commands."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _requirement_name(spec: str) -> str:
    return re.split(r"[<>=!~\[; ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def pyproject_requirements() -> dict:
    text = (ROOT / "pyproject.toml").read_text()
    try:
        import tomllib

        data = tomllib.loads(text)
        specs = data["project"]["dependencies"] + data["project"]["optional-dependencies"]["dev"]
    except ModuleNotFoundError:  # Python 3.10: read the two lists by hand
        blocks = re.findall(r"^(?:dependencies|dev) = \[(.*?)^\]", text, flags=re.S | re.M)
        specs = re.findall(r'"([^"]+)"', "".join(blocks))
    return {_requirement_name(s): s.replace(" ", "") for s in specs}


def environment_requirements() -> dict:
    specs, in_dependencies = [], False
    for line in (ROOT / "environment.yml").read_text().splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
            continue
        if in_dependencies and re.match(r"^  - [A-Za-z]", line) and not line.strip().endswith(":"):
            specs.append(line.strip()[2:])
    return {_requirement_name(s): s.replace(" ", "") for s in specs if _requirement_name(s) not in ("python", "pip")}


def test_environment_yml_and_pyproject_list_the_same_dependencies():
    pip_side, conda_side = pyproject_requirements(), environment_requirements()
    assert pip_side, "no dependencies read from pyproject.toml"
    missing_in_conda = sorted(set(pip_side) - set(conda_side))
    missing_in_pip = sorted(set(conda_side) - set(pip_side))
    assert not missing_in_conda and not missing_in_pip, (
        f"environment.yml lacks {missing_in_conda}; pyproject.toml lacks {missing_in_pip}"
    )
    differing = {n: (pip_side[n], conda_side[n]) for n in pip_side if pip_side[n] != conda_side[n]}
    assert not differing, f"version constraints differ (pyproject, environment.yml): {differing}"


def test_core_dependencies_are_declared():
    names = set(pyproject_requirements())
    assert {"numpy", "matplotlib", "ipywidgets", "jupyterlab", "pytest", "nbval", "hypothesis"} <= names


def test_environment_installs_the_package_itself():
    assert re.search(r"^\s+- -e \.\s*$", (ROOT / "environment.yml").read_text(), flags=re.M)


def test_make_targets_exist_and_ci_runs_make_test():
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lab:", "test:"):
        assert re.search(rf"^{target}", makefile, flags=re.M), f"Makefile lacks the {target} target"
    ci = (ROOT / ".ci" / "run").read_text()
    assert "set -euo pipefail" in ci and "make test" in ci
    assert "--nbval-lax" not in makefile + ci
