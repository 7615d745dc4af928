"""The teacher edition on nbgrader: the teacher's version of each lesson, the student edition, grading.

    python tools/classroom.py generate [LESSON ...]  the teacher's versions, classroom/source/<lesson>/<lesson>.ipynb
    python tools/classroom.py student [LESSON ...]   generate, then `nbgrader generate_assignment` for each
                                                     lesson: the student edition in classroom/release/<lesson>/
    python tools/classroom.py grade [--timeout S]    `nbgrader autograde` each classroom/submitted/<student>/<lesson>/,
                                                     one at a time, then classroom/grades.csv

LESSON is a notebook stem (00_start_here); the default is every lesson. --course-dir DIR works on another
copy of classroom/ (the tests grade in a temporary one). `generate` needs only nbformat; `student` and
`grade` need nbgrader 0.9.6: run them in .venv-teacher (`make student`, `make grade`).

The teacher's version of a lesson is notebooks/<lesson>.ipynb with its stored outputs, where
- each exercise cell (metadata mtl_edu.exercise) holds its reference solution, solutions/<lesson>/<exercise>.py
  without its first comment line, as an nbgrader solution cell (outputs cleared);
- right after it, a locked, graded cell holds the hidden tests, <exercise>.hidden.py, worth its `# points: N`;
- the cells that name the solution file (mtl_edu.solution_pointer) are dropped;
- markdown cells are read-only.
A lesson with no exercise cell in this format yet is skipped with a message. The format is in
solutions/README.md; tools/solutions.py reads it.

grades.csv has one row per student and lesson: student,lesson,score,max_score,note. The note is empty
when the submission was graded without trouble, and otherwise says in one line what was wrong (not a
notebook, nothing submitted, graded cells deleted, a cell interrupted at the time limit, nbgrader failed);
the same line is printed. Scores come from nbgrader's gradebook (classroom/gradebook.db).
"""
from __future__ import annotations

import argparse
import copy
import csv
import os
import re
import sys
import warnings
from pathlib import Path

import nbformat

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
import solutions  # noqa: E402  (tools/solutions.py: the exercise format)

NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = ROOT / "solutions"
COURSE_DIR = ROOT / "classroom"
LESSON_GLOB = "[0-9][0-9]_*.ipynb"

CSV_COLUMNS = ["student", "lesson", "score", "max_score", "note"]
TIMEOUT_ERROR = "CellTimeoutError"  # the ename nbgrader's Execute gives a cell interrupted at the time limit


def first_line(source: str, width: int = 60) -> str:
    """The first non-blank line, stripped and shortened."""
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= width else line[: width - 3] + "..."
    return ""


# ---- the teacher's version ----------------------------------------------------------------------------------

