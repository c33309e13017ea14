"""Places: the gazetteer's names (``names``), footprints (the value in ``shapes``; the one
resolver :func:`as_footprint` in ``footprints``), the administrative map (``admin``), the
index of named points and what is near them (``gazetteer``, ``distance``), boundary fetches
and regions. This package imports nothing itself."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
