"""mapdiff: compare competing maps of territorial control, in km².

The public API is what this module exports (``__all__``, at most 50 names); the packages
hold the rest: exceptions in :mod:`mapdiff.errors`, labels and their constants in
:mod:`mapdiff.labels`, the profile registry in :mod:`mapdiff.profiles`, limits, settings
and :func:`~mapdiff.config.clear_caches` in :mod:`mapdiff.config`. Names are imported on
first use (PEP 562), so ``import mapdiff`` stays cheap.

Examples
--------
>>> import mapdiff
>>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
>>> round(m.area("controlled:RU"))
890
"""

from __future__ import annotations

from . import _moved
from ._lazy import exports, stub
from ._version import __version__ as __version__

_moved.install()

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
    # names of 0.1 that moved: they work for one more release, with a DeprecationWarning
    moved={
        **{
            name: "mapdiff.errors"
            for name in (
                "ArgumentError",
                "CRSError",
                "CoverageError",
                "DownloadError",
                "EmptyMapError",
                "FetchError",
                "FormatError",
                "InputLimitError",
                "LedgerError",
                "MapdiffWarning",
                "MissingCRSError",
                "MissingDependencyError",
                "ProfileError",
                "StaleReleaseWarning",
                "SwappedCoordinatesError",
                "UnknownLabelError",
                "UnknownPlaceError",
                "UnknownSideError",
                "UnknownSourceError",
            )
        },
        **{
            name: "mapdiff.labels"
            for name in (
                "CONTESTED",
                "CONTROLLED",
                "ENCIRCLED",
                "GREY",
                "NOT_COVERED",
                "Label",
                "as_label",
                "canonical_side",
                "resolve_side",
            )
        },
        **{
            name: "mapdiff.profiles"
            for name in ("Profile", "available_profiles", "get_profile", "load_profile", "register_profile")
        },
        "CAPTURED_THRESHOLD": "mapdiff.claims",
        "POLICIES": "mapdiff.claims",
        "ClaimsReport": "mapdiff.claims:ClaimChecks",
        "Limits": "mapdiff.config",
        "set_limits": "mapdiff.config",
        "NormalisationReport": "mapdiff.model",
        "Repair": "mapdiff.model",
        "equal_area_crs": "mapdiff.model",
        "geodesic_area_km2": "mapdiff.model",
        "Series": "mapdiff:Releases",
        "dask_client": "mapdiff.history",
    },
)
