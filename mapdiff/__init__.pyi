"""The public names of ``mapdiff``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from ._version import __version__ as __version__
from .claims import (
    Claim as Claim,
)
from .claims import (
    ClaimAcrossMaps as ClaimAcrossMaps,
)
from .claims import (
    ClaimCheck as ClaimCheck,
)
from .claims import (
    ClaimChecks as ClaimChecks,
)
from .claims import (
    Ledger as Ledger,
)
from .claims import (
    Tracking as Tracking,
)
from .claims import (
    check_claim as check_claim,
)
from .claims import (
    check_claim_all as check_claim_all,
)
from .claims import (
    check_claims as check_claims,
)
from .claims import (
    read_ledger as read_ledger,
)
from .claims import (
    track as track,
)
from .claims import (
    validate_ledger as validate_ledger,
)
from .comparison import (
    Comparison as Comparison,
)
from .comparison import (
    Consensus as Consensus,
)
from .comparison import (
    ManyComparison as ManyComparison,
)
from .comparison import (
    compare as compare,
)
from .comparison import (
    compare_many as compare_many,
)
from .comparison import (
    consensus as consensus,
)
from .encircle import (
    Encirclement as Encirclement,
)
from .encircle import (
    check_encircled_labels as check_encircled_labels,
)
from .encircle import (
    encirclement as encirclement,
)
from .errors import MapdiffError as MapdiffError
from .history import (
    Changes as Changes,
)
from .history import (
    ChangeTable as ChangeTable,
)
from .history import (
    Releases as Releases,
)
from .history import (
    Report as Report,
)
from .history import (
    ShareSeries as ShareSeries,
)
from .history import (
    SourceLag as SourceLag,
)
from .history import (
    build_report as build_report,
)
from .history import (
    changes as changes,
)
from .history import (
    first_crossing as first_crossing,
)
from .history import (
    source_lag as source_lag,
)
from .io import read_map as read_map
from .io import read_provenance as read_provenance
from .io import write_gdf as write_gdf
from .model import (
    ControlMap as ControlMap,
)
from .model import (
    Provenance as Provenance,
)
from .model import (
    area_km2 as area_km2,
)
from .model import (
    normalise as normalise,
)
from .places import (
    Footprint as Footprint,
)
from .places import (
    fetch_footprint as fetch_footprint,
)
from .places import (
    footprint as footprint,
)
from .places import (
    footprint_from_file as footprint_from_file,
)
from .places import (
    place_names as place_names,
)
from .places import (
    region as region,
)
from .sources import fetch as fetch
from .sources import sample_path as sample_path
from .sources import sample_paths as sample_paths
