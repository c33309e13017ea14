"""``mapdiff.config``: every ``MAPDIFF_*`` variable declared once and read through it, the
settings page matching the declarations, and ``clear_caches()`` reaching every cache."""

from __future__ import annotations

import functools
import importlib
import pkgutil
import re
import sys
from pathlib import Path

import pytest
from conftest import ROOT

import mapdiff
from mapdiff import config
from mapdiff.errors import ArgumentError, InputLimitError

PACKAGE = ROOT / "mapdiff"
KIND = {bool: "flag", int: "integer", float: "number", str: "text", Path: "path"}


def _default(s: config.Setting) -> str:
    if s.default is None:
        return "—"
    if s.type is bool:
        return "on" if s.default else "off"
    return f"`{s.default:_}`" if s.type is int else f"`{s.default}`"


def settings_table() -> str:
    """The table of docs/guide/settings.md, as the declarations give it."""
    rows = ["| variable | type | default | what it sets |", "|---|---|---|---|"]
    rows += [f"| `{s.name}` | {KIND[s.type]} | {_default(s)} | {s.doc} |" for s in config.SETTINGS.values()]
    return "\n".join(rows)


def test_settings_page_lists_every_declared_variable():
    page = (ROOT / "docs" / "guide" / "settings.md").read_text(encoding="utf-8")
    assert settings_table() in page, "docs/guide/settings.md: replace its table with\n" + settings_table()


def _sources() -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_variable_is_declared_and_read_through_config():
    named = set()
    for path, text in _sources().items():
        named |= set(re.findall(r"\bMAPDIFF_[A-Z_]+[A-Z]\b", text))
        if path.name != "config.py":  # only config reads the environment for its settings
            # a variable of another program (SOURCE_DATE_EPOCH) is named by its literal
            reads = re.findall(r"(?:environ\.get|getenv)\(\s*([^,)]+)", text)
            mine = [r for r in reads if not re.fullmatch(r"[\"'](?!MAPDIFF_)\w+[\"']", r.strip())]
            assert not mine, f"{path.relative_to(ROOT)} reads {mine} itself: use config.setting()"
    assert named == set(config.SETTINGS), "named in mapdiff/ but not declared (or the reverse)"
    for name, s in config.SETTINGS.items():
        assert s.name == name and s.doc and s.type in KIND


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("MAPDIFF_OFFLINE", "1", True),
        ("MAPDIFF_OFFLINE", "0", False),
        ("MAPDIFF_OFFLINE", " ", False),
        ("MAPDIFF_NO_CACHE", "yes", True),
        ("MAPDIFF_SCHEDULER_TIMEOUT", "2.5", 2.5),
        ("MAPDIFF_SCHEDULER_TIMEOUT", "", 30.0),
        ("MAPDIFF_MAX_FEATURES", "1_000", 1000),
        ("MAPDIFF_NOMINATIM_URL", "http://127.0.0.1:9/", "http://127.0.0.1:9/"),
        ("MAPDIFF_DATA_DIR", "~/md", Path("~/md").expanduser()),
        ("MAPDIFF_CACHE_DIR", "", None),
    ],
)
def test_setting_reads_the_environment_as_declared(monkeypatch, name, text, value):
    monkeypatch.setenv(name, text)
    assert config.setting(name) == value
    monkeypatch.delenv(name)
    assert config.setting(name) == config.SETTINGS[name].default


def test_a_value_of_the_wrong_type_is_refused_naming_the_variable(monkeypatch):
    monkeypatch.setenv("MAPDIFF_SCHEDULER_TIMEOUT", "soon")
    with pytest.raises(ArgumentError, match="MAPDIFF_SCHEDULER_TIMEOUT='soon' is not a float"):
        config.setting("MAPDIFF_SCHEDULER_TIMEOUT")
    monkeypatch.setenv("MAPDIFF_MAX_VERTICES", "many")
    with pytest.raises(InputLimitError, match="MAPDIFF_MAX_VERTICES='many' is not an integer"):
        config.current_limits()


def test_limit_defaults_are_those_of_limits():
    for field, var in config._ENV.items():
        assert config.SETTINGS[var].default == getattr(config.Limits(), field)


def _lru_caches() -> dict[str, functools._lru_cache_wrapper]:
    """Every lru_cache defined in a module of the package, by qualified name."""
    for info in pkgutil.walk_packages(mapdiff.__path__, "mapdiff."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    found = {}
    for name, module in list(sys.modules.items()):
        if name == "mapdiff" or name.startswith("mapdiff."):
            for attr, obj in vars(module).items():
                if isinstance(obj, functools._lru_cache_wrapper) and obj.__module__ == name:
                    found[f"{name}.{attr}"] = obj
    return found


def test_every_lru_cache_is_registered():
    caches = _lru_caches()
    assert len(caches) >= 20  # the gazetteer, footprints, admin map, projections...
    registered = {id(c) for c in config._CACHES}
    forgotten = sorted(name for name, c in caches.items() if id(c) not in registered)
    assert not forgotten, f"make these with config.cached (not functools.lru_cache): {forgotten}"


def test_no_module_makes_an_unregistered_lru_cache():
    """A cache on a method or inside a function is not found by walking modules: no module
    but config calls functools' caches itself."""
    for path, text in _sources().items():
        if path.name != "config.py":
            assert not re.search(
                r"\blru_cache\b|functools\.cache\b|from functools import .*\bcache\b", text
            ), path


def test_clear_caches_empties_every_cache():
    from mapdiff.io import read
    from mapdiff.places.gazetteer import towns

    towns()
    mapdiff.footprint("Pokrovsk")
    read._BOXES[("test",)] = None
    assert towns.cache_info().currsize and read._BOXES
    config.clear_caches()
    for cache in config._CACHES:
        size = cache.cache_info().currsize if hasattr(cache, "cache_info") else len(cache)
        assert size == 0, cache
    assert towns() and mapdiff.footprint("Pokrovsk").area_km2 > 0  # rebuilt on demand


def test_register_cache_refuses_what_cannot_be_cleared():
    with pytest.raises(TypeError, match="cache_clear"):
        config.register_cache(object())
