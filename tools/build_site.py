"""Build the course's static website into _site/ (make site; README "The course on the web").

    python tools/build_site.py build --jupyter-book .venv-site/bin/jupyter-book   # all three steps
    python tools/build_site.py render                                              # only the explorers' figures

Runs in the course's .venv (the explorers' figures are drawn by the package); Jupyter Book runs in its own
environment (.venv-site) and is called as a program.

1. render: every registered explorer's static grid (mtl_edu.teaching.static) drawn by its own update
   function into .site-cache/explorers/<name>/<key>/, figures named by their content, with a manifest.
   The key is a hash of the package's source and the versions of what draws, so a warm build reuses the
   figures until the package changes.
2. book: the Jupyter Book source in .site-build/book/: the landing page (the README's lesson map), a copy
   of each lesson with its stored outputs in which every explorer cell shows a static explorer, every
   exercise cell a pointer to the notebook (no checker, no measuring cell of a prediction, no pointer to a
   solution), and the lessons themselves under notebooks/ for download. Files are rewritten only when
   their content changes, so Sphinx rebuilds only what changed.
3. Jupyter Book builds the HTML; _site/ receives a copy.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import copy
import hashlib
import html
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per worker: two workers on two cores
os.environ.setdefault("MPLBACKEND", "Agg")

ROOT = Path(__file__).resolve().parent.parent
SITE_SOURCE = ROOT / "website"
CACHE = ROOT / ".site-cache" / "explorers"
BOOK = ROOT / ".site-build" / "book"
OUTPUT = ROOT / "_site"
WIDGET = "application/vnd.jupyter.widget-view+json"
NOTE = ": interactive in Jupyter: run this cell"
DRAWING_PACKAGES = ("numpy", "matplotlib", "ipywidgets", "pillow")

sys.path.insert(0, str(ROOT / "tools"))
import solutions  # noqa: E402  (tools/solutions.py: the exercise cells and their kinds)


def lessons() -> list:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def log(message: str) -> None:
    print(f"site: {message}", flush=True)


# ---- 1. the explorers' figures ------------------------------------------------------------------------

def package_key() -> str:
    """A hash of everything that decides the figures: the package's source and the drawing libraries' versions."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "mtl_edu").rglob("*")):
        if path.is_file() and path.suffix in (".py", ".csv", ".json", ".txt"):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    for package in DRAWING_PACKAGES:
        digest.update(f"{package}={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


def render_explorer(name: str, key: str) -> tuple:
    """Draw every setting of one explorer's static grid into the cache (in a worker process)."""
    import mtl_edu.lessons  # noqa: F401  (registers the explorers)
    from mtl_edu.teaching import static
    from mtl_edu.teaching.explorers import EXPLORER_WIDGETS

    started = time.perf_counter()
    folder = CACHE / name / key
    partial = folder.with_name(key + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    explorer = EXPLORER_WIDGETS[name]()
    grid = static.static_grid(name, explorer)
    files, messages = [], []
    for setting in grid.settings():
        with warnings.catch_warnings():  # a diverging setting's overflow is the figure's point, not news for the log
            warnings.simplefilter("ignore", RuntimeWarning)
            png, message = static.render_setting(explorer, setting)
        if len(png) > static.MAX_FIGURE_BYTES:
            raise ValueError(f"{name} at {setting}: the figure takes {len(png)} bytes, more than "
                             f"{static.MAX_FIGURE_BYTES}")
        file = hashlib.sha256(png).hexdigest()[:16] + ".png"
        (partial / file).write_bytes(png)
        files.append(file)
        messages.append(message)
    manifest = {
        "name": name, "title": grid.title, "key": key,
        "controls": [{"name": c.name, "label": c.label, "kind": c.kind, "labels": list(c.labels),
                      "default": c.default} for c in grid.controls],
        "files": files, "messages": messages, "default": grid.default_index(),
    }
    (partial / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n")
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    return name, len(files), time.perf_counter() - started


def render(jobs: int) -> dict:
    """name -> manifest for every registered explorer, drawing only those not cached under the current key."""
    import mtl_edu.lessons  # noqa: F401
    from mtl_edu.teaching.explorers import EXPLORERS

    key = package_key()
    missing = [name for name in EXPLORERS if not (CACHE / name / key / "manifest.json").is_file()]
    if missing:
        log(f"drawing {len(missing)} static explorers ({', '.join(missing)}) on {jobs} workers")
        with concurrent.futures.ProcessPoolExecutor(max_workers=jobs) as pool:
            # the later lessons' explorers train networks: start them first
            futures = [pool.submit(render_explorer, name, key) for name in reversed(missing)]
            for future in concurrent.futures.as_completed(futures):
                name, count, seconds = future.result()
                log(f"  {name}: {count} settings in {seconds:.0f} s")
    else:
        log(f"the static explorers' figures are cached ({CACHE.relative_to(ROOT)}/*/{key})")
    for name in EXPLORERS:  # figures of older package versions go
        for stale in (CACHE / name).iterdir():
            if stale.name != key:
                shutil.rmtree(stale)
    return {name: json.loads((CACHE / name / key / "manifest.json").read_text()) for name in EXPLORERS}


# ---- 2. the book's source ------------------------------------------------------------------------------

def write_if_changed(path: Path, content: str | bytes) -> None:
    data = content.encode() if isinstance(content, str) else content
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def static_explorer_html(manifest: dict) -> str:
    """The DOM the site's script drives: controls, a status line and one img (class mtl-static-explorer)."""
    name = manifest["name"]
    base = f"_static/explorers/{name}/"
    rows = []
    for control in manifest["controls"]:
        label = html.escape(control["label"])
        default = control["default"]
        if control["kind"] == "range":
            rows.append(f'<label>{label} <input type="range" min="0" max="{len(control["labels"]) - 1}" step="1" '
                        f'value="{default}" data-control="{control["name"]}" aria-label="{label}">'
                        f'<output data-for="{control["name"]}">{html.escape(control["labels"][default])}</output>'
                        "</label>")
        else:
            options = "".join(f'<option value="{i}"{" selected" if i == default else ""}>{html.escape(text)}</option>'
                              for i, text in enumerate(control["labels"]))
            rows.append(f'<label>{label} <select data-control="{control["name"]}" aria-label="{label}">{options}'
                        "</select></label>")
    data = {"title": manifest["title"], "base": base, "files": manifest["files"], "messages": manifest["messages"],
            "controls": [{"name": c["name"], "label": c["label"], "labels": c["labels"]} for c in manifest["controls"]]}
    payload = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    default = manifest["default"]
    count = len(manifest["files"])
    return (
        f'<div class="mtl-static-explorer" data-explorer="{name}">\n'
        f'<div class="mtl-static-title"><b>{html.escape(manifest["title"])}</b></div>\n'
        f'<div class="mtl-static-controls">{"".join(rows)}</div>\n'
        f'<p class="mtl-static-status">Setting {default + 1} of {count}.</p>\n'
        f'<img class="mtl-static-figure" src="{base}{manifest["files"][default]}" alt="{html.escape(manifest["title"])}">\n'
        f'<p class="mtl-static-note">{count} settings drawn in advance by the explorer\'s own code. In Jupyter the '
        "explorer runs live, with every control and every value: run the lesson's notebook.</p>\n"
        f'<script type="application/json" class="mtl-static-data">{payload}</script>\n'
        "</div>\n"
    )


def exercise_pointer(lesson: Path, exercise) -> dict:
    what = {"predict": "Commit your prediction and measure", "choose": "Answer and get feedback",
            "debug": "Fix the code and check it", "build": "Write it and check it"}[exercise.kind]
    return {
        "cell_type": "markdown", "metadata": {}, "id": f"exercise-{exercise.name}".replace("_", "-"),
        "source": (f'<div class="mtl-exercise-elsewhere">{what} in the notebook: this page shows the exercise, '
                   f'the checker runs in Jupyter. <a href="notebooks/{lesson.name}" download>Download '
                   f"{lesson.name}</a> or open it in JupyterLab (<code>make lab</code>).</div>"),
    }


def site_notebook(lesson: Path, manifests: dict) -> dict:
    """The lesson as its page shows it: stored outputs, static explorers, exercises as prompts only."""
    nb = json.loads(lesson.read_text())
    by_title = {manifest["title"]: manifest for manifest in manifests.values()}
    exercises = {exercise.cell_index: exercise for exercise in solutions.exercises(lesson)}
    measuring = {index + 1 for index, exercise in exercises.items() if exercise.kind == "predict"}
    cells = []
    for index, cell in enumerate(nb["cells"]):
        meta = cell.get("metadata", {}).get("mtl_edu", {})
        if index in exercises:
            cells.append(exercise_pointer(lesson, exercises[index]))
            continue
        if index in measuring or "solution_pointer" in meta:
            continue
        cell = copy.deepcopy(cell)
        outputs = cell.get("outputs", [])
        if any(WIDGET in output.get("data", {}) for output in outputs):
            title = "".join(outputs[0]["data"]["text/plain"]).removesuffix(NOTE)
            if title not in by_title:
                raise ValueError(f"{lesson.name}: an explorer cell shows {title!r}, which no registered explorer has")
            cell["outputs"] = [{"output_type": "display_data", "metadata": {},
                                "data": {"text/html": static_explorer_html(by_title[title])}}]
        cells.append(cell)
    nb["cells"] = cells
    nb["metadata"].pop("widgets", None)  # no widget state: nothing for a widget manager to load
    return nb


def landing_page() -> str:
    """The README's lesson map, linking the lesson pages."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Lesson map\n", 1)[1].split("\n## ", 1)[0]
    section = re.sub(r"\[`?(\d\d_\w+)`?\]\(notebooks/\1\.ipynb\)", r"[\1](\1.ipynb)", section)
    # Links into the repository (solutions/, docs/) have no page on the site: keep their text only.
    in_repository = r"\[([^\]]+)\]\((?!https?:|#|\d\d_\w+\.ipynb)[^)]+\)"
    section = re.sub(in_repository, r"\1", section)
    intro = re.sub(in_repository, r"\1", readme.split("\n## ", 1)[0].split("\n", 1)[1])
    return (f"# mtl-edu: gradient flow and multi-task learning\n{intro}\n"
            "These pages show each lesson with its stored outputs. The explorers here move over settings drawn in "
            "advance; in Jupyter they run live, and the exercises check your answers. To work through the course, "
            "download a lesson's notebook from its page, or clone the repository and run `make lab`.\n\n"
            f"## Lesson map\n{section}")


def toc(paths: list) -> str:
    chapters = "".join(f"  - file: {path.stem}\n" for path in paths)
    return f"format: jb-book\nroot: index\nchapters:\n{chapters}"


def assemble(manifests: dict) -> None:
    paths = lessons()
    BOOK.mkdir(parents=True, exist_ok=True)
    write_if_changed(BOOK / "_config.yml", (SITE_SOURCE / "_config.yml").read_text())
    write_if_changed(BOOK / "_toc.yml", toc(paths))
    write_if_changed(BOOK / "index.md", landing_page())
    for asset in ("static-explorer.js", "static-explorer.css"):
        write_if_changed(BOOK / "_static" / asset, (SITE_SOURCE / asset).read_bytes())
    write_if_changed(BOOK / "_ext" / "offline_pages.py", (SITE_SOURCE / "_ext" / "offline_pages.py").read_bytes())
    for path in paths:
        nb = site_notebook(path, manifests)
        write_if_changed(BOOK / path.name, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        write_if_changed(BOOK / "_extra" / "notebooks" / path.name, path.read_bytes())
    figures = BOOK / "_static" / "explorers"
    for name, manifest in manifests.items():
        source = CACHE / name / manifest["key"]
        target = figures / name
        target.mkdir(parents=True, exist_ok=True)
        wanted = set(manifest["files"])
        for file in wanted:
            if not (target / file).is_file():
                shutil.copy2(source / file, target / file)
        for old in target.iterdir():
            if old.name not in wanted:
                old.unlink()
    for folder in figures.iterdir():
        if folder.name not in manifests:
            shutil.rmtree(folder)


# ---- 3. Jupyter Book --------------------------------------------------------------------------------------

def build(jupyter_book: str, jobs: int) -> None:
    started = time.perf_counter()
    manifests = render(jobs)
    rendered = time.perf_counter()
    assemble(manifests)
    command = [jupyter_book, "build", str(BOOK), "--builder", "html", "--warningiserror", "--keep-going"]
    log("running " + " ".join([Path(jupyter_book).name] + command[1:2] + [str(BOOK.relative_to(ROOT))] + command[3:]))
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode:
        raise SystemExit(f"site: Jupyter Book failed (exit code {result.returncode}); its messages are above")
    built = BOOK / "_build" / "html"
    shutil.rmtree(OUTPUT, ignore_errors=True)
    shutil.copytree(built, OUTPUT)
    size = sum(path.stat().st_size for path in OUTPUT.rglob("*") if path.is_file())
    log(f"_site/ is {size / 1e6:.1f} MB; explorers {rendered - started:.0f} s, the whole build "
        f"{time.perf_counter() - started:.0f} s")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("build", "render", "book"))
    parser.add_argument("--jupyter-book", default=str(ROOT / ".venv-site" / "bin" / "jupyter-book"))
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args(argv)
    if args.command == "render":
        render(args.jobs)
    elif args.command == "book":
        assemble(render(args.jobs))
    else:
        if not Path(args.jupyter_book).is_file():
            raise SystemExit(f"site: no Jupyter Book at {args.jupyter_book}; `make site` makes .venv-site first")
        build(args.jupyter_book, args.jobs)


if __name__ == "__main__":
    main()
