"""Teaching tools: `explorers` (the framework every interactive explorer is built on: the registry, the
`Explorer` widget, controls and figures) and `checking` (the exercise checkers' kit: `ExerciseError`,
the `exercise_checker` decorator, helpers that call learner code and report).

Imports from the layers below (instruments, and the engine); the lessons build on it.
"""
