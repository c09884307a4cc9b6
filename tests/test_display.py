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


def test_show_source_collapses_every_boundary_decorator_even_with_parentheses_in_text():
    from helpers.checks import boundary

    class Model:
        @boundary(rate="real in [0, 1)",
                  n="int >= 1")
        def fit(self, rate: float, n: int) -> float:
            return rate * n

        @boundary(n="int >= 1")
        def predict(self, n: int) -> int:
            return n

    text = repr(show_source(Model))
    collapsed = "    @boundary(...)  # checks the arguments first; see helpers.checks"
    assert text.count(collapsed) == 2 and "real in" not in text
    assert "        def fit(self, rate: float, n: int) -> float:" not in text
    assert "    def fit(self, rate: float, n: int) -> float:\n        return rate * n" in text
    assert Model().fit(0.5, 2) == 1.0
    method = repr(show_source(Model.fit))
    assert method.startswith("@boundary(...)  # checks the arguments first; see "
                             "helpers.checks\ndef fit(self, rate: float, n: int) -> float:")
