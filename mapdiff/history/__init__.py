"""Release history: the releases of one source (:class:`Releases`), what each release
changed, share series, first crossings, source lag, region shares and the release report.
The engine that reads and measures many releases is :mod:`._engine`."""

from .._lazy import exports

__all__, __getattr__, __dir__ = exports(
    __name__,
    {
        ".releases": ("Releases", "ShareSeries", "dask_client"),
        ".change": ("ChangeTable", "Changes", "changes"),
        ".lag": ("SourceLag", "first_crossing", "source_lag"),
        ".regions": ("RegionShares", "region_shares"),
        ".report": ("Report", "build_report"),
    },
    moved={"Series": "mapdiff.history.releases:Releases"},
)
