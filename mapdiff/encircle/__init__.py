"""Encirclement: is a place's holding cut off from the rear, and how wide is the way out."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {".core": ("Encirclement", "check_encircled_labels", "encirclement")},
)
