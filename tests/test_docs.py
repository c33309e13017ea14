"""The documentation site builds strictly, documents the public API and shows the gallery.

Builds run ``python -m mkdocs build --strict`` in a subprocess, into temporary folders
(nothing is written into the repository). Skipped when the ``docs`` extra is not
installed (``pip install -e '.[docs]'``, or ``make docs`` once).
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import mapdiff

ROOT = Path(__file__).resolve().parents[1]


def _missing() -> list[str]:
    """Distributions of the docs extra that are not importable."""
    modules = {
        "mkdocs": "mkdocs",
        "mkdocs-material": "material",
        "mkdocstrings": "mkdocstrings",
        "mkdocstrings-python": "mkdocstrings_handlers",
        "mkdocs-jupyter": "mkdocs_jupyter",
    }
    return [dist for dist, mod in modules.items() if importlib.util.find_spec(mod) is None]


MISSING = _missing()
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"docs extra not installed (missing {', '.join(MISSING)}): pip install -e '.[docs]'"
)


def build(config: Path, site: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "--config-file",
            str(config),
            "--site-dir",
            str(site),
        ],
        cwd=config.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def copy_project(dest: Path) -> Path:
    """A copy of what the site is built from (config, docs, package, notebooks) in ``dest``."""
    dest.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copy2(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    for name in ("docs", "mapdiff", "notebooks"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest / "mkdocs.yml"


def text(html: str) -> str:
    """Visible text of an HTML page, whitespace collapsed."""
    import html as _html

    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def first_paragraph(obj) -> str:
    return " ".join(inspect.getdoc(obj).split("\n\n")[0].split())


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = build(ROOT / "mkdocs.yml", out)
    assert proc.returncode == 0, f"strict docs build failed:\n{proc.stdout}\n{proc.stderr}"
    return out


def reference_html(site: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((site / "reference").rglob("index.html")))


def test_api_reference_has_the_docstrings(site):
    claims = text((site / "reference" / "claims" / "index.html").read_text(encoding="utf-8"))
    reading = text((site / "reference" / "reading" / "index.html").read_text(encoding="utf-8"))
    assert first_paragraph(mapdiff.check_claim) in claims
    assert first_paragraph(mapdiff.read_map) in reading
    # a parameter description, past the summary line
    assert "How far (absolute share) below the claim still counts as" in claims


def test_every_public_name_is_documented(site):
    html = reference_html(site)
    # names listed in __all__ but not defined cannot be documented (test_smoke's concern)
    public = [n for n in mapdiff.__all__ if not n.startswith("__") and hasattr(mapdiff, n)]
    missing = [n for n in public if f'id="mapdiff.{n}"' not in html]
    assert not missing, f"public names missing from docs/reference/*.md: {missing}"


def test_sphinx_roles_become_links_or_code(site):
    html = reference_html(site)
    assert ":func:`" not in html and ":class:`" not in html
    # :data:`CAPTURED_THRESHOLD` in check_claim's docstring is a checked link
    assert 'href="#mapdiff.claims.CAPTURED_THRESHOLD"' in html


def test_gallery_has_every_notebook(site):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    index = (site / "gallery" / "index.html").read_text(encoding="utf-8")
    for nb in notebooks:
        page = site / "notebooks" / nb.stem / "index.html"
        assert page.exists(), f"no gallery page for {nb.name}"
        assert (page.parent / nb.name).exists()  # the .ipynb, for download
        assert f"notebooks/{nb.stem}/" in index
        title = json.loads(nb.read_text(encoding="utf-8"))["cells"][0]["source"][0].lstrip("# ").strip()
        assert text(title) in text(page.read_text(encoding="utf-8"))


def test_nothing_fetched_from_the_web_at_build_time(site):
    page = (site / "index.html").read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in page and "fonts.gstatic.com" not in page


def test_broken_reference_fails_the_strict_build(tmp_path):
    config = copy_project(tmp_path / "src")
    page = config.parent / "docs" / "guide" / "claims.md"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nSee [mapdiff.no_such_function][] for more.\n", encoding="utf-8"
    )
    proc = build(config, tmp_path / "site")
    assert proc.returncode != 0, "a broken cross-reference did not fail the strict build"
    assert "mapdiff.no_such_function" in proc.stdout + proc.stderr


def test_schemas_in_mapdiff_schemas_are_listed(tmp_path):
    config = copy_project(tmp_path / "src")
    schemas = config.parent / "mapdiff" / "schemas"
    (schemas / "zz_test_result.json").write_text(
        json.dumps(
            {
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "title": "ZZ test result",
                "type": "object",
                "required": ["schema_version", "type"],
                "properties": {
                    "schema_version": {"type": "string"},
                    "type": {"const": "zz_test"},
                    "share": {"type": ["number", "null"], "description": "a share, 0..1"},
                },
            }
        ),
        encoding="utf-8",
    )
    proc = build(config, tmp_path / "site")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = text((tmp_path / "site" / "json-output" / "index.html").read_text(encoding="utf-8"))
    assert "ZZ test result" in page and "a share, 0..1" in page
    assert (tmp_path / "site" / "schemas" / "zz_test_result.json").exists()
