"""Comparing maps: two maps class by class (:mod:`.core`) and who agrees where across N maps
(:mod:`.agreement`)."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
