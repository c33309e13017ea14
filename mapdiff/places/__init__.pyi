"""The public names of ``mapdiff.places``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .boundaries import fetch_footprint as fetch_footprint
from .footprints import (
    Footprint as Footprint,
    footprint as footprint,
    footprint_from_file as footprint_from_file,
    place_names as place_names,
)
from .regions import region as region
