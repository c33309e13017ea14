"""Encirclement: is a place's holding cut off from the rear, and how wide is the way out."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
