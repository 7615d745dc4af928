"""A JupyterLab server and the page operations tests/test_browser.py needs.

Selectors were read off JupyterLab 4 with ipywidgets 8 (jupyterlab_widgets 3):

- menu items carry their command id:   .lm-Menu-item[data-command="runmenu:run-all"]
- the status-bar kernel item:           [title^="Change kernel"], text "Python 3 (ipykernel) | Idle"
- code-cell prompts:                    .jp-CodeCell .jp-InputPrompt, text "[3]:", "[*]:" or "[ ]:"
- an ipywidgets slider handle:          .noUi-handle[role=slider] with aria-valuenow/-valuemax
- an explorer (course convention):      .mtl-explorer, its figures are <img> elements inside it
"""

from __future__ import annotations

import importlib.util
import json
import secrets
import shutil
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SYSTEM_CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EXPLORER_CLASS = "mtl-explorer"
SERVER_START_TIMEOUT_S = 60.0

# JupyterLab user settings for the test server: no news/update toasts (they call the
# internet and can cover the page), and every cell attached to the DOM so outputs of cells
# scrolled out of view can still be inspected.
LAB_USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}

KERNEL_STATUS_JS = """() => {
    const item = document.querySelector('#jp-main-statusbar [title^="Change kernel"]');
    return item ? item.innerText.trim() : '';
}"""

PROMPTS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
    .map(prompt => prompt.textContent.trim())"""

# Error tracebacks and stderr streams both render with this mime type; a traceback printed by
# a widget callback only ever shows up here, never as an "error" output in the saved file.
STDERR_TRACEBACKS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell')]
    .map(cell => ({
        index: Number(cell.dataset.windowedListIndex),
        texts: [...cell.querySelectorAll(
                '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
            .map(output => output.textContent)
            .filter(text => text.includes('Traceback')),
    }))
    .filter(cell => cell.texts.length > 0)"""

WIDGET_ERRORS_JS = """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]
    .map(output => output.textContent)
    .filter(text => text.includes('Error displaying widget'))"""

IMAGES_JS = "explorer => [...explorer.querySelectorAll('img')].map(img => img.src)"

IMAGES_CHANGED_JS = """([explorer, before]) => {
    const now = [...explorer.querySelectorAll('img')].map(img => img.src);
    return now.length > 0 && now.join('|') !== before.join('|');
}"""


