"""Front lines drawn as lines: Creamy Caprice's ``FrontLine/`` KML, the UA Control Map's
``frontline``, or any GeoJSON/KML of line features.

:func:`read_front_line` returns a :class:`FrontLine` (a lon/lat MultiLineString with its
source and date) that :func:`mapdiff.comparison.line_displacement` compares with another
line: the same displacement metric :attr:`mapdiff.Comparison.displacement` computes from
two maps' boundaries of control.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

import shapely

from .._dates import as_date
from ..config import check_json_depth
from ..errors import FormatError
from ..model.measure import GEOD
from .detect import read_raw
from .gate import read_input_bytes
from .owl import front_line, is_owl

__all__ = ["FrontLine", "read_front_line"]

# (file name pattern, strptime format of its date, source)
_NAMES = (
    (r"^FrontLine_(\d{2}_\d{2}_\d{2})\.km[lz]$", "%y_%m_%d", "creamy_caprice"),
    (r"^(\d{8})\.json$", "%Y%m%d", "owl"),
)


@dataclass(frozen=True)
class FrontLine:
    """A front line: lon/lat MultiLineString, source and date."""

    geometry: object
    source: str
    as_of: dt.date | None = None
    path: str | None = None

    @property
    def length_km(self) -> float:
        """Geodesic length in km."""
        return GEOD.geometry_length(self.geometry) / 1000.0


def read_front_line(path, *, source: str | None = None, as_of=None) -> FrontLine:
    """Read a front line file.

    Parameters
    ----------
    path : str or Path
        A Creamy Caprice ``FrontLine/FrontLine_YY_MM_DD.kml``, an Owl ``YYYYMMDD.json``
        (its ``frontline``), or any GeoJSON / KML whose line features are the front.
    source : str, optional
        Name to carry (default: recognised from the file name, else ``"line"``).
    as_of : date or str, optional
        Date when the file name states none.

    Returns
    -------
    FrontLine

    Raises
    ------
    FormatError
        When the file holds no line.

    Examples
    --------
    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "20251127.json"
    >>> _ = p.write_text(json.dumps({"areas": [], "frontline": [[[48.0, 37.0], [48.2, 37.1]]]}))
    >>> fl = read_front_line(p)
    >>> fl.source, fl.as_of.isoformat(), fl.geometry.bounds
    ('owl', '2025-11-27', (37.0, 48.0, 37.1, 48.2))
    """

    path = Path(path)
    name_source, date = None, None
    for rx, fmt, src in _NAMES:
        m = re.match(rx, path.name)
        if m:
            name_source, date = src, dt.datetime.strptime(m.group(1), fmt).date()
            break
    geom = None
    if path.suffix.lower() == ".json":
        data = read_input_bytes(path)  # the input gate: a FIFO or device is refused, not waited on

        check_json_depth(data, path.name)
        try:
            obj = json.loads(data)
        except ValueError:
            obj = None
        if is_owl(obj):
            geom = front_line(obj, path.name)
            name_source = name_source or "owl"
    if geom is None:
        raw = read_raw(path)
        parts = []
        for g in raw.geoms:
            if g is None or g.is_empty:
                continue
            for p in shapely.get_parts(g):
                if p.geom_type == "LineString":
                    parts.append(shapely.force_2d(p))
                elif p.geom_type == "MultiLineString":
                    parts += [shapely.force_2d(q) for q in p.geoms]
        geom = shapely.MultiLineString(parts)
    if geom.is_empty:
        raise FormatError(f"{path.name}: no line in the file; a front line file holds LineStrings")
    when = as_date(as_of, where="as_of=") if as_of is not None else date
    return FrontLine(geom, source or name_source or "line", when, str(path))
