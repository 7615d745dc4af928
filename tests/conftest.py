"""Shared pytest set-up.

Notebooks are validated by strict nbval. The project's command (see the Makefile's `test`
target) is::

    python -m pytest tests notebooks/[0-9][0-9]_*.ipynb --nbval --nbval-current-env \
        --nbval-sanitize-with tests/nbval_sanitize.cfg --nbval-cell-timeout 120

Listing `tests` first matters: it makes pytest load this file, which gives the nbval kernels
the same environment tools/run_notebooks.py used when it stored the outputs. Without --nbval
(or with -p no:nbval) this file changes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browser_helpers import load_run_notebooks  # tests/ is on sys.path while conftest loads

SANITIZE_FILE = Path(__file__).resolve().parent / "nbval_sanitize.cfg"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--browser-notebook", action="append", dest="browser_notebooks", default=[],
        metavar="PATH",
        help="notebook for tests/test_browser.py, repeatable (default: every notebooks/[0-9][0-9]_*.ipynb)",
    )


def nbval_active(config: pytest.Config) -> bool:
    # getoption's default covers `-p no:nbval`, where nbval's options do not exist.
    return bool(config.getoption("nbval", default=False) or config.getoption("nbval_lax", default=False))


def pytest_configure(config: pytest.Config) -> None:
    if not nbval_active(config):
        return
    # nbval starts each kernel with this process's environment, so set it here, before any
    # notebook is collected: hash seed, inline backend, matplotlib's default rc.
    kernel_env = load_run_notebooks().deterministic_kernel_env()
    for name in set(os.environ) - set(kernel_env):
        del os.environ[name]
    os.environ.update(kernel_env)

    # Safety nets for a hand-typed command; the Makefile passes both explicitly.
    option = config.option
    if option.nbval_sanitize_with is None and getattr(option, "sanitize_with", None) is None:
        option.nbval_sanitize_with = str(SANITIZE_FILE)
    if not option.nbval_kernel_name and not getattr(option, "current_env", False):
        # The kernel runs on this interpreter, where mtl_edu is installed, even when a
        # user-level "python3" kernelspec points at another Python.
        option.nbval_current_env = True
