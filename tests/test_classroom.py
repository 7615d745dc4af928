"""The teacher edition on nbgrader (tools/classroom.py, classroom/): the student edition shows no answer
and no hidden test, nbgrader grades a lesson end to end, and a bad submission gets a note in its row
without stopping the others.

tools/classroom.py runs in the teacher's environment (.venv-teacher, nbgrader 0.9.6), always in a
temporary copy of classroom/. The Makefile names that interpreter in MTL_EDU_TEACHER_PYTHON, so under
`make test` a missing one fails these tests; a bare `pytest` without .venv-teacher skips them.
`make test` grades the first lesson in the solutions/ format (00); `make test-classroom`
(MTL_EDU_CLASSROOM_ALL=1) grades every converted lesson and runs each student notebook top to bottom.
"""
from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import solutions  # noqa: E402  (tools/solutions.py: the exercise format)

ALL_LESSONS = os.environ.get("MTL_EDU_CLASSROOM_ALL") == "1"
CONVERTED = [path.stem for path in solutions.lessons() if solutions.exercises(path)]
FIRST = CONVERTED[:1]                      # 00_start_here: the fastest lesson
GRADED = CONVERTED if ALL_LESSONS else FIRST
LOOP_LIMIT = 10                            # s per cell while grading the first lesson; its cells take < 1 s
REGION = re.compile(rf"^([ \t]*){re.escape(solutions.BEGIN)}[ \t]*\n.*?^[ \t]*{re.escape(solutions.END)}[ \t]*$",
                    re.MULTILINE | re.DOTALL)

needs_a_lesson = pytest.mark.skipif(not CONVERTED, reason="no lesson has its exercises in solutions/ yet")
all_lessons_only = pytest.mark.skipif(not ALL_LESSONS, reason="make test-classroom (MTL_EDU_CLASSROOM_ALL=1) only")


def teacher_python() -> str:
    named = os.environ.get("MTL_EDU_TEACHER_PYTHON")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"the teacher's interpreter {named} is missing: `make teacher-venv` builds .venv-teacher")
        return named
    default = ROOT / ".venv-teacher" / "bin" / "python"
    if not default.is_file():
        pytest.skip("no .venv-teacher with nbgrader: `make test` builds it (or `make teacher-venv`)")
    return str(default)


