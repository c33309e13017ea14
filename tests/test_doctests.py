"""Run the docstring examples of every mapdiff module as part of the suite.

Each module is one test, so a wrong number in an example names its module. Examples
that are slow or need real data carry ``# doctest: +SKIP`` in the docstring itself.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import mapdiff


def _modules() -> list[str]:
    names = ["mapdiff"]
    for info in pkgutil.walk_packages(mapdiff.__path__, prefix="mapdiff."):
        if info.name.startswith("mapdiff.data") or info.name.endswith("__main__"):
            continue
        names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples(name):
    try:
        module = importlib.import_module(name)
    except ImportError as exc:  # an optional extra that is not installed
        pytest.skip(f"{name} needs an optional dependency: {exc}")
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    tests = [t for t in finder.find(module, name) if t.examples]
    for test in tests:
        runner.run(test, out=lambda _s: None)
    summary = runner.summarize(verbose=False)
    assert summary.failed == 0, _report(finder, module, name)


def _report(finder, module, name) -> str:
    """Re-run with output captured so the failure message shows expected vs got."""
    lines: list[str] = []
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(module, name):
        runner.run(test, out=lines.append)
    return "".join(lines)[-4000:]
