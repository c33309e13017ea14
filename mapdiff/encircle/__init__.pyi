"""The public names of ``mapdiff.encircle``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .core import (
    Encirclement as Encirclement,
    check_encircled_labels as check_encircled_labels,
    encirclement as encirclement,
)
