"""Exercises and their reference solutions: read `solutions/`, derive the lessons' stub cells from it.

The format is described in solutions/README.md. In short: `solutions/<lesson>/<exercise>.py` is the
teacher's exercise cell (answer regions between nbgrader's `### BEGIN SOLUTION` / `### END SOLUTION`
markers, after one comment line), `<exercise>.hidden.py` its hidden tests (`# points: N` first), and
the lesson's cell with metadata `mtl_edu.exercise == <exercise>` is the stub this module derives.

    python tools/solutions.py sync [notebooks/NN_name.ipynb ...]   # write the stubs into the lessons
    python tools/solutions.py check                                # exit 1 if a lesson is out of step

Used by tests/test_solutions.py and tools/classroom.py.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
KINDS = ("predict", "debug", "choose", "build")
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
STUB = ("# your code here", "raise NotImplementedError")
_REGION = re.compile(rf"^([ \t]*){re.escape(BEGIN)}[ \t]*\n(.*?)^[ \t]*{re.escape(END)}[ \t]*$\n?",
                     re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Exercise:
    lesson: str          # notebook stem, e.g. "00_start_here"
    name: str            # e.g. "ex1_sigmoid_derivative"
    kind: str            # one of KINDS
    cell_index: int      # index of the exercise cell in the lesson notebook

    @property
    def solution_path(self) -> Path:
        return SOLUTIONS / self.lesson / f"{self.name}.py"

    @property
    def hidden_path(self) -> Path:
        return SOLUTIONS / self.lesson / f"{self.name}.hidden.py"


def lessons() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def read_notebook(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write_notebook(path: Path, notebook: dict) -> None:
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def cell_text(cell: dict) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def exercises(notebook_path: Path) -> list[Exercise]:
    """The exercise cells of one lesson, in order."""
    found = []
    for index, cell in enumerate(read_notebook(notebook_path)["cells"]):
        meta = cell.get("metadata", {}).get("mtl_edu", {})
        if "exercise" in meta:
            if meta.get("kind") not in KINDS:
                raise ValueError(f"{notebook_path.name} cell {index}: exercise {meta['exercise']!r} has kind "
                                 f"{meta.get('kind')!r}, expected one of {', '.join(KINDS)}")
            found.append(Exercise(notebook_path.stem, meta["exercise"], meta["kind"], index))
    return found


def solution_cell(path: Path) -> str:
    """The teacher's exercise cell: the solution file without its first (comment) line."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    if not first.startswith("# "):
        raise ValueError(f"{path.name}: the first line should be a comment naming the exercise, got {first!r}")
    return rest.strip("\n")


def regions(cell: str) -> list[str]:
    """The answer regions of a solution cell (their lines, without the markers)."""
    found = [match.group(2) for match in _REGION.finditer(cell)]
    if not found:
        raise ValueError(f"no {BEGIN} ... {END} region in:\n{cell}")
    return found


def stub_cell(cell: str) -> str:
    """The learner's stub: each answer region replaced by STUB at the region's indentation."""
    regions(cell)  # raises when there is none
    for match in _REGION.finditer(cell):
        if not match.group(1):
            raise ValueError("an answer region must sit inside a function body (indented), so that the stub "
                             f"raises only when called; found one at the top level:\n{match.group(0)}")
    return _REGION.sub(lambda m: "".join(f"{m.group(1)}{line}\n" for line in STUB), cell)


def hidden_tests(path: Path) -> tuple[int, str]:
    """(points, test code) of a hidden-tests file."""
    text = path.read_text(encoding="utf-8")
    first, _, rest = text.partition("\n")
    match = re.fullmatch(r"# points: (\d+)", first.strip())
    if not match:
        raise ValueError(f"{path.name}: the first line should be '# points: N', got {first!r}")
    return int(match.group(1)), rest.strip("\n")


def sync(notebook_path: Path) -> bool:
    """Write each exercise cell's stub from its solution file; True when something changed."""
    notebook = read_notebook(notebook_path)
    changed = False
    for exercise in exercises(notebook_path):
        stub = stub_cell(solution_cell(exercise.solution_path))
        cell = notebook["cells"][exercise.cell_index]
        if cell_text(cell) != stub:
            cell["source"] = stub.splitlines(keepends=True)
            changed = True
    if changed:
        write_notebook(notebook_path, notebook)
    return changed


def out_of_step() -> list[str]:
    """Lessons whose exercise cells differ from their solutions' stubs."""
    problems = []
    for path in lessons():
        cells = read_notebook(path)["cells"]
        for exercise in exercises(path):
            if cell_text(cells[exercise.cell_index]) != stub_cell(solution_cell(exercise.solution_path)):
                problems.append(f"{path.name} cell {exercise.cell_index} ({exercise.name})")
    return problems


def main(argv: list[str]) -> int:
    if argv[:1] == ["sync"]:
        for path in [Path(p) for p in argv[1:]] or lessons():
            if sync(path):
                print(f"{path.name}: exercise cells rewritten from solutions/")
        return 0
    if argv[:1] == ["check"]:
        problems = out_of_step()
        for problem in problems:
            print(f"out of step with solutions/: {problem}")
        return 1 if problems else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