def nbgrader_meta(grade_id: str, *, solution: bool = False, grade: bool = False, locked: bool = False,
                  points: int | None = None) -> dict:
    meta = {"solution": solution, "grade": grade, "locked": locked, "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        meta["points"] = points
    return meta


def teacher_cell_source(path: Path) -> str:
    """The exercise cell of the teacher's version: the solution file without its first comment line.

    When the cell ends with an answer region, keep the newline after its END line: nbgrader then
    leaves the stub's trailing newline in place, and the released cell equals the lesson's stub cell.
    """
    source = solutions.solution_cell(path)
    if solutions.END in source.rsplit("\n", 1)[-1]:
        source += "\n"
    return source


def hidden_tests_source(exercise: str, path: Path) -> tuple[int, str]:
    points, body = solutions.hidden_tests(path)
    source = (f"# The hidden tests of {exercise}: the autograder runs them; the student edition shows this line only.\n"
              f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS")
    return points, source


def teacher_version(notebook_path: Path, solutions_dir: Path) -> nbformat.NotebookNode | None:
    """The teacher's version of one lesson, or None when the lesson has no exercise cell yet."""
    nb = nbformat.read(notebook_path, as_version=4)
    lesson = notebook_path.stem
    if not any("exercise" in cell.metadata.get("mtl_edu", {}) for cell in nb.cells):
        return None
    cells = []
    for cell in nb.cells:
        meta = cell.metadata.get("mtl_edu", {})
        if "solution_pointer" in meta:
            continue
        if "exercise" in meta:
            exercise = meta["exercise"]
            teacher = copy.deepcopy(cell)
            teacher.source = teacher_cell_source(solutions_dir / lesson / f"{exercise}.py")
            teacher.outputs = []
            teacher.execution_count = None
            teacher.metadata["nbgrader"] = nbgrader_meta(exercise, solution=True)
            points, test_source = hidden_tests_source(exercise, solutions_dir / lesson / f"{exercise}.hidden.py")
            tests = nbformat.v4.new_code_cell(test_source)
            tests.id = f"{cell.id}-tests"
            tests.metadata["nbgrader"] = nbgrader_meta(f"{exercise}_tests", grade=True, locked=True, points=points)
            cells += [teacher, tests]
            continue
        if cell.cell_type == "markdown":
            cell = copy.deepcopy(cell)
            cell.metadata["nbgrader"] = nbgrader_meta(f"md_{cell.id}", locked=True)
        cells.append(cell)
    nb.cells = cells
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in cells if "nbgrader" in c.metadata]
    if len(grade_ids) != len(set(grade_ids)):
        raise ValueError(f"{lesson}: nbgrader grade ids are not unique")
    return nb


def lesson_paths(notebooks_dir: Path, names: list[str]) -> list[Path]:
    paths = sorted(notebooks_dir.glob(LESSON_GLOB))
    if names:
        wanted = {Path(name).stem for name in names}
        unknown = wanted - {p.stem for p in paths}
        if unknown:
            raise SystemExit(f"classroom: no lesson {', '.join(sorted(unknown))} in notebooks/")
        paths = [p for p in paths if p.stem in wanted]
    return paths


def generate(course_dir: Path, names: list[str], notebooks_dir: Path = NOTEBOOKS,
             solutions_dir: Path = SOLUTIONS) -> tuple[list[str], list[str]]:
    """Write the teacher's version of each converted lesson; (lessons written, lessons that failed)."""
    written, failed = [], []
    for path in lesson_paths(notebooks_dir, names):
        try:
            nb = teacher_version(path, solutions_dir)
        except (OSError, ValueError) as error:  # a missing or malformed solution file
            print(f"{path.stem}: no teacher's version: {type(error).__name__}: {first_line(str(error), 160)}")
            failed.append(path.stem)
            continue
        if nb is None:
            print(f"{path.stem}: skipped, no exercise in the solutions/ format yet")
            continue
        target = course_dir / "source" / path.stem / f"{path.stem}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        written.append(path.stem)
        print(f"{path.stem}: teacher's version written")
    return written, failed


# ---- nbgrader ---------------------------------------------------------------------------------------------

def nbgrader_api(course_dir: Path, timeout: int | None = None):
    """nbgrader's Python API on the course directory, configured by its nbgrader_config.py."""
    # The kernel that grades is this environment's python3, even if the user has one of their own.
    os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
    # nbgrader's Gradebook runs the `alembic` command of its environment, found on PATH: put this
    # environment's bin/ first, so that the tool works without an activated .venv-teacher.
    os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    from nbgrader.apps import NbGraderAPI
    from sqlalchemy.exc import SAWarning
    from traitlets.config.loader import PyFileConfigLoader

    # nbgrader 0.9.6 builds a submission's rows the SQLAlchemy 1.x way; SQLAlchemy 2 warns about each
    # one ("not in session, add operation ... will not proceed") and then adds them all the same.
    warnings.filterwarnings("ignore", category=SAWarning, module="nbgrader")

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    config.CourseDirectory.root = str(course_dir.resolve())
    if timeout is not None:
        config.Execute.timeout = timeout
    return NbGraderAPI(config=config)


def last_error(result: dict) -> str:
    """The most telling line of a failed nbgrader run: the exception its log names, else its last error."""
    log = result.get("log", "")
    exceptions = re.findall(r"^\s+((?:\w+\.)*\w+(?:Error|Exception|Exit|Interrupt)\b.*)$", log, re.MULTILINE)
    if exceptions:
        return exceptions[-1].strip()
    generic = ("There was an error", "Please see", "Traceback")
    errors = [line.split("] ", 1)[-1].strip() for line in log.splitlines() if line.startswith("[ERROR]")]
    errors = [line for line in errors if not line.startswith(generic)] or errors
    if errors:
        return errors[-1]
    error = result.get("error", "").strip().splitlines()
    return error[-1] if error else "unknown error"


def student(course_dir: Path, names: list[str]) -> int:
    lessons, failed = generate(course_dir, names)
    api = nbgrader_api(course_dir)
    for lesson in lessons:
        result = api.generate_assignment(lesson, force=True, create=True)
        if result["success"]:
            print(f"{lesson}: student edition in {course_dir.name}/release/{lesson}/")
        else:
            failed.append(lesson)
            print(f"{lesson}: nbgrader generate_assignment failed: {last_error(result)}")
    return 1 if failed else 0


# ---- grading ----------------------------------------------------------------------------------------------

def check_submission(folder: Path, lesson: str) -> tuple[Path | None, str]:
    """(the notebook to grade, "") or (None, why it cannot be graded)."""
    files = sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))
    if not files:
        return None, "nothing submitted: the lesson folder is empty"
    notebook = folder / f"{lesson}.ipynb"
    if not notebook.is_file():
        others = [name for name in files if name.endswith(".ipynb")]
        if others:
            return None, f"no {lesson}.ipynb in the folder (found {', '.join(others)}; rename it to grade it)"
        return None, f"no notebook in the folder (found {', '.join(files)})"
    try:
        nb = nbformat.read(notebook, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # any reason at all: it cannot be graded
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return None, f"{lesson}.ipynb is not a notebook ({type(error).__name__}: {reason[:80]})"
    return notebook, ""


def deleted_cells(notebook: Path, gradebook_notebook) -> str:
    """A note naming the teacher's exercise and test cells the submission no longer has, or ""."""
    nb = nbformat.read(notebook, as_version=4)
    present = {cell.metadata.get("nbgrader", {}).get("grade_id") for cell in nb.cells}
    exercises = [cell.name for cell in gradebook_notebook.solution_cells if cell.name not in present]
    tests = [cell.name for cell in gradebook_notebook.grade_cells if cell.name not in present]
    notes = []
    if tests:
        notes.append(f"graded cells deleted, each scores 0: {', '.join(tests)}")
    if exercises:
        notes.append(f"exercise cells deleted: {', '.join(exercises)}")
    return "; ".join(notes)


def timed_out_cells(notebook: Path) -> list[str]:
    """The cells of an autograded notebook that were interrupted at the time limit."""
    if not notebook.is_file():
        return []
    nb = nbformat.read(notebook, as_version=4)
    found = []
    for index, cell in enumerate(nb.cells):
        if any(out.get("output_type") == "error" and out.get("ename") == TIMEOUT_ERROR
               for out in cell.get("outputs", [])):
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            found.append(grade_id or f"cell {index} ({first_line(cell.source)})")
    return found


def grade(course_dir: Path, timeout: int | None = None) -> int:
    from nbgrader.api import Gradebook

    submitted = course_dir / "submitted"
    if not submitted.is_dir():
        print(f"classroom: nothing to grade, no {course_dir.name}/submitted/ (put each student's lesson folders "
              f"in {course_dir.name}/submitted/<student>/<lesson>/)")
        return 1
    api = nbgrader_api(course_dir, timeout)
    limit = api.config.Execute.timeout
    db = (api.coursedir.db_url, api.coursedir.course_id)  # what Gradebook() takes
    with Gradebook(*db) as gb:
        assignments = {a.name: a.max_score for a in gb.assignments}

    rows = []

    def add(row: list) -> None:
        student_id, lesson, score, max_score, note = row
        mark = f"{score}/{max_score}" if score != "" else "not graded"
        where = f"{student_id}/{lesson}" if lesson else student_id
        print(f"{where}: {mark}" + (f"; {note}" if note else ""), flush=True)
        rows.append(row)

    for student_dir in sorted(p for p in submitted.iterdir() if not p.name.startswith(".")):
        student_id = student_dir.name
        if not student_dir.is_dir():
            add([student_id, "", "", "", "a file where a student's folder should be: submitted/<student>/<lesson>/"])
            continue
        entries = sorted(p for p in student_dir.iterdir() if not p.name.startswith("."))
        if not entries:
            add([student_id, "", "", "", "nothing submitted: the student's folder is empty"])
        for folder in entries:
            lesson = folder.name
            if not folder.is_dir():
                add([student_id, lesson, "", "", f"not in a lesson folder: move it to submitted/{student_id}/<lesson>/"])
            elif lesson not in assignments:
                add([student_id, lesson, "", "", "unknown lesson: no student edition was generated for it (make student)"])
            else:
                try:
                    add(grade_one(api, db, folder, student_id, lesson, assignments[lesson], limit))
                except Exception as error:  # one submission's trouble must not stop the others
                    add([student_id, lesson, "", score_text(assignments[lesson]),
                         f"grading failed: {type(error).__name__}: {first_line(str(error), 100)}"])

    target = course_dir / "grades.csv"
    with open(target, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(CSV_COLUMNS)
        writer.writerows(rows)
    print(f"classroom: {len(rows)} rows in {course_dir.name}/grades.csv")
    return 0


def score_text(value: float) -> str:
    return f"{value:g}"


def grade_one(api, db: tuple[str, str], folder: Path, student_id: str, lesson: str, max_score: float,
              limit: int) -> list:
    """Autograde one student's lesson with nbgrader; its grades.csv row."""
    from nbgrader.api import Gradebook

    notebook, problem = check_submission(folder, lesson)
    if notebook is None:
        return [student_id, lesson, "0", score_text(max_score), problem]
    with Gradebook(*db) as gb:
        notes = [deleted_cells(notebook, gb.find_notebook(lesson, lesson))]

    result = api.autograde(lesson, student_id, force=True, create=True)
    if not result["success"]:
        return [student_id, lesson, "", score_text(max_score), f"nbgrader autograde failed: {last_error(result)}"]

    autograded = Path(api.coursedir.format_path(api.coursedir.autograded_directory, student_id, lesson))
    slow = timed_out_cells(autograded / f"{lesson}.ipynb")
    if slow:
        notes.append(f"interrupted at the {limit} s limit (a loop that never ends?): {', '.join(slow)}")
    with Gradebook(*db) as gb:
        submission = gb.find_submission(lesson, student_id)
        score, max_score = submission.score, submission.max_score
        if submission.needs_manual_grade and not any(notes):  # a deleted graded cell also sets the flag
            notes.append("nbgrader flags it for manual grading (formgrader)")
    return [student_id, lesson, score_text(score), score_text(max_score), "; ".join(n for n in notes if n)]


# ---- command line -----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course-dir", type=Path, default=COURSE_DIR,
                        help="the nbgrader course directory (default: classroom/)")
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("generate", "student"):
        command = commands.add_parser(name)
        command.add_argument("lessons", nargs="*", metavar="LESSON")
    grading = commands.add_parser("grade")
    grading.add_argument("--timeout", type=int, default=None,
                         help="seconds before a cell is interrupted (default: nbgrader_config.py's)")
    args = parser.parse_args(argv)
    course_dir = args.course_dir.resolve()
    if not (course_dir / "nbgrader_config.py").is_file():
        parser.error(f"{course_dir} has no nbgrader_config.py")
    if args.command == "generate":
        return 1 if generate(course_dir, args.lessons)[1] else 0
    if args.command == "student":
        return student(course_dir, args.lessons)
    return grade(course_dir, args.timeout)


if __name__ == "__main__":
    sys.exit(main())