def load_run_notebooks():
    """tools/run_notebooks.py as a module (tools/ is not a package): it holds the one definition
    of a notebook kernel's environment and of which notebooks are lessons."""
    path = REPO_ROOT / "tools" / "run_notebooks.py"
    spec = importlib.util.spec_from_file_location("run_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def chromium_executable(playwright) -> Path | None:
    """$MTL_EDU_CHROMIUM if set (e.g. Google Chrome on GitHub's runners), else Debian's Chromium,
    else a browser Playwright downloaded itself, else None."""
    chosen = os.environ.get("MTL_EDU_CHROMIUM")
    if chosen:
        return Path(chosen) if Path(chosen).is_file() else None
    if SYSTEM_CHROMIUM.is_file():
        return SYSTEM_CHROMIUM
    try:
        bundled = Path(playwright.chromium.executable_path)
    except Exception:  # Playwright raises when its browser was never downloaded
        return None
    return bundled if bundled.is_file() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def write_lab_user_settings(settings_dir: Path) -> None:
    for plugin_path, values in LAB_USER_SETTINGS.items():
        settings_file = settings_dir / f"{plugin_path}.jupyterlab-settings"
        settings_file.parent.mkdir(parents=True, exist_ok=True)
        settings_file.write_text(json.dumps(values))


@dataclass
class LabServer:
    """A running `jupyter lab`, its root folder and its log."""

    process: subprocess.Popen
    base_url: str
    token: str
    root_dir: Path
    log_path: Path

    def url(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"{self.base_url}/{path.lstrip('/')}{separator}token={self.token}"

    def api(self, method: str, path: str, timeout_s: float = 5.0):
        request = urllib.request.Request(
            f"{self.base_url}/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, n_lines: int = 30) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(lines[-n_lines:])

    def wait_until_ready(self, timeout_s: float = SERVER_START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"jupyter lab exited with code {self.process.returncode} before answering; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                self.api("GET", "api/status", timeout_s=2.0)
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.25)
        raise RuntimeError(
            f"jupyter lab did not answer /api/status within {timeout_s:g} s; log:\n{self.log_tail()}"
        )

    def shut_down_all_sessions(self) -> None:
        """End every kernel session, so the next notebook starts from a fresh kernel."""
        for session in self.api("GET", "api/sessions") or []:
            try:
                self.api("DELETE", f"api/sessions/{session['id']}", timeout_s=15.0)
            except urllib.error.HTTPError as error:
                if error.code != 404:  # already gone
                    raise

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: jupyter server shuts its kernels down first
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_lab_server(work_dir: Path, notebook_dir: Path, kernel_env: dict[str, str]) -> LabServer:
    """Start JupyterLab on a free port, serving a copy of `notebook_dir` under work_dir/root.

    The server, and so every kernel it starts, runs on this interpreter (where mtl_edu is
    installed) with `kernel_env`, and with Jupyter/IPython config and data folders inside
    work_dir, so a user's own settings, kernelspecs or startup scripts cannot leak in.
    """
    root_dir = work_dir / "root"
    shutil.copytree(
        notebook_dir, root_dir / notebook_dir.name,
        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
    )
    settings_dir = work_dir / "lab-user-settings"
    write_lab_user_settings(settings_dir)

    env = dict(kernel_env)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        folder = work_dir / name.lower()
        folder.mkdir()
        env[name] = str(folder)

    token = secrets.token_hex(16)
    port = free_port()
    log_path = work_dir / "jupyter-lab.log"
    command = [
        sys.executable, "-m", "jupyter", "lab",
        "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--port={port}", "--port-retries=0",
        f"--ServerApp.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={settings_dir}",
        f"--LabApp.workspaces_dir={work_dir / 'lab-workspaces'}",
    ]
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root_dir, env=env, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = LabServer(process, f"http://127.0.0.1:{port}", token, root_dir, log_path)
    try:
        server.wait_until_ready()
    except Exception:
        server.stop()
        raise
    return server


def kernel_status(page) -> str:
    return page.evaluate(KERNEL_STATUS_JS)


def accept_kernel_dialog_if_shown(page) -> None:
    """JupyterLab asks for a kernel when a notebook's kernelspec is unknown; take the default."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count() and "Select Kernel" in dialog.first.inner_text():
        dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()


def open_notebook(page, server: LabServer, relative_path: str, n_cells: int, timeout_s: float) -> None:
    """Open a notebook in a fresh workspace and wait until all its cells are shown and its kernel is idle."""
    page.goto(server.url(f"lab/tree/{relative_path}?reset"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        accept_kernel_dialog_if_shown(page)
        n_shown = page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").count()
        status = kernel_status(page)
        if n_shown == n_cells and status.endswith("| Idle") and not status.startswith("No Kernel"):
            return
        time.sleep(0.2)
    raise AssertionError(
        f"after {timeout_s:g} s JupyterLab shows {n_shown} of {n_cells} cells "
        f"and the kernel status {status!r}"
    )


def run_menu_command(page, menu_label: str, command_id: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=menu_label).first.click()
    page.locator(f'.lm-Menu-item[data-command="{command_id}"]').click()


def wait_until_run_stops(page, timeout_s: float, settle_s: float = 1.0) -> list[str]:
    """Wait until Run All has finished or stopped on an error; return the code-cell prompts.

    Stopped means: no prompt shows [*], at least one shows a number, the kernel is idle, and
    none of that changed for settle_s. Call after clearing outputs, so that stale execution
    counts do not look like a finished run. Which cells ran is for the caller to judge.
    """
    deadline = time.monotonic() + timeout_s
    prompts: list[str] = []
    stable_since = None
    last_seen = None
    while time.monotonic() < deadline:
        prompts = page.evaluate(PROMPTS_JS)
        status = kernel_status(page)
        stopped = (
            "[*]:" not in prompts
            and any(prompt[1:-2].isdigit() for prompt in prompts)
            and status.endswith("| Idle")
        )
        seen = (tuple(prompts), status)
        if not stopped or seen != last_seen:
            stable_since = time.monotonic() if stopped else None
            last_seen = seen
        elif time.monotonic() - stable_since >= settle_s:
            return prompts
        time.sleep(0.1)
    raise AssertionError(
        f"Run All did not finish within {timeout_s:g} s: prompts {prompts}, "
        f"kernel {kernel_status(page)!r}"
    )


def save_notebook(page, saved_path: Path, timeout_s: float) -> None:
    """Save through JupyterLab and wait until the file on disk is the new, complete version."""
    before = saved_path.stat().st_mtime_ns
    page.locator('.jp-NotebookPanel-toolbar [data-command="docmanager:save"]').first.click()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if saved_path.stat().st_mtime_ns != before:
            try:
                json.loads(saved_path.read_text())
                return
            except (json.JSONDecodeError, OSError):
                pass  # caught mid-write; look again
        time.sleep(0.1)
    raise AssertionError(f"JupyterLab did not save {saved_path.name} within {timeout_s:g} s")


def stderr_tracebacks(page) -> list[dict]:
    """Cells (DOM index and texts) whose stderr output contains a Python traceback."""
    return page.evaluate(STDERR_TRACEBACKS_JS)


def widget_errors(page) -> list[str]:
    return page.evaluate(WIDGET_ERRORS_JS)


def log_console_tracebacks(page) -> list[str]:
    """Tracebacks JupyterLab put in its log console: errors no cell owns, such as a widget
    callback raising outside an Output widget's context. Opens the console only if it has entries."""
    status_item = page.locator(".jp-LogConsoleStatusItem:not(.lm-mod-hidden)")
    if status_item.count() == 0:
        return []
    run_menu_command(page, "View", "logconsole:open")
    panel = page.locator(".jp-LogConsolePanel").first
    panel.wait_for(state="attached", timeout=10_000)
    time.sleep(0.3)  # entries render just after the panel attaches
    text = panel.inner_text()
    return [entry for entry in text.split("Traceback (most recent call last)")[1:]]


def traceback_summary(traceback_text: str, n_lines: int = 3) -> str:
    """The last lines of a traceback: where it ended and the exception with its message."""
    lines = [line for line in traceback_text.splitlines() if line.strip()]
    return "\n".join(lines[-n_lines:])


def explorer_images(explorer) -> list[str]:
    return explorer.evaluate(IMAGES_JS)


def nudge_first_control(explorer) -> str:
    """Change the explorer's first slider by one step (or its first dropdown by one option).

    Uses the keyboard on the focused slider handle, as a learner without a mouse would, so a
    notification toast covering the page cannot swallow the input. Returns what it did.
    """
    handle = explorer.locator(".noUi-handle[role=slider]").first
    if handle.count():
        value = float(handle.get_attribute("aria-valuenow"))
        maximum = float(handle.get_attribute("aria-valuemax"))
        key = "ArrowLeft" if value >= maximum else "ArrowRight"
        handle.scroll_into_view_if_needed()
        handle.focus()
        handle.press(key)
        return f"slider {value:g} -> {key}"
    dropdown = explorer.locator("select").first
    if dropdown.count():
        options = dropdown.locator("option").all_inner_texts()
        if len(options) < 2:
            raise AssertionError(f"explorer's first dropdown has {len(options)} option(s); cannot change it")
        current = dropdown.evaluate("select => select.selectedIndex")
        target = 1 if current == 0 else 0
        dropdown.select_option(index=target)
        return f"dropdown {options[current]!r} -> {options[target]!r}"
    raise AssertionError(
        f"explorer has no slider (.noUi-handle) and no dropdown (select); each "
        f".{EXPLORER_CLASS} needs one that redraws its plot"
    )
