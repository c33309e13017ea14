"""Places: the gazetteer's names (``names``), footprints (the value in ``shapes``; the one
resolver :func:`as_footprint` in ``footprints``), the administrative map (``admin``), the
index of named points and what is near them (``gazetteer``, ``distance``), boundary fetches
and regions. This package imports nothing itself."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".footprints": ("Footprint", "footprint", "footprint_from_file", "place_names"),
        ".boundaries": ("fetch_footprint",),
        ".regions": ("region",),
    },
)
