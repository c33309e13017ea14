"""Comparing maps: two maps class by class (:mod:`.core`) and who agrees where across N maps
(:mod:`.agreement`)."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".core": ("Comparison", "ManyComparison", "compare", "compare_many"),
        ".agreement": ("Consensus", "consensus"),
    },
)
