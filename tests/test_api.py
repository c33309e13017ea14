"""The public surface: what ``mapdiff/__init__.py`` exports, and what importing it costs."""

from __future__ import annotations

import inspect
import subprocess
import sys

import mapdiff


def test_every_exported_name_resolves():
    for name in mapdiff.__all__:
        assert getattr(mapdiff, name) is not None, name


def test_all_matches_the_lazy_table():
    assert set(mapdiff.__all__) == {*mapdiff._WHERE, "__version__"}


def test_star_import_works():
    ns: dict = {}
    exec("from mapdiff import *", ns)
    assert {"read_map", "compare", "check_claim", "fetch"} <= set(ns)


def test_unknown_attribute_is_an_attribute_error():
    try:
        mapdiff.no_such_name  # noqa: B018
    except AttributeError as exc:
        assert "no_such_name" in str(exc)
    else:
        raise AssertionError("mapdiff.no_such_name resolved")


def test_functions_do_not_shadow_their_modules():
    import importlib

    for name in ("comparison", "change", "claims", "encircle", "series"):
        mod = importlib.import_module(f"mapdiff.{name}")
        assert inspect.ismodule(mod)
    from mapdiff.comparison import Comparison

    assert Comparison is mapdiff.Comparison


def test_import_pulls_in_no_optional_or_heavy_dependency():
    code = (
        "import sys, mapdiff; "
        "heavy = [m for m in ('matplotlib', 'folium', 'dask', 'distributed', 'pandas', 'geopandas') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_version_is_single_sourced():
    from importlib.metadata import version

    from mapdiff._version import __version__

    assert mapdiff.__version__ == __version__ == version("mapdiff")
