"""The public names of ``mapdiff.history``, written once: ``mapdiff._lazy`` reads them at import,
type checkers and the API docs read them as they are."""

from .change import Changes as Changes
from .change import ChangeTable as ChangeTable
from .change import changes as changes
from .lag import SourceLag as SourceLag
from .lag import first_crossing as first_crossing
from .lag import source_lag as source_lag
from .regions import RegionShares as RegionShares
from .regions import region_shares as region_shares
from .releases import Releases as Releases
from .releases import ShareSeries as ShareSeries
from .releases import dask_client as dask_client
from .report import Report as Report
from .report import build_report as build_report
