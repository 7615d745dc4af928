"""Every lesson, run in a real JupyterLab in a real browser, and every explorer moved once.

Per notebook: open it in JupyterLab, clear the stored outputs, Run All Cells, and require that
every code cell ran exactly once in order ([1]..[N]), that no cell raised (except those tagged
`raises-exception`, the tag nbclient and nbval honour too), that no traceback reached stderr,
and that no widget failed to render. Then, for each explorer, change its first slider by one
keyboard step and require that the explorer's figure changes.

Explorer convention: an explorer is an ipywidgets container carrying the CSS class
`mtl-explorer` (`box.add_class("mtl-explorer")`, done by `mtl_edu.teaching.explorers`), holding at least
one slider (or, failing that, a dropdown) and its figure(s) as PNG images inside the same
container (an `Output` widget showing an inline matplotlib figure, or an `Image` widget).
Moving the first slider must redraw the figure. Every lesson needs at least one explorer.

One server and one browser serve the notebooks of a worker (all of them in one process; a half each
under `make test`, which runs two workers); each notebook gets a fresh page and kernel.
On failure a screenshot is saved in the test's pytest tmp_path (the message gives the path).
Skips, with the reason, only when Playwright or a Chromium it can drive is missing.
Pick notebooks with `--browser-notebook notebooks/NAME.ipynb` (repeatable); by default every
notebooks/[0-9][0-9]_*.ipynb.
"""

from __future__ import annotations

import os
from pathlib import Path

import nbformat
import pytest

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[dev]')"
)

import browser_helpers as lab  # noqa: E402  (pytest's default "prepend" import mode puts tests/ on sys.path)

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
OPEN_TIMEOUT_S = 60.0
RUN_ALL_TIMEOUT_S = 180.0  # lessons must run in < 20 s; this only bounds a hung run
SAVE_TIMEOUT_S = 15.0
EXPLORER_TIMEOUT_S = 15.0  # explorers must update in < 0.2 s; this only bounds a dead one
VIEWPORT = {"width": 1280, "height": 900}


def chosen_notebooks(config) -> list[Path]:
    requested = config.getoption("browser_notebooks", default=None) or []
    if not requested:
        return lab.load_run_notebooks().lesson_notebooks(NOTEBOOK_DIR)
    paths = []
    for name in requested:
        path = Path(name).resolve()
        if path.parent != NOTEBOOK_DIR or path.suffix != ".ipynb" or not path.is_file():
            raise pytest.UsageError(
                f"--browser-notebook must name a notebook file directly inside notebooks/, got {name!r}"
            )
        paths.append(path)
    return paths


def pytest_generate_tests(metafunc):
    if "notebook_path" in metafunc.fixturenames:
        paths = chosen_notebooks(metafunc.config)[metafunc.cls.first::2]
        metafunc.parametrize("notebook_path", paths, ids=[p.stem for p in paths])


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        executable = lab.chromium_executable(playwright)
        if executable is None:
            pytest.skip(
                f"no Chromium to drive: install it (Debian/Ubuntu: apt-get install chromium, "
                f"giving {lab.SYSTEM_CHROMIUM}) or run `python -m playwright install chromium`"
            )
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=lab.CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def lab_server(browser, tmp_path_factory):
    # Depends on `browser` so that a missing browser skips before a server is started.
    kernel_env = lab.load_run_notebooks().deterministic_kernel_env()
    server = lab.start_lab_server(tmp_path_factory.mktemp("jupyterlab"), NOTEBOOK_DIR, kernel_env)
    try:
        yield server
    finally:
        server.stop()


def error_outputs(nb, allowed_cells: set[int]) -> list[str]:
    return [
        f"cell {index + 1}: {output.get('ename')}: {output.get('evalue')}"
        for index, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and index not in allowed_cells
        for output in cell.outputs
        if output.get("output_type") == "error"
    ]


def check_explorer(page, explorer, position: int) -> None:
    explorer.scroll_into_view_if_needed()
    before = lab.explorer_images(explorer)
    assert before, (
        f"explorer {position} (.{lab.EXPLORER_CLASS}) shows no figure: expected an <img> "
        f"(inline matplotlib PNG in an Output widget, or an Image widget) inside it"
    )
    # The cell's output is a bundle (widget view, PNG, text) for viewers without a kernel; a live
    # JupyterLab must render the widget alone, not its stored PNG beside it.
    in_cell = explorer.evaluate("e => e.closest('.jp-OutputArea').querySelectorAll('img').length")
    assert len(before) == 1 and in_cell == 1, (
        f"explorer {position} shows {len(before)} figure(s), its cell's output {in_cell}: expected exactly one"
    )
    action = lab.nudge_first_control(explorer)
    try:
        page.wait_for_function(
            lab.IMAGES_CHANGED_JS, arg=[explorer.element_handle(), before],
            timeout=EXPLORER_TIMEOUT_S * 1000,
        )
    except sync_api.TimeoutError:
        logged = lab.log_console_tracebacks(page)
        cause = f"; the log console shows:\n{lab.traceback_summary(logged[-1])}" if logged else ""
        raise AssertionError(
            f"explorer {position}: figure unchanged {EXPLORER_TIMEOUT_S:g} s after {action}{cause}"
        ) from None
    tracebacks = [
        text for text in explorer.locator(
            '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
        ).all_inner_texts()
        if "Traceback" in text
    ]
    assert not tracebacks, f"explorer {position}: traceback after {action}:\n{tracebacks[0]}"


