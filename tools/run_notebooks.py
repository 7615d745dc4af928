#!/usr/bin/env python3
"""Execute course notebooks top to bottom in a fresh kernel and store the outputs in place.

Usage::

    python tools/run_notebooks.py                      # every notebooks/[0-9][0-9]_*.ipynb
    python tools/run_notebooks.py notebooks/03_*.ipynb  # just these
    python tools/run_notebooks.py --timeout 300 PATH...

Each notebook gets its own kernel (the Python running this script, whatever kernelspec
"python3" points to elsewhere on the machine), with the notebook's folder as working
directory and an environment that makes outputs reproducible:

- ``PYTHONHASHSEED=0``: set and dict-of-str ordering is the same on every run;
- ``MPLBACKEND`` removed, so ipykernel selects the inline backend and figures are stored as
  PNG outputs even when the caller exported ``MPLBACKEND=Agg``;
- ``MATPLOTLIBRC`` points at matplotlib's own default rc file, so a learner's or CI's
  ``~/.config/matplotlib/matplotlibrc`` cannot change figure size, fonts or dpi. A
  ``matplotlibrc`` placed next to the notebooks still wins (matplotlib reads the working
  directory first), which is the one deliberate place for a course-wide style;
- ``PYDEVD_DISABLE_FILE_VALIDATION=1`` silences a debugger start-up warning on Python 3.11+.

The notebook is written back with nbformat only when every cell ran. What is stored:

- execution counts renumbered 1..N over the executed code cells (execute_result outputs too);
- no ``execution`` timing metadata on cells (``record_timing=False`` and any old entry removed);
- no ``metadata.widgets`` widget state: it would make every file large and every diff noisy,
  and the static figure each lesson must contain is what viewers without a kernel show;
- ``metadata.kernelspec`` set to python3 and ``metadata.language_info.version`` dropped, so
  re-running on another patch release of Python does not change the file.

A cell tagged ``raises-exception`` may raise (the same tag strict nbval honours); any other
error stops that notebook, which is then left untouched, and the script exits non-zero after
naming the notebook and the cell.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from traitlets import default

REPO_ROOT = Path(__file__).resolve().parent.parent
LESSON_GLOB = "[0-9][0-9]_*.ipynb"
KERNEL_NAME = "python3"
KERNELSPEC = {"name": KERNEL_NAME, "display_name": "Python 3 (ipykernel)", "language": "python"}
DEFAULT_CELL_TIMEOUT_S = 120.0


class CurrentPythonKernelSpecs(KernelSpecManager):
    """Resolve "python3" to an ipykernel running on this interpreter.

    A user-level kernelspec called python3 (``ipykernel install --user`` from another Python)
    would otherwise win the lookup, and the notebook would run without this project installed.
    """

    def get_kernel_spec(self, kernel_name: str):
        if kernel_name != KERNEL_NAME:
            raise NoSuchKernel(kernel_name)
        from ipykernel.kernelspec import RESOURCES, get_kernel_dict

        return self.kernel_spec_class(resource_dir=RESOURCES, **get_kernel_dict())


class CurrentPythonKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose "python3" is always this interpreter (see above)."""

    @default("kernel_spec_manager")
    def _current_python_kernel_specs(self) -> KernelSpecManager:
        return CurrentPythonKernelSpecs(data_dir=self.data_dir)


def matplotlib_default_rc_path() -> str | None:
    """Path of the matplotlibrc shipped with matplotlib, found without importing matplotlib."""
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    rc_path = Path(spec.origin).parent / "mpl-data" / "matplotlibrc"
    return str(rc_path) if rc_path.is_file() else None


