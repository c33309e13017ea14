"""The public surface: what ``mapdiff/__init__.py`` exports, and what importing it costs."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import mapdiff
import mapdiff.config
import mapdiff.errors
import mapdiff.labels
import mapdiff.model
import mapdiff.profiles


def test_every_exported_name_resolves():
    for name in mapdiff.__all__:
        assert getattr(mapdiff, name) is not None, name


#: the packages whose ``__all__`` is public API besides the root
PACKAGES = (
    "mapdiff.claims",
    "mapdiff.comparison",
    "mapdiff.config",
    "mapdiff.encircle",
    "mapdiff.errors",
    "mapdiff.history",
    "mapdiff.io",
    "mapdiff.labels",
    "mapdiff.model",
    "mapdiff.places",
    "mapdiff.profiles",
    "mapdiff.sources",
)


def _packages():
    import importlib

    return [importlib.import_module(p) for p in PACKAGES]


def test_the_root_has_at_most_50_names():
    assert len(mapdiff.__all__) <= 50, len(mapdiff.__all__)
    assert len(set(mapdiff.__all__)) == len(mapdiff.__all__)


def test_every_package_name_resolves_to_one_object():
    """A package's lazy export and the root's are the same object (one definition)."""
    for pkg in _packages():
        for name in pkg.__all__:
            obj = getattr(pkg, name)
            assert obj is not None, (pkg.__name__, name)
            if name in mapdiff.__all__:
                assert getattr(mapdiff, name) is obj, name


def test_moved_root_names_warn_and_resolve(recwarn):
    """The names of 0.1 that left the root still work for one release, with a DeprecationWarning."""
    cases = {
        "UnknownSideError": mapdiff.errors.UnknownSideError,
        "GREY": mapdiff.labels.GREY,
        "get_profile": mapdiff.profiles.get_profile,
        "Series": mapdiff.Releases,
        "ClaimsReport": mapdiff.ClaimChecks,
        "set_limits": mapdiff.config.set_limits,
        "geodesic_area_km2": mapdiff.model.geodesic_area_km2,
    }
    for old, new in cases.items():
        with pytest.warns(DeprecationWarning, match=old):
            assert getattr(mapdiff, old) is new
        assert old not in mapdiff.__all__


def test_moved_modules_warn_and_are_the_new_modules():
    """``import mapdiff.series`` (0.1) gives mapdiff.history.releases itself, with a warning."""
    code = (
        "import warnings, importlib; warnings.simplefilter('error')\n"
        "import mapdiff, mapdiff.history.releases as new\n"
        "try:\n    importlib.import_module('mapdiff.series')\nexcept DeprecationWarning as w:\n"
        "    print('warned', 'mapdiff.history.releases' in str(w))\n"
        "warnings.simplefilter('ignore')\n"
        "import mapdiff.series as old, mapdiff.io.profiles as p, mapdiff.profiles as q\n"
        "print(old is new, p is q)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["warned", "True", "True", "True"]


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

    for name in ("comparison", "history", "claims", "encircle", "model", "places", "sources"):
        mod = importlib.import_module(f"mapdiff.{name}")
        assert inspect.ismodule(mod)
    from mapdiff.comparison.core import Comparison

    assert Comparison is mapdiff.Comparison


def test_import_pulls_in_no_optional_or_heavy_dependency():
    code = (
        "import sys, mapdiff; "
        "heavy = [m for m in ('matplotlib', 'folium', 'dask', 'distributed', 'pandas', 'geopandas') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_a_short_cli_call_imports_no_pandas():
    """``mapdiff place X --json`` builds only its own subcommand: no pandas, geopandas, matplotlib."""
    code = (
        "import sys, io, contextlib; from mapdiff.cli import main; buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf): code = main(['place', 'Pokrovsk', '--json'])\n"
        "heavy = [m for m in ('pandas', 'geopandas', 'matplotlib', 'folium', 'dask') if m in sys.modules]\n"
        "print(code, '\"name\": \"Pokrovsk\"' in buf.getvalue(), ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "True"]


def test_version_is_single_sourced():
    from importlib.metadata import version

    from mapdiff._version import __version__

    assert mapdiff.__version__ == __version__ == version("mapdiff")


# The data arguments each public callable may take positionally; every other parameter is
# keyword-only (``def compare(a, b, *, aoi=None, ...)``). A claim's place, side and value
# are its data; ``ax`` stays positional in ``plot`` as in matplotlib and geopandas.
DATA_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "area_km2": ("geoms",),
    "canonical_side": ("side",),
    "resolve_side": ("side", "known"),
    "as_label": ("value",),
    "build_report": ("old", "new"),
    "changes": ("old", "new"),
    "check_claim": ("map", "place", "side", "claimed"),
    "check_claim_all": ("maps", "place", "side", "claimed"),
    "consensus": ("maps",),
    "Consensus.count": ("label",),
    "check_claims": ("ledger", "maps"),
    "check_encircled_labels": ("map",),
    "compare": ("a", "b"),
    "compare_many": ("maps",),
    "dask_client": ("scheduler",),
    "encirclement": ("map", "place"),
    "equal_area_crs": ("geoms",),
    "fetch": ("source", "date"),
    "fetch_footprint": ("name",),
    "first_crossing": ("frame",),
    "footprint": ("name",),
    "footprint_from_file": ("path",),
    "geodesic_area_km2": ("geom",),
    "get_profile": ("name",),
    "load_profile": ("path",),
    "normalise": ("features",),
    "read_ledger": ("path",),
    "read_map": ("src",),
    "read_provenance": ("path",),
    "region": ("name",),
    "register_cache": ("cache",),
    "register_profile": ("profile",),
    "sample_path": ("date",),
    "set_limits": ("limits",),
    "setting": ("name",),
    "source_lag": ("leader", "follower"),
    "write_gdf": ("gdf", "path"),
    # methods of the exported classes
    "ControlMap.area": ("label",),
    "ControlMap.clip": ("aoi",),
    "ControlMap.drawn_parts": ("aoi", "inside"),
    "ControlMap.geometry": ("label",),
    "ControlMap.partition": ("aoi",),
    "ControlMap.to_file": ("path",),
    "Coverage.cut": ("geometries",),
    "Coverage.on_land": ("land", "beyond"),
    "Coverage.whole": ("geometry",),
    "Comparison.iou": ("label",),
    "Comparison.to_file": ("path",),
    "Footprint.buffer": ("km",),
    "Label.parse": ("text",),
    "Setting.parse": ("text",),
    "Profile.find_as_of": ("table",),
    "Profile.label_and_reports": ("table",),
    "Profile.label_features": ("table",),
    "Profile.matches": ("table",),
    "Profile.order": ("labels",),
    "Profile.rank": ("lab",),
    "Releases.__init__": ("releases",),
    "Releases.between": ("start", "end"),
    "Releases.shares": ("places", "side"),
    "track": ("ledger", "maps"),
    "canonical_status": ("status",),
    "clean_text": ("text",),
    "current_limits": ("limits",),
    "detect_profile": ("table", "collection_name", "file_name"),
    "region_shares": ("maps", "level"),
    "validate_ledger": ("ledger",),
    "line_displacement": ("a", "b"),
}


def _public_objects():
    """(name, object) for every name of the root's and the packages' ``__all__``, once each."""
    seen = {}
    for pkg in [mapdiff, *_packages()]:
        for name in pkg.__all__:
            if name != "__version__":
                seen.setdefault(name, getattr(pkg, name))
    return seen.items()


def _public_callables():
    """(qualified name, callable) for every exported function and public method."""
    for name, obj in _public_objects():
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            is_dataclass = "__dataclass_fields__" in vars(obj)
            members = {}  # own and inherited from mapdiff's mixins (GeoResult: to_file, explore)
            for klass in reversed(obj.__mro__):
                if klass.__module__.startswith("mapdiff"):
                    members.update(vars(klass))
            for attr, member in members.items():
                if isinstance(member, (classmethod, staticmethod)):
                    member = member.__func__
                if not inspect.isfunction(member):
                    continue
                if attr.startswith("_") and not (attr == "__init__" and not is_dataclass):
                    continue  # a dataclass __init__ takes the fields; results are built by mapdiff
                yield f"{name}.{attr}", member
        elif inspect.isfunction(inspect.unwrap(obj)):
            yield name, obj  # functools wrappers (a cached region) included


def test_options_are_keyword_only():
    loose = {}
    for qualname, func in _public_callables():
        params = list(inspect.signature(func).parameters.values())
        if params and params[0].name in ("self", "cls"):
            params = params[1:]
        allowed = set(DATA_ARGUMENTS.get(qualname, ()))
        if qualname.endswith(".plot"):
            allowed.add("ax")
        if qualname.endswith(".to_file"):  # every result's writer (GeoResult.to_file) takes the path
            allowed.add("path")
        extra = [
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.POSITIONAL_ONLY) and p.name not in allowed
        ]
        if extra:
            loose[qualname] = extra
    assert not loose, f"options that should be keyword-only (after a bare *): {loose}"


def test_the_allow_list_names_real_parameters():
    found = dict(_public_callables())
    for qualname, names in DATA_ARGUMENTS.items():
        assert qualname in found, qualname
        params = inspect.signature(found[qualname]).parameters
        assert set(names) <= set(params), (qualname, names)


def test_an_area_is_called_aoi():
    for qualname, func in _public_callables():
        params = set(inspect.signature(func).parameters)
        assert not params & {"within", "area", "region_of_interest"}, qualname


def test_errors_derive_from_the_matching_builtin():
    assert issubclass(mapdiff.errors.ArgumentError, ValueError)
    assert issubclass(mapdiff.errors.MissingDependencyError, ImportError)
    assert issubclass(mapdiff.errors.FetchError, OSError)
    for name in mapdiff.errors.__all__:
        cls = getattr(mapdiff.errors, name)
        assert issubclass(cls, (mapdiff.MapdiffError, mapdiff.errors.MapdiffWarning)), name


def test_bad_arguments_raise_argument_error_naming_the_choices(square_map):
    """A bad option is an ArgumentError (a ValueError), and the message lists what is accepted."""
    cases = [
        (lambda: mapdiff.check_claim(square_map, "Pokrovsk", "RU", 0.5, kind="liberated"), "share"),
        (lambda: mapdiff.check_claim(square_map, "Pokrovsk", "RU", 0.5, policy="all"), "nobody"),
        (lambda: mapdiff.compare(square_map, "a.geojson"), "read_map"),
        (lambda: mapdiff.compare(square_map, square_map, noise_m=-1), "noise_m"),
        (lambda: mapdiff.footprint("Kupiansk", kind="city_limits"), "it has: community, approximate"),
        (lambda: mapdiff.sample_path("1999-01-01"), "there are:"),
        (lambda: mapdiff.first_crossing(None, threshold=2), "0..1"),
        (lambda: square_map.area("controlled:RU", aoi="Pokrovsk"), "shapely geometry"),
    ]
    for call, listed in cases:
        with pytest.raises(mapdiff.errors.ArgumentError, match=listed) as err:
            call()
        assert isinstance(err.value, ValueError)


def test_every_public_class_and_function_has_a_doctest_example():
    """Each exported class or function (errors and warnings aside) shows an ``Examples``
    section with a doctest; ``--doctest-modules`` runs it."""
    missing = []
    for name in mapdiff.__all__:
        obj = getattr(mapdiff, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        if inspect.isclass(obj) and issubclass(obj, (Exception, Warning)):
            continue
        doc = obj.__doc__ or ""
        if "Examples\n" not in inspect.cleandoc(doc) or ">>> " not in doc:
            missing.append(name)
    assert not missing, f"no Examples doctest in the docstring of: {', '.join(missing)}"
