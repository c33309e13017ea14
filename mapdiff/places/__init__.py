"""Places: the gazetteer, footprints (the one resolver :func:`as_footprint`), boundary
fetches and regions. This package imports nothing itself."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
