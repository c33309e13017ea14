"""The public names of ``mapdiff.model``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .control_map import (
    ControlMap as ControlMap,
)
from .control_map import (
    NormalisationReport as NormalisationReport,
)
from .control_map import (
    Provenance as Provenance,
)
from .control_map import (
    Repair as Repair,
)
from .control_map import (
    normalise as normalise,
)
from .measure import (
    area_km2 as area_km2,
)
from .measure import (
    equal_area_crs as equal_area_crs,
)
from .measure import (
    geodesic_area_km2 as geodesic_area_km2,
)