def start(course: Path, *args: str) -> subprocess.Popen:
    """Start tools/classroom.py on `course` in the teacher's environment."""
    return subprocess.Popen([teacher_python(), str(ROOT / "tools" / "classroom.py"), "--course-dir", str(course), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)


def finish(run: subprocess.Popen, timeout: float = 1800) -> str:
    """Its output, once it has succeeded."""
    stdout, stderr = run.communicate(timeout=timeout)
    assert run.returncode == 0, f"{' '.join(run.args[1:])} failed:\n{stdout}\n{stderr}"
    return stdout


def classroom(course: Path, *args: str) -> str:
    return finish(start(course, *args))


def new_course(tmp_path_factory, name: str) -> Path:
    course = tmp_path_factory.mktemp(name) / "classroom"
    course.mkdir()
    shutil.copy(ROOT / "classroom" / "nbgrader_config.py", course)
    return course


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def lesson_notebook(lesson: str) -> nbformat.NotebookNode:
    return read(ROOT / "notebooks" / f"{lesson}.ipynb")


def exercise_points(lesson: str) -> dict[str, int]:
    """Each exercise's points, in lesson order."""
    return {ex.name: solutions.hidden_tests(ex.hidden_path)[0]
            for ex in solutions.exercises(ROOT / "notebooks" / f"{lesson}.ipynb")}


def grade_id(cell) -> str | None:
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def text_lines(node) -> set[str]:
    """Every stripped line of every string anywhere in a notebook (sources, outputs, metadata)."""
    found = set()
    if isinstance(node, str):
        found.update(line.strip() for line in node.splitlines())
    elif isinstance(node, dict):
        for value in node.values():
            found |= text_lines(value)
    elif isinstance(node, list):
        for value in node:
            found |= text_lines(value)
    return found


def submit(course: Path, student: str, lesson: str, nb: nbformat.NotebookNode | None = None) -> Path:
    folder = course / "submitted" / student / lesson
    folder.mkdir(parents=True)
    if nb is not None:
        nbformat.write(nb, folder / f"{lesson}.ipynb")
    return folder


def answered_wrongly(teacher: nbformat.NotebookNode, exercise: str) -> nbformat.NotebookNode:
    """The teacher's version with the exercise's first answer region replaced by `return None`."""
    nb = nbformat.from_dict(teacher)
    cell = next(c for c in nb.cells if grade_id(c) == exercise)
    cell.source, count = REGION.subn(lambda m: f"{m.group(1)}return None", cell.source, count=1)
    assert count == 1
    return nb


def graded_rows(course: Path, output: str) -> dict[tuple[str, str], dict]:
    with open(course / "grades.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["student", "lesson", "score", "max_score", "note"]
    by_key = {(row["student"], row["lesson"]): row for row in rows}
    assert len(by_key) == len(rows), "one row per student and lesson"
    for (student, lesson), row in by_key.items():
        where = f"{student}/{lesson}:" if lesson else f"{student}:"
        lines = [line for line in output.splitlines() if line.startswith(where)]
        assert len(lines) == 1, f"{student}/{lesson}: expected one line in the grading output, got {lines}"
        assert row["note"] in lines[0]
    return by_key


def submit_good_and_wrong(course: Path, lesson: str) -> None:
    teacher = read(course / "source" / lesson / f"{lesson}.ipynb")
    submit(course, "teacher", lesson, teacher)
    submit(course, "untouched", lesson, read(course / "release" / lesson / f"{lesson}.ipynb"))
    last = list(exercise_points(lesson))[-1]
    submit(course, "wrong_last", lesson, answered_wrongly(teacher, last))


# ---- the student edition ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary course directory with the student edition of every converted lesson."""
    course = new_course(tmp_path_factory, "course")
    classroom(course, "student")
    return course


@needs_a_lesson
def test_the_student_edition_has_every_converted_lesson_and_only_those(course):
    released = sorted(p.name for p in (course / "release").iterdir())
    assert released == CONVERTED
    for lesson in CONVERTED:
        assert (course / "release" / lesson / f"{lesson}.ipynb").is_file()


@needs_a_lesson
@pytest.mark.parametrize("lesson", CONVERTED)
def test_released_exercise_cells_are_the_lessons_stubs_and_figures_stay(course, lesson):
    original = lesson_notebook(lesson)
    released = read(course / "release" / lesson / f"{lesson}.ipynb")
    by_id = {cell.id: cell for cell in released.cells}
    for cell in original.cells:
        meta = cell.metadata.get("mtl_edu", {})
        if "solution_pointer" in meta:
            assert cell.id not in by_id, f"the pointer to {meta['solution_pointer']} is still there"
            continue
        twin = by_id[cell.id]
        assert twin.source == cell.source, f"cell {cell.id} differs from the lesson's"
        if "exercise" in meta:
            assert twin.outputs == []
            tests = released.cells[released.cells.index(twin) + 1]
            assert grade_id(tests) == f"{meta['exercise']}_tests" and tests.metadata["nbgrader"]["locked"]
            assert len(tests.source.splitlines()) == 1 and tests.source.startswith("# ")
        elif cell.cell_type == "code":
            assert twin.outputs == cell.outputs, f"cell {cell.id} lost its stored outputs"
        else:
            assert twin.metadata["nbgrader"]["locked"] and twin.metadata.get("editable") is False


@needs_a_lesson
@pytest.mark.parametrize("lesson", CONVERTED)
def test_no_answer_and_no_hidden_test_anywhere_under_the_release(course, lesson):
    """Every line of the lesson's answer regions and hidden tests that no lesson shows anyway."""
    lesson_lines = set().union(*(text_lines(read(path)) for path in solutions.lessons()))
    secret = set()
    for ex in solutions.exercises(ROOT / "notebooks" / f"{lesson}.ipynb"):
        for region in solutions.regions(solutions.solution_cell(ex.solution_path)):
            secret.update(line.strip() for line in region.splitlines())
        secret.update(line.strip() for line in solutions.hidden_tests(ex.hidden_path)[1].splitlines())
    secret = {line for line in secret if len(line) > 3} - lesson_lines - set(solutions.STUB)
    assert secret, "nothing to look for: every answer line is also in the lesson?"
    for path in sorted((course / "release").rglob("*")):
        if path.is_file():
            found = text_lines(read(path)) if path.suffix == ".ipynb" else text_lines(path.read_text())
            leaked = sorted(secret & found)
            assert not leaked, f"{path.relative_to(course)} shows {lesson}'s answers or hidden tests: {leaked}"
            text = path.read_text(encoding="utf-8")
            assert solutions.BEGIN not in text and "BEGIN HIDDEN TESTS" not in text


# ---- grading ---------------------------------------------------------------------------------------------

BAD_INPUTS = {  # student: a fragment of the note their row must carry
    "text_file": "is not a notebook",
    "no_notebook": "no notebook in the folder",
    "empty_folder": "nothing submitted",
    "tests_deleted": "graded cells deleted",
    "loops_forever": "interrupted",
    "kernel_dies": "nbgrader autograde failed",
}


@pytest.fixture(scope="module")
def graded_first(course):
    """The first lesson graded in `course`: right, untouched and wrong submissions next to bad ones."""
    lesson = FIRST[0]
    submit_good_and_wrong(course, lesson)
    teacher = read(course / "source" / lesson / f"{lesson}.ipynb")
    first = list(exercise_points(lesson))[0]

    (submit(course, "text_file", lesson) / f"{lesson}.ipynb").write_text("my answers: 6, b\n")
    (submit(course, "no_notebook", lesson) / "answers.txt").write_text("6, b\n")
    submit(course, "empty_folder", lesson)
    deleted = nbformat.from_dict(teacher)
    deleted.cells = [cell for cell in deleted.cells if grade_id(cell) != f"{first}_tests"]
    submit(course, "tests_deleted", lesson, deleted)
    loops = nbformat.from_dict(teacher)
    cell = next(c for c in loops.cells if grade_id(c) == first)
    cell.source += "\n\nimport time\nwhile True:\n    time.sleep(0.1)\n"
    submit(course, "loops_forever", lesson, loops)
    dies = nbformat.from_dict(teacher)
    cell = next(c for c in dies.cells if grade_id(c) == first)
    cell.source += "\n\nimport os\nos._exit(1)\n"
    submit(course, "kernel_dies", lesson, dies)

    output = classroom(course, "grade", "--timeout", str(LOOP_LIMIT))
    return graded_rows(course, output)


@pytest.fixture(scope="module")
def graded_rest(tmp_path_factory):
    """Every other converted lesson graded at the configured time limit: in two course directories side
    by side, one per core (each grading runs one kernel at a time)."""
    runs = []
    for part in filter(None, (CONVERTED[1::2], CONVERTED[2::2])):
        course = new_course(tmp_path_factory, "course_rest")
        classroom(course, "student", *part)
        for lesson in part:
            submit_good_and_wrong(course, lesson)
        runs.append((course, start(course, "grade")))
    rows = {}
    for course, run in runs:
        rows.update(graded_rows(course, finish(run)))
    return rows


@needs_a_lesson
@pytest.mark.parametrize("lesson", GRADED)
def test_grading_the_teacher_version_untouched_and_one_wrong_answer(lesson, request):
    rows = request.getfixturevalue("graded_first" if lesson == FIRST[0] else "graded_rest")
    points = exercise_points(lesson)
    total = sum(points.values())
    expected = {"teacher": total, "untouched": 0, "wrong_last": total - points[list(points)[-1]]}
    for student, score in expected.items():
        row = rows[(student, lesson)]
        assert (float(row["score"]), float(row["max_score"]), row["note"]) == (score, total, ""), (student, row)


@needs_a_lesson
@pytest.mark.parametrize("student", BAD_INPUTS)
def test_a_bad_submission_gets_one_line_and_a_note_and_the_others_are_graded(graded_first, student):
    lesson = FIRST[0]
    row = graded_first[(student, lesson)]
    assert BAD_INPUTS[student] in row["note"], row
    points = exercise_points(lesson)
    total = sum(points.values())
    first = list(points)[0]
    expected = {"tests_deleted": total - points[first], "loops_forever": total, "kernel_dies": ""}.get(student, 0)
    assert (row["score"] and float(row["score"]), float(row["max_score"])) == (expected, total), row
    assert graded_first[("teacher", lesson)]["score"] != ""


# ---- the student edition runs -----------------------------------------------------------------------------

@all_lessons_only
@needs_a_lesson
@pytest.mark.parametrize("lesson", CONVERTED)
def test_each_student_notebook_runs_top_to_bottom_without_an_error(course, lesson, tmp_path, monkeypatch):
    """In the learner's environment (this interpreter), from a fresh kernel, as a student would run it."""
    from nbclient import NotebookClient

    monkeypatch.setenv("JUPYTER_PREFER_ENV_PATH", "1")  # this environment's python3 kernel
    folder = tmp_path / lesson
    shutil.copytree(course / "release" / lesson, folder)
    nb = read(folder / f"{lesson}.ipynb")
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    errors = [f"cell {i}: {out.ename}: {out.evalue}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for out in cell.outputs if out.output_type == "error"]
    assert not errors, f"{lesson}'s student edition stops with an error: {errors}"
