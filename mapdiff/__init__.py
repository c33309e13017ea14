"""mapdiff: compare competing maps of territorial control, in km².

The public API is what this module exports (``__all__``); everything else is private.
Names are imported on first use (PEP 562), so ``import mapdiff`` stays cheap: a short
command-line call does not pay for pandas, matplotlib or dask.

Examples
--------
>>> import mapdiff
>>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
>>> round(m.area("controlled:RU"))
890
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from ._version import __version__

# module (relative to this package) -> the public names it provides
_EXPORTS: dict[str, tuple[str, ...]] = {
    ".across": ("ClaimAcrossMaps", "check_claim_all"),
    ".change": ("ChangeTable", "Changes", "changes"),
    ".claims": ("CAPTURED_THRESHOLD", "ClaimCheck", "POLICIES", "check_claim"),
    ".agreement": ("Consensus", "consensus"),
    ".comparison": ("Comparison", "ManyComparison", "compare", "compare_many"),
    ".encircle": ("Encirclement", "check_encircled_labels", "encirclement"),
    ".errors": (
        "ArgumentError",
        "CRSError",
        "CoverageError",
        "DownloadError",
        "EmptyMapError",
        "FetchError",
        "FormatError",
        "InputLimitError",
        "LedgerError",
        "MapdiffError",
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
    ),
    ".io.limits": ("Limits", "set_limits"),
    ".io.profiles": ("Profile", "available_profiles", "get_profile", "load_profile", "register_profile"),
    ".io.read": ("read_map",),
    ".io.write": ("read_provenance", "write_gdf"),
    ".labels": (
        "CONTESTED",
        "CONTROLLED",
        "ENCIRCLED",
        "GREY",
        "Label",
        "NOT_COVERED",
        "as_label",
        "canonical_side",
        "resolve_side",
    ),
    ".lag": ("SourceLag", "first_crossing", "source_lag"),
    ".ledger": ("Claim", "ClaimsReport", "Ledger", "check_claims", "read_ledger", "validate_ledger"),
    ".measure": ("area_km2", "equal_area_crs", "geodesic_area_km2"),
    ".model": ("ControlMap", "NormalisationReport", "Provenance", "Repair", "normalise"),
    ".places.boundaries": ("fetch_footprint",),
    ".places.footprints": ("Footprint", "footprint", "footprint_from_file", "place_names"),
    ".places.regions": ("region",),
    ".report": ("Report", "build_report"),
    ".samples": ("sample_path", "sample_paths"),
    ".series": ("Series", "ShareSeries", "dask_client"),
    ".sources": ("fetch",),
    ".tracker": ("Tracking", "track"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = [
    "CAPTURED_THRESHOLD",
    "CONTESTED",
    "CONTROLLED",
    "ENCIRCLED",
    "GREY",
    "NOT_COVERED",
    "POLICIES",
    "ArgumentError",
    "CRSError",
    "ChangeTable",
    "Changes",
    "Claim",
    "ClaimAcrossMaps",
    "ClaimCheck",
    "ClaimsReport",
    "Comparison",
    "Consensus",
    "ControlMap",
    "CoverageError",
    "DownloadError",
    "EmptyMapError",
    "Encirclement",
    "FetchError",
    "Footprint",
    "FormatError",
    "InputLimitError",
    "Label",
    "Ledger",
    "LedgerError",
    "Limits",
    "ManyComparison",
    "MapdiffError",
    "MapdiffWarning",
    "MissingCRSError",
    "MissingDependencyError",
    "NormalisationReport",
    "Profile",
    "ProfileError",
    "Provenance",
    "Repair",
    "Report",
    "Series",
    "ShareSeries",
    "SourceLag",
    "StaleReleaseWarning",
    "SwappedCoordinatesError",
    "Tracking",
    "UnknownLabelError",
    "UnknownPlaceError",
    "UnknownSideError",
    "UnknownSourceError",
    "__version__",
    "area_km2",
    "as_label",
    "available_profiles",
    "build_report",
    "canonical_side",
    "changes",
    "check_claim",
    "check_claim_all",
    "check_claims",
    "check_encircled_labels",
    "compare",
    "compare_many",
    "consensus",
    "dask_client",
    "encirclement",
    "equal_area_crs",
    "fetch",
    "fetch_footprint",
    "first_crossing",
    "footprint",
    "footprint_from_file",
    "geodesic_area_km2",
    "get_profile",
    "load_profile",
    "normalise",
    "place_names",
    "read_ledger",
    "read_map",
    "read_provenance",
    "region",
    "register_profile",
    "resolve_side",
    "sample_path",
    "sample_paths",
    "set_limits",
    "source_lag",
    "track",
    "validate_ledger",
    "write_gdf",
]


def __getattr__(name: str):
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'mapdiff' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .across import ClaimAcrossMaps, check_claim_all
    from .agreement import Consensus, consensus
    from .change import Changes, ChangeTable, changes
    from .claims import CAPTURED_THRESHOLD, POLICIES, ClaimCheck, check_claim
    from .comparison import Comparison, ManyComparison, compare, compare_many
    from .encircle import Encirclement, check_encircled_labels, encirclement
    from .errors import (
        ArgumentError,
        CoverageError,
        CRSError,
        DownloadError,
        EmptyMapError,
        FetchError,
        FormatError,
        InputLimitError,
        LedgerError,
        MapdiffError,
        MapdiffWarning,
        MissingCRSError,
        MissingDependencyError,
        ProfileError,
        StaleReleaseWarning,
        SwappedCoordinatesError,
        UnknownLabelError,
        UnknownPlaceError,
        UnknownSideError,
        UnknownSourceError,
    )
    from .io.limits import Limits, set_limits
    from .io.profiles import Profile, available_profiles, get_profile, load_profile, register_profile
    from .io.read import read_map
    from .io.write import read_provenance, write_gdf
    from .labels import (
        CONTESTED,
        CONTROLLED,
        ENCIRCLED,
        GREY,
        NOT_COVERED,
        Label,
        as_label,
        canonical_side,
        resolve_side,
    )
    from .lag import SourceLag, first_crossing, source_lag
    from .ledger import Claim, ClaimsReport, Ledger, check_claims, read_ledger, validate_ledger
    from .measure import area_km2, equal_area_crs, geodesic_area_km2
    from .model import ControlMap, NormalisationReport, Provenance, Repair, normalise
    from .places.boundaries import fetch_footprint
    from .places.footprints import Footprint, footprint, footprint_from_file, place_names
    from .places.regions import region
    from .report import Report, build_report
    from .samples import sample_path, sample_paths
    from .series import Series, ShareSeries, dask_client
    from .sources import fetch
    from .tracker import Tracking, track
