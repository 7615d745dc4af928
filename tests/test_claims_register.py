"""The claims register (docs/claims.md): per lesson, each claim and the cell or test that backs it.
A register that names a test which does not exist backs nothing, so every name is checked."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGISTER = ROOT / "docs" / "claims.md"
TEST_REFERENCE = re.compile(r"tests/(test_\w+\.py)::(\w+)")


def test_every_test_the_register_names_exists():
    references = TEST_REFERENCE.findall(REGISTER.read_text(encoding="utf-8"))
    assert len(references) >= 50, "the register should back most claims with tests"
    missing = []
    for file_name, function in references:
        path = ROOT / "tests" / file_name
        if not path.exists() or not re.search(rf"^def {function}\(", path.read_text(encoding="utf-8"), re.M):
            missing.append(f"tests/{file_name}::{function}")
    assert not missing, "the register names tests that do not exist:\n" + "\n".join(sorted(set(missing)))


def test_the_register_has_a_section_for_every_lesson():
    text = REGISTER.read_text(encoding="utf-8")
    lessons = sorted(path.name[:2] for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert len(lessons) == 11
    missing = [number for number in lessons if not re.search(rf"^## {number} ", text, re.M)]
    assert not missing, f"no section for lessons {missing}"


def test_the_checker_finds_a_missing_name(tmp_path):
    # guard: the pattern must see a reference written as the register writes them
    assert TEST_REFERENCE.findall("backed by tests/test_stats.py::test_t_quantile_matches_the_published_table") == [
        ("test_stats.py", "test_t_quantile_matches_the_published_table")]