def deterministic_kernel_env(base_env: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a notebook kernel whose outputs must reproduce byte for byte.

    Shared with tests/conftest.py (strict nbval) and tests/test_browser.py (JupyterLab), so
    the three ways a notebook is run see the same settings.
    """
    env = dict(os.environ if base_env is None else base_env)
    env["PYTHONHASHSEED"] = "0"
    env.pop("MPLBACKEND", None)
    default_rc = matplotlib_default_rc_path()
    if default_rc is not None:
        env["MATPLOTLIBRC"] = default_rc
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def lesson_notebooks(notebook_dir: Path) -> list[Path]:
    """The course's lesson notebooks: NN_name.ipynb, in lesson order."""
    return sorted(notebook_dir.glob(LESSON_GLOB))


def first_line(source: str, width: int = 70) -> str:
    """The first non-blank source line, shortened, to point a reader at a failing cell."""
    for line in source.splitlines():
        if line.strip():
            return line if len(line) <= width else line[: width - 3] + "..."
    return ""


def normalise_for_commit(nb: nbformat.NotebookNode) -> None:
    """Strip run-to-run noise so that re-running an unchanged notebook leaves the file unchanged."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    language_info = nb.metadata.get("language_info")
    if isinstance(language_info, dict):
        language_info.pop("version", None)

    execution_count = 0
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type != "code":
            continue
        if not cell.source.strip():
            # nbclient skips blank cells; a stale count would break strict nbval's "unrun" check.
            cell.execution_count = None
            cell.outputs = []
            continue
        execution_count += 1
        cell.execution_count = execution_count
        cell.outputs = merge_streams(cell.outputs)
        for output in cell.outputs:
            if output.get("output_type") == "execute_result":
                output["execution_count"] = execution_count


def merge_streams(outputs: list) -> list:
    """Join consecutive pieces of the same stream: how print output is chunked varies run to run."""
    merged = []
    for output in outputs:
        previous = merged[-1] if merged else None
        if (
            output.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == output.get("name")
        ):
            previous["text"] = previous["text"] + output["text"]
        else:
            merged.append(output)
    return merged


class NotebookFailure(Exception):
    """A notebook stopped on a cell; the message names the notebook and the cell."""


def execute_notebook(path: Path, cell_timeout_s: float) -> nbformat.NotebookNode:
    """Run `path` top to bottom in a fresh kernel; return the executed, normalised notebook.

    Raises NotebookFailure naming the cell (1-based index among all cells, and its first
    line) when a cell raises, times out, or the kernel dies.
    """
    nb = nbformat.read(path, as_version=4)
    current_cell = {"index": None}

    def remember_cell(cell, cell_index, **_):
        current_cell["index"] = cell_index

    client = NotebookClient(
        nb,
        kernel_manager_class=CurrentPythonKernelManager,
        kernel_name=KERNEL_NAME,
        timeout=cell_timeout_s,
        allow_errors=False,
        record_timing=False,
        # nbclient's Output-widget emulation needs the widget state while running (with
        # store_widget_state=False it raises KeyError); normalise_for_commit drops it afterwards.
        store_widget_state=True,
        resources={"metadata": {"path": str(path.parent)}},
        on_cell_execute=remember_cell,
    )
    # The kernel's own stderr is start-up chatter and shutdown noise; keep it only to explain a crash.
    with tempfile.TemporaryFile() as kernel_stderr:
        try:
            client.execute(env=deterministic_kernel_env(), cwd=str(path.parent), stderr=kernel_stderr)
        except (CellExecutionError, CellTimeoutError, DeadKernelError) as error:
            kernel_stderr.seek(0)
            kernel_log_tail = kernel_stderr.read().decode(errors="replace").splitlines()[-15:]
            raise notebook_failure(path, nb, current_cell["index"], error, cell_timeout_s,
                                   kernel_log_tail) from None

    normalise_for_commit(nb)
    return nb


def notebook_failure(path: Path, nb: nbformat.NotebookNode, cell_index: int | None,
                     error: Exception, cell_timeout_s: float, kernel_log_tail: list[str]) -> NotebookFailure:
    """A NotebookFailure naming the notebook, the cell (1-based, with its first line) and the cause."""
    where = "before the first cell"
    if cell_index is not None:
        cell = nb.cells[cell_index]
        where = f"cell {cell_index + 1} of {len(nb.cells)} ({first_line(cell.source)!r})"
    if isinstance(error, CellExecutionError):
        reason, detail = f"{error.ename}: {error.evalue}", str(error)
    elif isinstance(error, CellTimeoutError):
        reason, detail = f"no result within the per-cell timeout of {cell_timeout_s:g} s", ""
    else:
        reason = "the kernel died (out of memory, or a crash in compiled code?)"
        detail = "kernel stderr, last lines:\n" + "\n".join(kernel_log_tail)
    return NotebookFailure(f"{path}: {where}: {reason}\n{detail}".rstrip())


def stderr_output_count(nb: nbformat.NotebookNode) -> int:
    """How many stderr stream outputs a notebook stores (usually warnings a lesson should fix)."""
    return sum(
        1
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "paths", nargs="*", type=Path,
        help=f"notebooks to run (default: notebooks/{LESSON_GLOB})",
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_CELL_TIMEOUT_S,
        help="per-cell timeout in seconds (default: %(default)s)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    paths = args.paths or lesson_notebooks(REPO_ROOT / "notebooks")
    if not paths:
        print(f"run_notebooks: no notebooks match notebooks/{LESSON_GLOB}; nothing to do")
        return 0
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        print(f"run_notebooks: no such notebook: {', '.join(missing)}", file=sys.stderr)
        return 2
    if args.timeout <= 0:
        print(f"run_notebooks: --timeout must be > 0 seconds, got {args.timeout:g}", file=sys.stderr)
        return 2

    failures: list[str] = []
    total_start = time.perf_counter()
    for path in paths:
        start = time.perf_counter()
        try:
            nb = execute_notebook(path.resolve(), args.timeout)
        except NotebookFailure as failure:
            elapsed = time.perf_counter() - start
            print(f"FAIL {path}  {elapsed:6.1f} s  (file left unchanged)", flush=True)
            print(str(failure), file=sys.stderr, flush=True)
            failures.append(str(path))
            continue
        nbformat.write(nb, path)
        elapsed = time.perf_counter() - start
        note = ""
        n_stderr = stderr_output_count(nb)
        if n_stderr:
            note = f"  ({n_stderr} stderr output(s): warnings?)"
        print(f"ok   {path}  {elapsed:6.1f} s{note}", flush=True)

    total = time.perf_counter() - total_start
    print(f"run_notebooks: {len(paths) - len(failures)} of {len(paths)} notebook(s) ran in {total:.1f} s")
    if failures:
        print(f"run_notebooks: FAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
