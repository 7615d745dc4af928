"""The website's static explorers: grids read off the explorers' own widgets, and lesson pages that show
each explorer as one and each exercise as its prompt only (tools/build_site.py; the built site itself is checked
in a browser by tests/test_site.py, `make test-site`)."""
import json
import re
import sys
from pathlib import Path

import ipywidgets as widgets
import matplotlib
import pytest

matplotlib.use("Agg")

import mtl_edu.lessons  # noqa: E402,F401  (registers the explorers)
from mtl_edu.lessons import lesson00  # noqa: E402
from mtl_edu.teaching import explorers, static  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import build_site as site_tool  # noqa: E402  (tools/build_site.py)
import solutions  # noqa: E402

LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"


def widget_values(control) -> list:
    """Every value the widget can take (for a slider: its step grid)."""
    if isinstance(control, widgets.Checkbox):
        return [False, True]
    if isinstance(control, (widgets.IntSlider, widgets.FloatSlider, widgets.FloatLogSlider)):
        return static._slider_candidates(control)
    return [option[1] if isinstance(option, tuple) else option for option in control.options]


@pytest.fixture(scope="module")
def grids():
    built = {}
    for name in explorers.EXPLORERS:
        explorer = explorers.EXPLORER_WIDGETS[name]()
        built[name] = (explorer, static.static_grid(name, explorer))
    return built


def test_every_explorer_has_a_grid_of_30_to_150_settings_from_its_own_controls(grids):
    assert len(grids) == 12
    for name, (explorer, grid) in grids.items():
        assert static.MIN_SETTINGS <= grid.size <= static.MAX_SETTINGS, (name, grid.size)
        assert len(grid.settings()) == grid.size and len({json.dumps(s, default=str) for s in grid.settings()}) == grid.size
        assert [c.name for c in grid.controls] == list(explorers.STATIC_CONTROLS[name])
        for control in grid.controls:
            widget = explorer.controls[control.name]
            possible = widget_values(widget)
            if isinstance(widget, widgets.SelectMultiple):
                # the default selection, then every option alone
                assert control.values[0] == tuple(widget.value)
                assert {v for (v,) in control.values[1:]} | set(widget.value) == set(possible)
                continue
            if isinstance(widget, (widgets.Dropdown, widgets.Checkbox)):
                assert list(control.values) == possible, (name, control.name)  # all options of a dropdown
            else:  # a slider: at least 5 values (all, if it has fewer) from one end of its range to the other
                assert len(control.values) >= min(5, len(possible)), (name, control.name, control.values)
                assert control.values[0] == possible[0] and control.values[-1] == possible[-1], (name, control.name)
                assert list(control.values) == sorted(control.values)
                assert all(min(possible) <= v <= max(possible) for v in control.values)
            # the page opens on the setting the notebook's widget starts from
            assert control.values[control.default] == widget.value, (name, control.name)


def test_the_default_setting_is_the_widgets_own_and_indexes_row_major(grids):
    for name, (explorer, grid) in grids.items():
        setting = grid.settings()[grid.default_index()]
        assert all(setting[k] == explorer.values()[k] for k in setting), name


def test_a_setting_renders_as_a_small_palette_png_and_a_setting_that_cannot_work_as_its_message():
    explorer = lesson00.sigmoid_explorer()
    png, message = static.render_setting(explorer, {"steepness": 1.0, "point": 1.0})
    assert png.startswith(b"\x89PNG") and message == "" and len(png) <= static.MAX_FIGURE_BYTES
    png_note, message = static.render_setting(explorer, {"steepness": 1.0, "point": 8.0})  # outside x_range ±6
    assert png_note.startswith(b"\x89PNG") and png_note != png and "8" in message


def test_a_grid_outside_its_bounds_is_refused_naming_the_counts(monkeypatch):
    monkeypatch.setitem(explorers.STATIC_CONTROLS, "sigmoid", ("point",))
    with pytest.raises(ValueError, match=r"sigmoid: controls \{'point': 9\} give 9 settings"):
        static.static_grid("sigmoid", lesson00.sigmoid_explorer())


def test_register_explorer_refuses_static_controls_it_does_not_have():
    with pytest.raises(TypeError, match="static_controls .*'depth'.* must be some of the controls"):
        explorers.register_explorer("a_new_one", lesson00.sigmoid_explorer_update, ("steepness",),
                                    lesson00.sigmoid_explorer, static_controls=("depth",))
    assert "a_new_one" not in explorers.EXPLORERS


# ---- the pages tools/build_site.py assembles -------------------------------------------------------------------

def fake_manifests() -> dict:
    """One manifest per stored explorer cell, as render() writes them (figures not drawn)."""
    manifests = {}
    for path in LESSONS:
        for cell in json.loads(path.read_text())["cells"]:
            for output in cell.get("outputs", []):
                if WIDGET in output.get("data", {}):
                    title = "".join(output["data"]["text/plain"]).removesuffix(site_tool.NOTE)
                    name = f"{path.stem[:2]}-{len(manifests)}"
                    manifests[name] = {"name": name, "title": title, "key": "k", "default": 1,
                                       "controls": [{"name": "a", "label": "a", "kind": "range", "labels": ["1", "2"],
                                                     "default": 1}],
                                       "files": ["one.png", "two.png"], "messages": ["", ""]}
    return manifests


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem[:2])
def test_a_lesson_page_shows_static_explorers_and_exercise_prompts_without_checkers(path):
    page = site_tool.site_notebook(path, fake_manifests())
    lesson = json.loads(path.read_text())
    sources = ["".join(cell["source"]) for cell in page["cells"]]
    exercises = solutions.exercises(path)
    for exercise in exercises:
        stub = "".join(lesson["cells"][exercise.cell_index]["source"])
        assert stub not in sources, f"{path.name}: the exercise cell of {exercise.name} is on the page"
        if exercise.kind == "predict":
            measuring = "".join(lesson["cells"][exercise.cell_index + 1]["source"])
            assert measuring not in sources, f"{path.name}: the measuring cell of {exercise.name} is on the page"
    pointers = [s for s in sources if "mtl-exercise-elsewhere" in s]
    assert len(pointers) == len(exercises) and all(f'href="notebooks/{path.name}"' in s for s in pointers)
    calls = [line for s in sources for line in s.splitlines() if re.match(r"\s*check_\w+\(\w", line)]
    assert not calls, f"{path.name}: checker calls on the page: {calls}"
    stored_pointers = ["".join(cell["source"]) for cell in lesson["cells"]
                       if "solution_pointer" in cell["metadata"].get("mtl_edu", {})]
    assert len(stored_pointers) == len(exercises)
    assert not set(stored_pointers) & set(sources), f"{path.name}: a pointer to a reference solution is on the page"
    shown = [o for cell in page["cells"] for o in cell.get("outputs", [])]
    assert not any(WIDGET in o.get("data", {}) for o in shown) and "widgets" not in page["metadata"]
    statics = [o["data"]["text/html"] for o in shown if 'class="mtl-static-explorer"' in o.get("data", {}).get("text/html", "")]
    stored = sum(WIDGET in o.get("data", {}) for cell in lesson["cells"] for o in cell.get("outputs", []))
    assert len(statics) == stored >= 1
    for markup in statics:
        assert markup.count("<img ") == 1 and 'src="_static/explorers/' in markup and 'type="range"' in markup


def test_the_landing_page_links_every_lesson_page_and_nothing_in_the_repository():
    page = site_tool.landing_page()
    for path in LESSONS:
        assert f"]({path.stem}.ipynb)" in page, path.stem
    assert "](notebooks/" not in page and "](docs/" not in page