# MTL_EDU_SCREENSHOTS=DIR saves each explorer, after its slider moved, as DIR/<lesson>_explorerN.png.
SCREENSHOT_DIR = os.environ.get("MTL_EDU_SCREENSHOTS")


# The lessons in two halves (every other one), one class each: `make test` runs on two pytest-xdist
# workers with `--dist loadscope`, which keeps a class on one worker, so each half gets its own
# JupyterLab and Chromium and the two halves run side by side.
class TestEvenLessons:
    first = 0

    def test_notebook_runs_and_explorers_respond_in_jupyterlab(self, notebook_path, browser, lab_server, tmp_path):
        run_notebook_and_move_explorers(notebook_path, browser, lab_server, tmp_path)


class TestOddLessons(TestEvenLessons):
    first = 1


def run_notebook_and_move_explorers(notebook_path, browser, lab_server, tmp_path):
    nb = nbformat.read(notebook_path, as_version=4)
    relative_path = f"{NOTEBOOK_DIR.name}/{notebook_path.name}"
    n_code_cells = sum(1 for cell in nb.cells if cell.cell_type == "code" and cell.source.strip())
    raising_cells = {
        index for index, cell in enumerate(nb.cells)
        if "raises-exception" in cell.metadata.get("tags", [])
    }

    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    console_errors: list[str] = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    try:
        lab.open_notebook(page, lab_server, relative_path, len(nb.cells), OPEN_TIMEOUT_S)
        # Collapsed inputs (reference solutions) show no prompt; expand them to see every count.
        lab.run_menu_command(page, "View", "notebook:show-all-cell-code")
        lab.run_menu_command(page, "Edit", "editmenu:clear-all")
        lab.run_menu_command(page, "Run", "runmenu:run-all")
        prompts = lab.wait_until_run_stops(page, RUN_ALL_TIMEOUT_S)

        # Errors are read from the file JupyterLab saves: the DOM renders an error and a
        # stderr stream alike.
        saved_path = lab_server.root_dir / relative_path
        lab.save_notebook(page, saved_path, SAVE_TIMEOUT_S)
        errors = error_outputs(nbformat.read(saved_path, as_version=4), raising_cells)
        assert not errors, "cells raised in JupyterLab:\n" + "\n".join(errors)
        counts = [int(prompt[1:-2]) for prompt in prompts if prompt[1:-2].isdigit()]
        assert counts == list(range(1, n_code_cells + 1)), (
            f"expected each of the {n_code_cells} code cells to run once, in order; prompts {prompts}"
        )
        tracebacks = [cell for cell in lab.stderr_tracebacks(page) if cell["index"] not in raising_cells]
        assert not tracebacks, (
            f"traceback on stderr in cell {tracebacks[0]['index'] + 1}:\n{tracebacks[0]['texts'][0]}"
        )
        broken_widgets = lab.widget_errors(page)
        assert not broken_widgets, f"a widget did not render: {broken_widgets[0]}"

        explorers = page.locator(f".{lab.EXPLORER_CLASS}")
        n_explorers = explorers.count()
        assert n_explorers >= 1, (
            f"no explorer found: every lesson needs an ipywidgets container with CSS class "
            f"{lab.EXPLORER_CLASS!r} (see mtl_edu.teaching.explorers)"
        )
        for position in range(1, n_explorers + 1):
            check_explorer(page, explorers.nth(position - 1), position)
            if SCREENSHOT_DIR:  # what a learner sees, for a person to look at
                explorers.nth(position - 1).screenshot(
                    path=str(Path(SCREENSHOT_DIR) / f"{notebook_path.stem}_explorer{position}.png")
                )
        logged = lab.log_console_tracebacks(page)
        assert not logged, f"JupyterLab's log console shows a traceback:\n{lab.traceback_summary(logged[-1])}"
    except Exception as failure:
        screenshot = tmp_path / f"{notebook_path.stem}.png"
        try:
            page.screenshot(path=str(screenshot))
            where = f"screenshot: {screenshot}"
        except Exception as screenshot_error:  # a crashed page cannot be photographed
            where = f"no screenshot ({screenshot_error})"
        console = "\n  ".join(console_errors[-5:]) or "(none)"
        raise AssertionError(
            f"{relative_path}: {failure}\n{where}\nlast browser console errors:\n  {console}\n"
            f"server log tail:\n{lab_server.log_tail(10)}"
        ) from None
    finally:
        context.close()
        lab_server.shut_down_all_sessions()
