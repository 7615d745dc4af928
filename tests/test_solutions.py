"""Reference solutions live in solutions/, pass their checkers and hidden tests, and stay out of the lessons.

A learner reading a stored lesson (in JupyterLab, or rendered on GitHub or nbviewer without a kernel)
must not see an answer: no solution code, no passing check, no predict or choose answer. The
lessons' exercise cells are derived from solutions/ (tools/solutions.py), so they cannot drift.
"""
import contextlib
import importlib
import io
import sys
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import solutions  # noqa: E402  (tools/solutions.py)

matplotlib.use("Agg")

LESSONS = solutions.lessons()
EXERCISES = [exercise for path in LESSONS for exercise in solutions.exercises(path)]
CONVERTED = sorted({exercise.lesson for exercise in EXERCISES})
PASSING_MARKS = ("✓ Correct", "✓ Close")


def lesson_module(lesson: str):
    return importlib.import_module(f"mtl_edu.lessons.lesson{lesson[:2]}")


def setup_code(lesson: str) -> str:
    """The lesson's set-up cell (its first code cell: imports and the seeded generator)."""
    cells = solutions.read_notebook(ROOT / "notebooks" / f"{lesson}.ipynb")["cells"]
    return next(solutions.cell_text(cell) for cell in cells if cell["cell_type"] == "code")


def stored_text(cell: dict) -> str:
    """Everything a reader sees of one stored cell without a kernel: its source and its text outputs."""
    parts = [solutions.cell_text(cell)]
    for output in cell.get("outputs", []):
        text = output.get("text", "")
        parts.append(text if isinstance(text, str) else "".join(text))
        for mime in ("text/plain", "text/html", "text/markdown"):
            value = output.get("data", {}).get(mime, "")
            parts.append(value if isinstance(value, str) else "".join(value))
        parts.extend(output.get("traceback", []))
    return "\n".join(parts)


def run(code: str, namespace: dict) -> str:
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(code, "<cell>", "exec"), namespace)
    return buffer.getvalue()


def package_bindings() -> dict:
    """Every name bound in mtl_edu's loaded modules, with the identity of what it is bound to."""
    return {(name, key): id(value) for name, module in list(sys.modules.items())
            if module is not None and name.split(".")[0] == "mtl_edu" for key, value in list(vars(module).items())}


@pytest.fixture
def package_untouched():
    """A hidden test swaps the package's own functions while it runs; afterwards every name is as before."""
    before = package_bindings()
    yield
    after = package_bindings()
    changed = sorted(key for key in before.keys() & after.keys() if before[key] != after[key])
    assert not changed, f"names in mtl_edu's modules still rebound after the hidden tests: {changed}"


def exercise_id(exercise) -> str:
    return f"{exercise.lesson[:2]}-{exercise.name}"


# ---- the files agree ---------------------------------------------------------------------------------------

def test_every_lesson_has_exercises_of_at_least_two_kinds():
    for lesson in CONVERTED:
        kinds = {exercise.kind for exercise in EXERCISES if exercise.lesson == lesson}
        count = sum(exercise.lesson == lesson for exercise in EXERCISES)
        assert len(kinds) >= 2, f"{lesson}: exercises of one kind only ({kinds})"
        assert 3 <= count <= 4, f"{lesson}: {count} exercises, expected 3 or 4"


def test_exercise_cells_are_the_stubs_of_their_solutions():
    assert solutions.out_of_step() == [], "run `python tools/solutions.py sync` after editing solutions/"


def test_every_solution_file_belongs_to_an_exercise_and_has_hidden_tests():
    for lesson in CONVERTED:
        names = {exercise.name for exercise in EXERCISES if exercise.lesson == lesson}
        files = {path.name for path in (solutions.SOLUTIONS / lesson).glob("*.py")}
        expected = {f"{name}.py" for name in names} | {f"{name}.hidden.py" for name in names}
        assert files == expected, f"solutions/{lesson}: unexpected {sorted(files - expected)}, missing {sorted(expected - files)}"
    assert {path.name for path in solutions.SOLUTIONS.iterdir() if path.is_dir()} == set(CONVERTED)


