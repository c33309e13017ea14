"""Sources: fetchers for the public archives (:mod:`.fetch`) and the embedded sample."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
)
