"""The model: :class:`ControlMap` (one release of one source, normalised), the classes
results are drawn and exported by, and areas in km² (:mod:`.measure`)."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
