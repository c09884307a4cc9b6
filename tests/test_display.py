import pytest

from helpers.display import show_source
from helpers.repro import fmt


def _example(x: int) -> int:
    """Double x."""
    return 2 * x


def test_show_source_returns_the_function_source():
    view = show_source(_example)
    assert repr(view).startswith("def _example(x: int) -> int:")
    assert "return 2 * x" in repr(view)


def test_show_source_renders_a_fenced_python_block():
    assert show_source(_example).data.startswith("```python\ndef _example")


def test_show_source_can_drop_the_docstring():
    text = repr(show_source(_example, docstring=False))
    assert "Double x" not in text
    assert "return 2 * x" in text


def test_show_source_without_docstring_keeps_the_code_of_a_helper():
    text = repr(show_source(fmt, docstring=False))
    assert "significant" not in text.split("\n")[1]
    assert "def fmt(" in text
    assert "return" in text


@pytest.mark.parametrize("bad", [len, 3, "text"])
def test_show_source_rejects_objects_without_python_source(bad):
    with pytest.raises(TypeError, match="Python source"):
        show_source(bad)
