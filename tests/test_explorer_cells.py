"""Explorer cells read well without a kernel: the stored output is one bundle of the widget view, the
figure (image/png) and a one-line note, so GitHub, nbviewer and a JupyterLab that has not run the cell
show the explorer's figure, never the widget's repr."""
import base64
import json
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from mtl_edu.lessons import lesson00
from mtl_edu.teaching import explorers

ROOT = Path(__file__).resolve().parent.parent
LESSONS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WIDGET = "application/vnd.jupyter.widget-view+json"
NOTE = "interactive in Jupyter: run this cell"


def explorer_cells(path: Path) -> list:
    nb = nbformat.read(path, as_version=4)
    return [cell for cell in nb.cells if cell.cell_type == "code"
            and any(WIDGET in output.get("data", {}) for output in cell.outputs)]


def test_every_registered_explorer_has_a_stored_cell():
    stored = sum(len(explorer_cells(path)) for path in LESSONS)
    assert stored == len(explorers.EXPLORERS) == 12


@pytest.mark.parametrize("path", LESSONS, ids=lambda path: path.stem[:2])
def test_explorer_cells_export_as_a_figure_not_a_repr(path):
    # As nbviewer does: nbconvert's HTML export, with no widget state in the notebook.
    cells = explorer_cells(path)
    assert cells, f"{path.name} has no explorer cell"
    for cell in cells:
        assert len(cell.outputs) == 1, f"{path.name}: an explorer cell should have one output, has {len(cell.outputs)}"
        data = cell.outputs[0]["data"]
        assert set(data) == {WIDGET, "image/png", "text/plain"}, sorted(data)
        assert "".join(data["text/plain"]).endswith(NOTE)
        assert base64.b64decode(data["image/png"])[:8] == b"\x89PNG\r\n\x1a\n"
        one = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
        body, _ = HTMLExporter().from_notebook_node(one)
        assert "<img" in body and "Explorer(children=" not in body, f"{path.name}: {cell.source[:60]!r}"


def test_the_bundle_follows_the_figure_and_drops_it_for_a_setting_that_cannot_work():
    explorer = lesson00.sigmoid_explorer()
    first = explorer._repr_mimebundle_()["image/png"]
    explorer.controls["steepness"].value = 3.0
    second = explorer._repr_mimebundle_()
    assert second["image/png"] != first and second["text/plain"] == f"The sigmoid and its slope: {NOTE}"
    explorer.controls["point"].value = 8.0  # outside the plotted range ±6: a note, no figure
    assert "image/png" not in explorer._repr_mimebundle_()
    assert json.dumps(explorer._repr_mimebundle_())  # still a valid bundle
