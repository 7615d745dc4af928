"""The package's layers (see README / course design): nothing imports from a layer above it."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mtl_edu"

# Bottom to top. A module may import only from modules of a strictly lower rank. A subpackage
# (`widgets/`, `exercises/`) is one layer: all its modules share its rank and may import each other.
RANK = {
    "autodiff": 0,
    "functional": 1,
    "init": 2,
    "nn": 3, "optim": 3,
    "datasets": 4, "aggregators": 4, "multitask": 4, "batched": 4,
    "toys": 5, "balancers": 5,
    "probes": 6, "stats": 6,
    "train": 7,
    "capstone": 8,
    "exercises": 9, "plots": 9, "graph_drawing": 9,
    "widgets": 10,
}


def layered_files() -> list:
    """(layer name, path) for every source file: `mtl_edu/x.py` is layer x; `mtl_edu/pkg/*.py` is layer pkg.

    A subpackage without code (`data/`: files and an empty `__init__.py`) is no layer.
    """
    files = [(path.stem, path) for path in sorted(PACKAGE.glob("*.py")) if path.stem != "__init__"]
    for init in sorted(PACKAGE.glob("*/__init__.py")):
        sources = [path for path in sorted(init.parent.glob("*.py")) if path.read_text().strip()]
        files += [(init.parent.name, path) for path in sources]
    return files


def package_imports(path: Path) -> set:
    """Names of the package's own top-level modules and subpackages that `path` imports.

    A file directly in mtl_edu/ reaches them with `from . import x` / `from .x import y`; a file in a
    subpackage with `from .. import x` / `from ..x import y` (its `from .y import` are its own package).
    """
    level = 1 if path.parent == PACKAGE else 2
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == level:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_layer():
    layers = {layer for layer, _ in layered_files()}
    assert layers <= set(RANK), f"give these modules a layer in RANK: {sorted(layers - set(RANK))}"


def test_nothing_imports_from_a_layer_above_it():
    upward = []
    for layer, path in layered_files():
        for imported in package_imports(path):
            if imported in RANK and RANK[imported] >= RANK[layer]:
                where = path.relative_to(PACKAGE)
                upward.append(f"{where} (layer {layer}, {RANK[layer]}) imports {imported} (layer {RANK[imported]})")
    assert not upward, "\n".join(upward)


def test_the_checker_sees_imports():
    # guard against a checker that passes because it finds nothing
    assert {"autodiff", "init"} <= package_imports(PACKAGE / "nn.py")
    assert "aggregators" in package_imports(PACKAGE / "toys.py")
    # inside a subpackage: `from .. import` reaches the layers below, `from .core import` stays in the package
    assert {"nn", "probes", "plots"} <= package_imports(PACKAGE / "widgets" / "vanishing_gradients.py")
    assert "core" not in package_imports(PACKAGE / "widgets" / "vanishing_gradients.py")
    assert "capstone" in package_imports(PACKAGE / "exercises" / "lesson10.py")
    # the subpackages' modules are checked, at their package's layer
    files = layered_files()
    assert ("widgets", PACKAGE / "widgets" / "core.py") in files
    assert ("exercises", PACKAGE / "exercises" / "lesson10.py") in files
    assert len([path for layer, path in files if layer == "widgets"]) > 10
