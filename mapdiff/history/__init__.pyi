"""The public names of ``mapdiff.history``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .change import Changes as Changes, ChangeTable as ChangeTable, changes as changes
from .lag import SourceLag as SourceLag, first_crossing as first_crossing, source_lag as source_lag
from .regions import RegionShares as RegionShares, region_shares as region_shares
from .releases import Releases as Releases, ShareSeries as ShareSeries, dask_client as dask_client
from .report import Report as Report, build_report as build_report
