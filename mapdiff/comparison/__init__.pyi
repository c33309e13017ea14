"""The public names of ``mapdiff.comparison``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .agreement import Consensus as Consensus
from .agreement import consensus as consensus
from .core import (
    Comparison as Comparison,
)
from .core import (
    ManyComparison as ManyComparison,
)
from .core import (
    compare as compare,
)
from .core import (
    compare_many as compare_many,
)
