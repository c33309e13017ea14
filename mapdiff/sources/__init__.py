"""Sources: fetchers for the public archives (:mod:`.fetch`) and the embedded sample."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {".archives": ("fetch",), ".samples": ("sample_path", "sample_paths")},
)
