"""mapdiff: compare competing maps of territorial control, in km².

The public API is what this module exports (``__all__``); everything else is private.

Examples
--------
>>> import mapdiff
>>> m = mapdiff.read_map(mapdiff.sample_path())          # doctest: +SKIP
>>> m.area("controlled:RU")                               # doctest: +SKIP
"""

from __future__ import annotations

from .boundaries import fetch_footprint
from .changes import Changes, ChangeTable, changes
from .claims import CAPTURED_THRESHOLD, POLICIES, ClaimCheck, check_claim
from .compare import Comparison, ManyComparison, compare, compare_many
from .encircle import Encirclement, check_encircled_labels, encirclement
from .errors import (
    CoverageError,
    CRSError,
    EmptyMapError,
    FetchError,
    FormatError,
    InputLimitError,
    MapdiffError,
    MapdiffWarning,
    MissingCRSError,
    ProfileError,
    SwappedCoordinatesError,
    UnknownLabelError,
    UnknownPlaceError,
    UnknownSourceError,
)
from .footprints import Footprint, footprint, footprint_from_file, place_names
from .history import Series, ShareSeries
from .io import read_map, write_gdf
from .labels import CONTESTED, CONTROLLED, ENCIRCLED, GREY, NOT_COVERED, Label, as_label
from .lag import SourceLag, first_crossing, source_lag
from .ledger import Claim, ClaimsReport, Ledger, check_claims, read_ledger
from .limits import Limits, set_limits
from .measure import area_km2, equal_area_crs, geodesic_area_km2
from .model import ControlMap, NormalisationReport, Provenance, Repair, normalise
from .profiles import Profile, available_profiles, get_profile, load_profile, register_profile
from .regions import region
from .samples import sample_path, sample_paths

__version__ = "0.1.0"

__all__ = [
    "CAPTURED_THRESHOLD",
    "CONTESTED",
    "CONTROLLED",
    "ENCIRCLED",
    "GREY",
    "NOT_COVERED",
    "POLICIES",
    "CRSError",
    "ChangeTable",
    "Changes",
    "Claim",
    "ClaimCheck",
    "ClaimsReport",
    "Comparison",
    "ControlMap",
    "CoverageError",
    "EmptyMapError",
    "Encirclement",
    "FetchError",
    "Footprint",
    "FormatError",
    "InputLimitError",
    "Label",
    "Ledger",
    "Limits",
    "ManyComparison",
    "MapdiffError",
    "MapdiffWarning",
    "MissingCRSError",
    "NormalisationReport",
    "Profile",
    "ProfileError",
    "Provenance",
    "Repair",
    "Series",
    "ShareSeries",
    "SourceLag",
    "SwappedCoordinatesError",
    "UnknownLabelError",
    "UnknownPlaceError",
    "UnknownSourceError",
    "__version__",
    "area_km2",
    "as_label",
    "available_profiles",
    "changes",
    "check_claim",
    "check_claims",
    "check_encircled_labels",
    "compare",
    "compare_many",
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
    "region",
    "register_profile",
    "sample_path",
    "sample_paths",
    "set_limits",
    "source_lag",
    "write_gdf",
]
