"""The package's layers (see README / course design): nothing imports from a layer above it."""
import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "mtl_edu"

# Bottom to top. A module may import only from modules of a strictly lower rank.
RANK = {
    "autodiff": 0,
    "functional": 1,
    "init": 2,
    "nn": 3, "optim": 3,
    "datasets": 4, "aggregators": 4, "multitask": 4,
    "toys": 5, "balancers": 5,
    "probes": 6,
    "train": 7,
    "capstone": 8,
    "exercises": 9, "plots": 9, "graph_drawing": 9,
    "widgets": 10,
}


def package_imports(path: Path) -> set:
    """Names of the package's own modules that `path` imports (relative imports)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules <= set(RANK), f"give these modules a layer in RANK: {sorted(modules - set(RANK))}"


def test_nothing_imports_from_a_layer_above_it():
    upward = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__init__":
            continue
        for imported in package_imports(path):
            if imported in RANK and RANK[imported] >= RANK[path.stem]:
                upward.append(f"{path.stem} (layer {RANK[path.stem]}) imports {imported} (layer {RANK[imported]})")
    assert not upward, "\n".join(upward)


def test_the_checker_sees_imports():
    # guard against a checker that passes because it finds nothing
    assert {"autodiff", "init"} <= package_imports(PACKAGE / "nn.py")
    assert "aggregators" in package_imports(PACKAGE / "toys.py")
