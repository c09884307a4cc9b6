"""Showing code: render the source of a helper inside a notebook.

An algorithm a lecture teaches from scratch lives once, in ``helpers``, under unit
tests; the lecture calls :func:`show_source` so the reader still sees the code
(syntax-highlighted in Jupyter and in the rendered book). Used by every lecture
that implements an algorithm.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable

from IPython.display import Markdown


class SourceView(Markdown):
    """Markdown holding a fenced Python code block; plain text is the bare source."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__(f"```python\n{source}\n```")

    def __repr__(self) -> str:
        return self.source


def show_source(obj: Callable | type | object, *, docstring: bool = True) -> SourceView:
    """Return the source of a function, class or module for display in a notebook.

    Parameters
    ----------
    obj : function, class or module
        Something whose source :mod:`inspect` can find (defined in a ``.py`` file).
    docstring : bool
        If False, the docstring is removed from the shown source (for brevity).

    Returns
    -------
    SourceView
        Displays as a highlighted code block; ``repr`` is the source text.

    Raises
    ------
    TypeError
        If ``obj`` has no retrievable Python source (a built-in, a number, ...).
    """
    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as err:
        raise TypeError(
            f"show_source needs a function, class or module defined in Python source, "
            f"got {obj!r}"
        ) from err
    source = _collapse_boundary(textwrap.dedent(source).rstrip())
    if not docstring:
        source = _strip_docstring(obj, source)
    return SourceView(source)


def _collapse_boundary(source: str) -> str:
    """Show every ``@boundary(...)`` decorator (argument validation, see
    :func:`helpers.checks.boundary`) as one line: the body below it is the algorithm."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    lines = source.split("\n")
    for node in sorted(ast.walk(tree), key=lambda n: -getattr(n, "lineno", 0)):
        for deco in reversed(getattr(node, "decorator_list", [])):
            if isinstance(deco, ast.Call) and getattr(deco.func, "id", None) == "boundary":
                first = deco.lineno - 1
                indent = lines[first][:len(lines[first]) - len(lines[first].lstrip())]
                lines[first:deco.end_lineno] = [
                    f"{indent}@boundary(...)  # checks the arguments first; see helpers.checks"]
    return "\n".join(lines)


def _strip_docstring(obj: object, source: str) -> str:
    doc = inspect.getdoc(obj)
    if not doc:
        return source
    for quote in ('"""', "'''"):
        start = source.find(quote)
        if start == -1:
            continue
        end = source.find(quote, start + 3)
        if end == -1:
            continue
        line_start = source.rfind("\n", 0, start) + 1
        line_end = source.find("\n", end + 3)
        line_end = len(source) if line_end == -1 else line_end + 1
        return source[:line_start] + source[line_end:]
    return source
