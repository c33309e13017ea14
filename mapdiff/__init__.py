"""mapdiff: compare competing maps of territorial control, in km².

The public API is what this module exports (``__all__``); everything else is private.

Examples
--------
>>> import mapdiff
>>> m = mapdiff.read_map(mapdiff.sample_path())          # doctest: +SKIP
>>> m.area("controlled:RU")                               # doctest: +SKIP
"""

from __future__ import annotations

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
from .history import Changes, ChangeTable, Series, ShareSeries, SourceLag, changes, first_crossing, source_lag
from .io import read_map, write_gdf
from .labels import CONTESTED, CONTROLLED, ENCIRCLED, GREY, NOT_COVERED, Label, as_label
from .measure import area_km2, equal_area_crs, geodesic_area_km2
from .model import ControlMap, NormalisationReport, Provenance, Repair, normalise
from .profiles import Profile, available_profiles, get_profile, load_profile, register_profile
from .regions import region
from .samples import sample_path, sample_paths
from .sources import fetch

__version__ = "0.1.0"

__all__ = [
    "CONTESTED",
    "CONTROLLED",
    "ENCIRCLED",
    "GREY",
    "NOT_COVERED",
    "CRSError",
    "ChangeTable",
    "Changes",
    "ControlMap",
    "CoverageError",
    "EmptyMapError",
    "FetchError",
    "FormatError",
    "InputLimitError",
    "Label",
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
    "equal_area_crs",
    "fetch",
    "first_crossing",
    "geodesic_area_km2",
    "get_profile",
    "load_profile",
    "normalise",
    "read_map",
    "region",
    "register_profile",
    "sample_path",
    "sample_paths",
    "source_lag",
    "write_gdf",
]
