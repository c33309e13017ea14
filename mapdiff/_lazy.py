"""Lazy exports (PEP 562), written once for the root and every package.

A package lists its public names once, as plain re-exports in its ``__init__.pyi``
(``from .check import check_claim as check_claim``), which type checkers, IDEs and the API
docs read as they are; :func:`stub` reads the same file at import time, and a name is
imported on its first use, so ``import mapdiff`` stays cheap (a short command-line call does not pay for
pandas, matplotlib or dask). Names that moved keep working for one release with a
:class:`DeprecationWarning` that says where they live now.
"""

from __future__ import annotations

import importlib
import re
import sys
import warnings
from pathlib import Path

#: a relative ``from .module import a as a, b`` at the start of a line (its names in
#: parentheses over several lines, or on the line), as the stubs write their re-exports
_RE_EXPORT = re.compile(r"^from[ \t]+(\.+[\w.]*)[ \t]+import[ \t]*(\([^)]*\)|[^\n]*)", re.MULTILINE)
_COMMENT = re.compile(r"#[^\n]*")
_DOCSTRING = re.compile(r"(\"\"\"|\'\'\')[\s\S]*?\1")


def stub(init_file: str) -> dict[str, tuple[str, ...]]:
    """``{".module": names}`` from the ``__init__.pyi`` beside a package's ``__init__.py``.

    Read with a pattern, not :mod:`ast` (whose import and parse were ~15 ms of every
    process's start); ``tests/test_lazy_stubs.py`` checks every stub against an ``ast`` reading.
    """
    text = Path(init_file).with_suffix(".pyi").read_text(encoding="utf-8")
    text = _COMMENT.sub("", _DOCSTRING.sub("", text))
    table: dict[str, tuple[str, ...]] = {}
    for module, names in _RE_EXPORT.findall(text):
        found = []
        for item in names.strip("()").split(","):
            words = item.split()
            if words:  # "name" or "name as alias"
                found.append(words[-1])
        table[module] = table.get(module, ()) + tuple(found)
    return table


def exports(package: str, table: dict[str, tuple[str, ...]], moved: dict[str, str] | None = None):
    """``(__all__, __getattr__, __dir__)`` for ``package`` from ``table``: ``{".sub": names}``.

    ``moved`` maps an old name to ``"module:new_name"`` (or ``"module"`` when the name is
    unchanged): it resolves there with a ``DeprecationWarning``.
    """
    where = {name: module for module, names in table.items() for name in names}
    moved = dict(moved or {})

    def __getattr__(name: str):
        if name in where:
            value = getattr(importlib.import_module(where[name], package), name)
            vars(sys.modules[package])[name] = value  # later look-ups skip this function
            return value
        if name in moved:
            module, _, new = moved[name].partition(":")
            new = new or name
            warnings.warn(
                f"{package}.{name} moved to {module}.{new}; the old name is removed in the next release",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(module), new)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(where))

    return sorted(where), __getattr__, __dir__
