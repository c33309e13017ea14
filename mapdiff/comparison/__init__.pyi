"""The public names of ``mapdiff.comparison``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .agreement import Consensus as Consensus, consensus as consensus
from .core import Comparison as Comparison, compare as compare
from .lines import line_displacement as line_displacement
from .many import ManyComparison as ManyComparison, compare_many as compare_many
