"""The package's layers: its folders, the README's architecture table and the real imports agree.

A layer is a subpackage of `mtl_edu` (`engine/`, `nets/`, ...) or a module directly in it. The README's
table under "The package" lists the layers top to bottom, one rank per row, with the modules each one
holds; this test reads that table, and fails when a module imports from a layer of its own rank or
above (other than its own layer), when it imports a private name (`_x`) from another module, or when
the table and the folders disagree.
"""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mtl_edu"


def readme_layers() -> list:
    """Rows of the README's architecture table, top to bottom: (layer names, module names)."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## The package", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        layers = [name.strip("/") for name in re.findall(r"`([^`]+)`", cells[0])]
        modules = re.findall(r"`([^`]+)`", cells[1])
        rows.append((layers, modules))
    return rows


def ranks() -> dict:
    """Layer name -> rank (0 at the bottom), from the README's table."""
    rows = readme_layers()
    return {layer: len(rows) - 1 - i for i, (layers, _) in enumerate(rows) for layer in layers}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer_of(module: str) -> str:
    """`mtl_edu.nets.train` -> "nets"; `mtl_edu.lessons.lesson03` -> "lessons"; the package itself -> ""."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def source_files() -> list:
    """Every source file of the package except the top-level `__init__.py` (the package's index)."""
    return [path for path in sorted(PACKAGE.rglob("*.py")) if path != PACKAGE / "__init__.py"]


def package_imports(path: Path) -> list:
    """(imported module, imported names) for each import of the package's own code in `path`,
    relative imports resolved to absolute module names (`from ..nets import nn` -> ("mtl_edu.nets.nn", [])
    and ("mtl_edu.nets", ["nn"]))."""
    here = module_name(path).split(".")
    if path.name != "__init__.py":
        here = here[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "mtl_edu":
                continue
            names = [alias.name for alias in node.names]
            found.append((module, names))
            for name in names:  # `from ..nets import nn` imports the module mtl_edu.nets.nn
                if (PACKAGE.parent / module.replace(".", "/") / f"{name}.py").exists():
                    found.append((f"{module}.{name}", []))
        elif isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names if alias.name.split(".")[0] == "mtl_edu"]
    return found


def test_the_readme_table_lists_every_layer_and_module_as_the_folders_hold_them():
    listed = {}
    for layers, modules in readme_layers():
        for layer in layers:
            listed[layer] = set(modules)
    on_disk = {}
    for path in source_files():
        if path.name == "__init__.py":
            continue
        layer = layer_of(module_name(path))
        on_disk.setdefault(layer, set()).add(path.stem if path.parent != PACKAGE else layer)
    assert set(listed) == set(on_disk), (
        f"README layers {sorted(listed)} but folders/modules {sorted(on_disk)}")
    for layer, modules in on_disk.items():
        if (PACKAGE / layer).is_dir():
            assert listed[layer] == modules, (
                f"README lists {sorted(listed[layer])} in {layer}/, the folder holds {sorted(modules)}")


def test_nothing_imports_from_its_own_rank_or_above():
    rank = ranks()
    upward = []
    for path in source_files():
        layer = layer_of(module_name(path))
        for module, names in package_imports(path):
            other = layer_of(module)
            if other and other != layer and rank[other] >= rank[layer]:
                upward.append(f"{path.relative_to(PACKAGE)} (layer {layer}, rank {rank[layer]}) imports "
                              f"{module} (layer {other}, rank {rank[other]})")
            if module == "mtl_edu" and not all((PACKAGE / f"{name}.py").exists() for name in names):
                upward.append(f"{path.relative_to(PACKAGE)} imports the package's index; import the module itself")
    assert not upward, "\n".join(upward)


def test_no_module_imports_a_private_name_from_another_module():
    private = []
    for path in source_files():
        own = module_name(path)
        for module, names in package_imports(path):
            hidden = [name for name in names if name.startswith("_")]
            if module != own and hidden:
                private.append(f"{path.relative_to(PACKAGE)} imports {', '.join(hidden)} from {module}")
    assert not private, "\n".join(private)


def test_the_checker_sees_imports():
    # guard against a checker that passes because it finds nothing
    nn_imports = {module for module, _ in package_imports(PACKAGE / "nets" / "nn.py")}
    assert {"mtl_edu.engine.autodiff", "mtl_edu.nets.init"} <= nn_imports
    lesson03 = {module for module, _ in package_imports(PACKAGE / "lessons" / "lesson03.py")}
    assert {"mtl_edu.nets.nn", "mtl_edu.instruments.probes", "mtl_edu.teaching.explorers"} <= lesson03
    # names are seen: the checkers' kit comes from teaching/checking.py under public names
    lesson01 = dict(package_imports(PACKAGE / "lessons" / "lesson01.py"))
    assert {"passed", "fail"} <= set(lesson01["mtl_edu.teaching.checking"])
    # a later lesson may reuse an earlier one's experiment: same layer
    assert "mtl_edu.lessons.lesson05" in {module for module, _ in package_imports(PACKAGE / "lessons" / "lesson09.py")}
    # the table is read: validation, data and the engine at the bottom, the lessons at the top
    rank = ranks()
    assert rank["validation"] == 0 and rank["data"] == 1 and rank["engine"] == 2 and rank["lessons"] == max(rank.values()) and len(rank) >= 7


def test_the_package_index_points_at_every_module_of_the_layers_below_the_lessons():
    import importlib

    import mtl_edu

    folders = {"engine", "data", "nets", "balancing", "instruments"}
    on_disk = {path.stem: path.parent.name for folder in folders for path in (PACKAGE / folder).glob("*.py")
               if path.name != "__init__.py"}
    assert mtl_edu.MODULES == on_disk
    for name, folder in mtl_edu.MODULES.items():
        assert getattr(mtl_edu, name) is importlib.import_module(f"mtl_edu.{folder}.{name}")
    try:
        mtl_edu.no_such_module
    except AttributeError as error:
        assert "no_such_module" in str(error)
    else:
        raise AssertionError("an unknown name must raise AttributeError")
