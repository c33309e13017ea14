"""Release history: the releases of one source (:class:`Releases`), what each release
changed, share series, first crossings, source lag, region shares and the release report.
The engine that reads and measures many releases is :mod:`._engine`."""

from .._lazy import exports, stub

__all__, __getattr__, __dir__ = exports(
    __name__,
    stub(__file__),
    moved={"Series": "mapdiff.history.releases:Releases"},
)
