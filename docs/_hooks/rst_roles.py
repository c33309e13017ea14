"""Griffe extension: render the Sphinx roles of mapdiff's docstrings for mkdocstrings.

mapdiff's docstrings are numpydoc and cross-reference with Sphinx roles
(``:func:`mapdiff.read_map```, ``:class:`~mapdiff.footprints.Footprint```). Markdown
has no roles, so before the docstrings are parsed each role becomes:

* a cross-reference ``[name][mapdiff.name]`` when its target is a public name (one of
  ``mapdiff.__all__``, whatever private module it is spelled through), so that the
  strict build checks it and the link survives modules moving;
* a code span otherwise (private helpers, modules, methods), shortened to the last
  component when the role starts with ``~``.

The docstrings themselves are not changed.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|attr|data|mod|obj|exc|const):`(~?)([^`<>]+?)`")


def _public_names() -> set[str]:
    """Names in ``mapdiff.__all__`` that ``mapdiff/__init__.py`` binds, read statically.

    A name listed in ``__all__`` but never imported or assigned there cannot be
    documented, so a role naming it stays a code span instead of a broken link.
    """
    init = Path(__file__).resolve().parents[2] / "mapdiff" / "__init__.py"
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except OSError:
        return set()
    listed, bound = set(), set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            bound.update(a.asname or a.name for a in node.names)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {getattr(t, "id", None) for t in targets}
            bound.update(n for n in names if n)
            if "__all__" in names and isinstance(node.value, (ast.List, ast.Tuple)):
                listed = {e.value for e in node.value.elts if isinstance(e, ast.Constant)}
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            bound.add(node.name)
    return listed & bound


class RstRoles(griffe.Extension):
    def __init__(self) -> None:
        super().__init__()
        self.public = _public_names()

    def _replace(self, match: re.Match) -> str:
        tilde, target = match.groups()
        target = target.strip()
        last = target.rsplit(".", 1)[-1]
        parts = target.split(".")
        if last in self.public and (len(parts) == 1 or parts[0] == "mapdiff"):
            return f"[`{last if tilde or len(parts) == 1 else 'mapdiff.' + last}`][mapdiff.{last}]"
        return f"`{last if tilde else target}`"

    def _fix(self, obj) -> None:
        if obj.docstring is not None and ":" in obj.docstring.value:
            obj.docstring.value = ROLE.sub(self._replace, obj.docstring.value)

    def on_instance(self, *, obj, **kwargs) -> None:
        self._fix(obj)
