"""Source checks on the lectures' Markdown: what the MyST parser will make of it.

The strict book build does not warn when a fence is closed early: a three-backtick
``{admonition}`` around an inner ```` ```python ```` fence is closed by the inner fence,
and every fence after it swaps code and prose, so headings, exercises and math end up
in grey code blocks. These tests parse every Markdown cell of every ``notebooks/*.md``
with the parser MyST uses (markdown-it-py with the MyST plugins and the extensions of
``_config.yml``) and fail on the signs of that: a directive whose body holds a fence
opener of its own length, a plain fence holding headings or directive syntax, a role or
a ``$...$`` that did not parse. They also hold the lectures' code to the book's column
(88 characters) and forbid static ```` ```python ```` fences (solutions run as code cells).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jupytext
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "notebooks").glob("*.md"))
MAX_CODE_LINE = 88

FENCE_LINE = re.compile(r"^(`{3,}|~{3,})")
SWALLOWED = re.compile(r"\{admonition\}|^:class:|\*\*Exercise|\{cite:p?\}`|\{term\}`|\{doc\}`"
                       r"|^## (Summary|References|Exercises)", re.MULTILINE)
HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)  # in a fence that is not code
RAW_ROLE = re.compile(r"\{[a-z][\w:-]*\}`?")
RAW_MATH = re.compile(r"\$[^$]*?[\\^_{}]")  # a $ that opens TeX (not a price like $50k)
# Static Python fences that cannot run in the book, each with the reason; every other
# piece of Python in a lecture is an executed code cell (solutions included).
@lru_cache(maxsize=1)
def _parser():
    from myst_parser.config.main import MdParserConfig
    from myst_parser.mdit_to_docutils.base import DocutilsRenderer
    from myst_parser.parsers.mdit import create_md_parser

    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = config["parse"]["myst_enable_extensions"]
    return create_md_parser(MdParserConfig(enable_extensions=set(extensions)),
                            DocutilsRenderer)


def _cells(path: Path):
    return jupytext.read(path).cells


def _markdown_cells(path: Path) -> list[str]:
    return [c.source for c in _cells(path) if c.cell_type == "markdown"]


def _walk(tokens, depth=0):
    """Every token, descending into directive bodies (parsed as Markdown) and inlines."""
    for tok in tokens:
        yield tok, depth
        if tok.children:
            yield from _walk(tok.children, depth)
        if tok.type == "fence" and tok.info.strip().startswith("{"):
            body = _directive_body(tok.content)
            if tok.info.strip().split()[0] not in {"{math}", "{code-block}", "{code}"}:
                yield from _walk(_parser().parse(body), depth + 1)


def _directive_body(content: str) -> str:
    """A directive's content without its ``:option:`` lines."""
    lines = content.splitlines()
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    return "\n".join(lines)


def _problems(markdown: str) -> list[str]:
    problems = []
    for tok, _ in _walk(_parser().parse(markdown)):
        if tok.type == "fence":
            info = tok.info.strip()
            if info.startswith("{"):
                if (info.split()[0] in {"{admonition}", "{note}", "{tip}", "{container}"}
                        and not _directive_body(tok.content).strip()):
                    problems.append(f"directive {info} has no content")
                for line in tok.content.splitlines():
                    match = FENCE_LINE.match(line)
                    if match and len(match.group(1)) >= len(tok.markup):
                        problems.append(f"directive {info} closed early by an inner fence "
                                        f"{line!r}: use a longer outer fence")
                        break
            else:
                match = SWALLOWED.search(tok.content) or (
                    None if info else HEADING.search(tok.content))
                if match:
                    problems.append(f"a ```{info} fence swallows Markdown: {match.group(0)!r}")
        elif tok.type.startswith("math") or tok.type == "amsmath":
            if re.search(r"\{[a-z][\w:-]*\}`", tok.content):
                problems.append(f"a role inside math is not rendered: {tok.content[:80]!r}")
        elif tok.type == "text":
            if RAW_ROLE.search(tok.content):
                problems.append(f"unparsed role in text: {tok.content[:80]!r}")
            if RAW_MATH.search(tok.content):
                problems.append(f"unparsed $ math in text: {tok.content[:80]!r}")
    return problems


@pytest.mark.parametrize("md", LECTURES, ids=lambda p: p.stem)
def test_markdown_cells_parse_as_intended(md):
    problems = [f"cell {i}: {p}" for i, cell in enumerate(_markdown_cells(md))
                for p in _problems(cell)]
    assert not problems, "\n".join(problems)


def test_the_check_catches_a_three_backtick_admonition_around_code():
    broken = ("```{admonition} Solution\n:class: dropdown\n\nText.\n\n```python\nx = 1\n```\n"
              "```\n\n**Exercise 2.** More.\n\n```{admonition} Solution\n:class: dropdown\n\n"
              "Two.\n```\n\n## Summary\n")
    assert _problems(broken)
    fixed = broken.replace("```{admonition} Solution\n:class: dropdown\n\nText.",
                           "````{admonition} Solution\n:class: dropdown\n\nText.")
    fixed = fixed.replace("x = 1\n```\n```\n", "x = 1\n```\n````\n")
    assert not _problems(fixed)


def test_the_check_catches_an_empty_solution():
    assert _problems("````{admonition} Solution\n:class: dropdown\n\n````\n")


def test_the_check_catches_a_split_role_and_a_split_formula():
    assert _problems("Bagging trains {term}`base learners\n<base learner>` of the kind.")
    assert _problems("Show that $\\operatorname{Var}(Z) = \\rho s^2\n+ (1 - \\rho)s^2/T$.")
    assert not _problems("Show that $\\operatorname{Var}(Z) = \\rho s^2 + s^2/T$.")
    assert _problems("$$\nh = n^{-1/5} \\text{(Scott's rule {cite:p}`scott1992`)}\n$$")


@pytest.mark.parametrize("md", LECTURES, ids=lambda p: p.stem)
def test_no_static_python_fence(md):
    fences = [i for i, cell in enumerate(_markdown_cells(md))
              if re.search(r"^\s*`{3,}\s*(python|py|ipython3?)\b", cell, re.MULTILINE)]
    assert not fences, (
        f"static Python fences in Markdown cells {fences}: use (solution) code cells")


@pytest.mark.parametrize("md", LECTURES, ids=lambda p: p.stem)
def test_code_cells_fit_the_column(md):
    long = [(i, len(line), line[:40]) for i, cell in enumerate(_cells(md))
            if cell.cell_type == "code" for line in cell.source.splitlines()
            if len(line) > MAX_CODE_LINE]
    assert not long, f"{len(long)} code lines over {MAX_CODE_LINE} characters: {long[:5]}"


PLAIN_MENTION = re.compile(r"\b[Ll]ectures? (?:[1-9]\d?|A)\.[1-9]")


@pytest.mark.parametrize("md", LECTURES, ids=lambda p: p.stem)
def test_lecture_mentions_are_cross_references(md):
    """"lecture 3.4" is written lecture {doc}`3.4 </notebooks/03-4-...>`: a link."""
    plain = [m.group(0) for cell in _markdown_cells(md)
             for part in re.split(r"`[^`]*`|\$[^$]*\$", cell)
             for m in PLAIN_MENTION.finditer(part)]
    assert not plain, f"plain lecture mentions (use a {{doc}} link): {plain}"
