"""Places: the gazetteer, footprints (the one resolver :func:`as_footprint`), boundary
fetches and regions. This package imports nothing itself."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".footprints": ("Footprint", "footprint", "footprint_from_file", "place_names"),
        ".boundaries": ("fetch_footprint",),
        ".regions": ("region",),
    },
)
