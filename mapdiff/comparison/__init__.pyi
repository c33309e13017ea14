"""The public names of ``mapdiff.comparison``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .agreement import Consensus as Consensus, consensus as consensus
from .core import (
    Comparison as Comparison,
    ManyComparison as ManyComparison,
    compare as compare,
    compare_many as compare_many,
)
