"""The public names of ``mapdiff.sources``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .archives import fetch as fetch
from .samples import sample_path as sample_path, sample_paths as sample_paths
