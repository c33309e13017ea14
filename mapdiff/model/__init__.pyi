"""The public names of ``mapdiff.model``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .control_map import (
    ControlMap as ControlMap,
    NormalisationReport as NormalisationReport,
    Provenance as Provenance,
    Repair as Repair,
)
from .coverage import Coverage as Coverage
from .measure import (
    area_km2 as area_km2,
    equal_area_crs as equal_area_crs,
    geodesic_area_km2 as geodesic_area_km2,
)
from .normalisation import normalise as normalise
