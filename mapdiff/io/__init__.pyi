"""The public names of ``mapdiff.io``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .read import read_map as read_map
from .write import read_provenance as read_provenance, write_gdf as write_gdf