def test_every_exercise_is_followed_by_a_pointer_to_its_solution():
    for path in LESSONS:
        cells = solutions.read_notebook(path)["cells"]
        for exercise in solutions.exercises(path):
            pointers = [index for index, cell in enumerate(cells)
                        if cell.get("metadata", {}).get("mtl_edu", {}).get("solution_pointer") == exercise.name]
            assert len(pointers) == 1 and pointers[0] > exercise.cell_index, f"{path.name}: {exercise.name}"
            text = solutions.cell_text(cells[pointers[0]])
            assert f"%load ../solutions/{exercise.lesson}/{exercise.name}.py" in text


def test_a_region_at_the_top_level_is_refused():
    with pytest.raises(ValueError, match="inside a function body"):
        solutions.stub_cell("### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n")
    with pytest.raises(ValueError, match="no ### BEGIN SOLUTION"):
        solutions.stub_cell("def f():\n    return 1\n")


# ---- the solutions work, and the hidden tests can tell -----------------------------------------------------

@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_id)
def test_reference_solution_passes_its_checker_and_hidden_tests(exercise, package_untouched):
    namespace: dict = {}
    run(setup_code(exercise.lesson), namespace)
    out = run(solutions.solution_cell(exercise.solution_path), namespace)
    if exercise.kind == "predict":
        cells = solutions.read_notebook(ROOT / "notebooks" / f"{exercise.lesson}.ipynb")["cells"]
        out += run(solutions.cell_text(cells[exercise.cell_index + 1]), namespace)  # the measuring cell
        assert "Commit your prediction" not in out and "Measured" in out, out
    else:
        assert "✓ Correct" in out, out
    _, hidden = solutions.hidden_tests(exercise.hidden_path)
    run(hidden, namespace)


@pytest.mark.parametrize("exercise", EXERCISES, ids=exercise_id)
def test_hidden_tests_fail_on_the_untouched_stub(exercise, package_untouched):
    namespace: dict = {}
    run(setup_code(exercise.lesson), namespace)
    run(solutions.stub_cell(solutions.solution_cell(exercise.solution_path)), namespace)
    points, hidden = solutions.hidden_tests(exercise.hidden_path)
    assert points >= 1
    with pytest.raises((AssertionError, NotImplementedError)):
        run(hidden, namespace)


# ---- nothing a reader sees gives an answer away -----------------------------------------------------------

def answer_lines(lesson: str) -> set:
    """The distinctive lines of the lesson's answer regions (short generic ones like `return x` excluded)."""
    lines = set()
    for exercise in (e for e in EXERCISES if e.lesson == lesson):
        for region in solutions.regions(solutions.solution_cell(exercise.solution_path)):
            lines.update(line.strip() for line in region.splitlines() if len(line.strip()) >= 12)
    return lines


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem[:2])
def test_stored_lesson_shows_no_answer(path):
    cells = solutions.read_notebook(path)["cells"]
    lesson = path.stem
    assert lesson in CONVERTED, f"{lesson} has no exercise cells in the solutions/ format"
    for index, cell in enumerate(cells):
        assert "solution" not in cell.get("metadata", {}).get("tags", []), f"cell {index} is a solution cell"
        text = stored_text(cell)
        assert solutions.BEGIN not in text, f"cell {index} holds a solution region"
        outputs = text[len(solutions.cell_text(cell)):]
        for mark in PASSING_MARKS:
            assert mark not in outputs, f"cell {index} stores a passing check ({mark}), which restates an answer"
    everything = "\n".join(stored_text(cell) for cell in cells)
    for line in answer_lines(lesson):
        assert line not in everything, f"{lesson}: a line of a reference solution is in the lesson: {line!r}"
    texts = lesson_module(lesson).answer_texts()
    asked = {e.name for e in EXERCISES if e.lesson == lesson and e.kind in ("predict", "choose")}
    assert set(texts) == asked, f"{lesson}: answer_texts() covers {sorted(texts)}, the lesson asks {sorted(asked)}"
    for name, giveaways in texts.items():
        assert giveaways, f"{lesson} {name}: no answer text to scan for"
        for giveaway in giveaways:
            assert giveaway not in everything, f"{lesson} {name}: the answer {giveaway!r} is in the stored lesson"
