"""mapdiff._lazy reads each package's __init__.pyi by a pattern: the same table as ast."""

from __future__ import annotations

import ast
from pathlib import Path

import mapdiff
from mapdiff import _lazy

PACKAGE = Path(mapdiff.__file__).resolve().parent


def stub_by_ast(init_file: str) -> dict[str, tuple[str, ...]]:
    """THE REFERENCE: ``_lazy.stub``'s table read by :mod:`ast`."""
    tree = ast.parse(Path(init_file).with_suffix(".pyi").read_text(encoding="utf-8"))
    table: dict[str, tuple[str, ...]] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.level:
            names = tuple(a.asname or a.name for a in node.names)
            module = "." * node.level + (node.module or "")
            table[module] = table.get(module, ()) + names
    return table


def test_every_stub_reads_as_ast_reads_it():
    stubs = sorted(PACKAGE.rglob("__init__.pyi"))
    assert len(stubs) >= 9
    for pyi in stubs:
        init = str(pyi.with_suffix(".py"))
        assert _lazy.stub(init) == stub_by_ast(init), pyi


def test_multi_line_and_commented_re_exports(tmp_path):
    (tmp_path / "__init__.pyi").write_text(
        '"""doc\nfrom .not_this import x as x\n"""\n'
        "from .a import (\n    B as B,  # a comment, with a comma (and a parenthesis)\n    c as c,\n)\n"
        "from .d import e as e, f as f\nfrom ..g import h\nimport os\n"
        "if True:\n    from .i import j as j\n"
    )
    init = str(tmp_path / "__init__.py")
    assert stub_by_ast(init) == {".a": ("B", "c"), ".d": ("e", "f"), "..g": ("h",)}
    assert _lazy.stub(init) == stub_by_ast(init)
