"""Assertions shared by the tests of the exercise checkers (in mtl_edu/lessons, built on mtl_edu.teaching.checking)."""
import pytest

from mtl_edu.teaching.checking import ExerciseError


def passes(checker, answer, capsys) -> str:
    """The checker accepts `answer` and says so with a tick."""
    checker(answer)
    out = capsys.readouterr().out
    assert out.startswith("✓ Correct: "), out
    return out


def fails(checker, answer, *fragments) -> str:
    """The checker rejects `answer` with a message containing every fragment."""
    with pytest.raises(ExerciseError) as error:
        checker(answer)
    message = str(error.value)
    assert message.startswith("✗ "), message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    return message


def stub(*args):
    """What a learner's untouched exercise cell does."""
    raise NotImplementedError
