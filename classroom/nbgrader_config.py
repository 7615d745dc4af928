"""nbgrader's settings for the teacher edition. The course directory is this folder; see README.md here.

`python tools/classroom.py` (make student, make grade) reads this file; so does any `nbgrader` command
run from this folder in .venv-teacher.
"""
import os

from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearSolutions,
                                    ComputeChecksums, IncludeHeaderFooter, InstantiateTests, LockCells,
                                    SaveCells)

c = get_config()  # noqa: F821 (nbgrader's config loader provides it)

# The course directory is the folder of this file, wherever it is copied (the tests grade in a copy).
c.CourseDirectory.root = os.path.dirname(os.path.abspath(__file__))

# A solution region becomes exactly the lessons' stub, so a released exercise cell equals the lesson's.
# Every region sits inside a function body: the student edition runs top to bottom without an error.
c.ClearSolutions.code_stub = {"python": "# your code here\nraise NotImplementedError"}

# Keep the lessons' stored outputs (figures) in the student edition: nbgrader's default list without
# ClearOutput. tools/classroom.py has already cleared the outputs of the exercise cells.
c.GenerateAssignment.preprocessors = [
    IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, CheckCellMetadata, ComputeChecksums,
    SaveCells, ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata,
]

# Autograding: a cell that runs longer than this is interrupted and the run goes on with the next
# cell, so a loop that never ends costs that cell, not the submission.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# ipykernel 7 warns at each start that its local TCP sockets are not encrypted: one line per graded
# notebook that says nothing about the submission.
c.Execute.extra_arguments = ["--IPKernelApp.log_level=ERROR"]
