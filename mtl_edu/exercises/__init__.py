"""Checkers for the lessons' exercises: a tick when the answer is right, the exact problem when not.

Every checker follows one pattern (lessons rely on it):

- it takes the learner's function (or a function returning the learner's numbers) and calls it;
- right: it prints "✓ Correct: <what was checked>";
- wrong: it raises `ExerciseError` (an AssertionError) whose message starts with "✗" and names
  the input, the expected and the received value, and where it can, the likely slip;
- not attempted (the stub's `raise NotImplementedError` still in place): it prints
  "Not attempted yet: ..." and raises nothing, so a notebook runs top to bottom untouched.

A passing check's message is stored in the committed notebooks and compared by strict nbval, so
it states what was checked and a bound ("agrees to within 1e-9"), never a measured error at full
precision, which could differ in its last digits on another machine.
To add a checker: write `check_<name>(learner_fn)` in its lesson's module with the
`@exercise_checker` decorator, call learner code through `call_learner`, report with `passed` / `fail` (all
from `core`), list it in that module's `__all__`, and test it both ways in tests/test_exercises.py.

One module per lesson (`lesson00` ... `lesson10`) on top of `core` (ExerciseError, the decorator and
the shared helpers); this package re-exports every module's public names, so
`from mtl_edu.exercises import check_he_std` works whichever module defines it.
"""
# The star imports gather each module's `__all__`.
from . import (
    core, lesson00, lesson01, lesson02, lesson03, lesson04, lesson05, lesson06, lesson07, lesson08, lesson09, lesson10,
)
from .core import *  # noqa: F401,F403
from .lesson00 import *  # noqa: F401,F403
from .lesson01 import *  # noqa: F401,F403
from .lesson02 import *  # noqa: F401,F403
from .lesson03 import *  # noqa: F401,F403
from .lesson04 import *  # noqa: F401,F403
from .lesson05 import *  # noqa: F401,F403
from .lesson06 import *  # noqa: F401,F403
from .lesson07 import *  # noqa: F401,F403
from .lesson08 import *  # noqa: F401,F403
from .lesson09 import *  # noqa: F401,F403
from .lesson10 import *  # noqa: F401,F403

__all__ = [
    *core.__all__, *lesson00.__all__, *lesson01.__all__, *lesson02.__all__, *lesson03.__all__, *lesson04.__all__,
    *lesson05.__all__, *lesson06.__all__, *lesson07.__all__, *lesson08.__all__, *lesson09.__all__,
    *lesson10.__all__,
]
