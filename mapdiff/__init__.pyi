"""The public names of ``mapdiff``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from ._version import __version__ as __version__
from .claims import (
    Claim as Claim,
    ClaimAcrossMaps as ClaimAcrossMaps,
    ClaimCheck as ClaimCheck,
    ClaimChecks as ClaimChecks,
    Ledger as Ledger,
    Tracking as Tracking,
    check_claim as check_claim,
    check_claim_all as check_claim_all,
    check_claims as check_claims,
    read_ledger as read_ledger,
    track as track,
    validate_ledger as validate_ledger,
)
from .comparison import (
    Comparison as Comparison,
    Consensus as Consensus,
    ManyComparison as ManyComparison,
    compare as compare,
    compare_many as compare_many,
    consensus as consensus,
)
from .encircle import (
    Encirclement as Encirclement,
    check_encircled_labels as check_encircled_labels,
    encirclement as encirclement,
)
from .errors import MapdiffError as MapdiffError
from .history import (
    Changes as Changes,
    ChangeTable as ChangeTable,
    Releases as Releases,
    Report as Report,
    ShareSeries as ShareSeries,
    SourceLag as SourceLag,
    build_report as build_report,
    changes as changes,
    first_crossing as first_crossing,
    source_lag as source_lag,
)
from .io import read_map as read_map, read_provenance as read_provenance, write_gdf as write_gdf
from .model import (
    ControlMap as ControlMap,
    Provenance as Provenance,
    area_km2 as area_km2,
    normalise as normalise,
)
from .places import (
    Footprint as Footprint,
    fetch_footprint as fetch_footprint,
    footprint as footprint,
    footprint_from_file as footprint_from_file,
    place_names as place_names,
    region as region,
)
from .sources import fetch as fetch, sample_path as sample_path, sample_paths as sample_paths
