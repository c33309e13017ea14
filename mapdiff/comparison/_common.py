"""What the comparison modules share: label helpers, the area of interest, threads for the
independent GEOS steps and the sums the JSON path makes without pandas."""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from ..errors import ArgumentError, EmptyMapError
from ..labels import Label
from ..model.measure import area_km2
from ..model.shapes import polygonal_parts
from ..places.footprints import Footprint, as_footprint

if TYPE_CHECKING:
    pass


# --------------------------------------------------------------------------- classes
def label_str(status, side) -> str:
    return f"{status}:{side}" if isinstance(side, str) else status


def lab(status, side) -> Label:
    return Label(status, side if isinstance(side, str) else None)  # pandas turns None into NaN


#: Threads for the independent GEOS steps of a comparison's JSON (shapely releases the GIL
#: inside GEOS, so they run side by side on a machine's cores); 1 runs them in turn.
THREADS = min(4, os.cpu_count() or 1)


def run_all(fns) -> list:
    """Call each function (no arguments) and return their results in order: on up to
    :data:`THREADS` threads, or in turn. The results are those of the calls in turn (each
    call computes what it would alone; none writes what another reads)."""
    fns = list(fns)
    n = min(THREADS, len(fns))
    if n <= 1:
        return [f() for f in fns]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(n, thread_name_prefix="mapdiff-compare") as ex:
        return [f.result() for f in [ex.submit(f) for f in fns]]


def group_sum(keys, values) -> dict:
    """{key: sum of its values}, keys in order of first appearance, summed as pandas'
    ``groupby(...).sum()`` sums (row order, Kahan-compensated): the JSON path gets the
    DataFrame methods' numbers to the last bit without importing pandas."""
    sums: dict = {}
    comp: dict = {}
    for k, v in zip(keys, values, strict=True):
        s, c = sums.get(k, 0.0), comp.get(k, 0.0)
        y = float(v) - c
        t = s + y
        comp[k] = (t - s) - y
        sums[k] = t
    return sums


def json_records(cols: dict, n: int | None = None) -> list[dict]:
    """Rows of a table given as columns (name -> array) as JSON records: floats (NaN as
    None), numpy integers as ints, as ``DataFrame.to_dict(orient="records")`` gives them."""

    def conv(v):
        if isinstance(v, (float, np.floating)):
            return float(v) if np.isfinite(v) else None
        if isinstance(v, (np.integer, np.bool_)):
            return v.item()
        return v

    names = list(cols)
    rows = len(next(iter(cols.values()))) if cols else 0
    rows = rows if n is None else min(rows, n)
    return [{k: conv(cols[k][i]) for k in names} for i in range(rows)]


def aoi_dict(fp) -> dict | None:
    """What a JSON result says of a place AOI (None for a bare geometry or the maps' extent)."""
    if fp is None:
        return None
    return {
        "name": fp.name,
        "footprint_kind": fp.kind,
        "approximate": fp.approximate,
        "upper_bound": fp.upper_bound,
        "area_km2": float(fp.area_km2),
        "provenance": fp.provenance,
    }


def aoi_html(fp) -> str:
    if fp is None:
        return ""
    flag = " <b style='color:#b00'>(approximate footprint)</b>" if fp.approximate else ""
    return f" ({html.escape(fp.name)}, {html.escape(fp.kind)}){flag}"


def names_place(aoi) -> bool:
    """True when an AOI argument names a place (place name, polygon file, Footprint), which
    outputs then name (and flag when approximate); a bare geometry names none."""
    return isinstance(aoi, (str, Path, Footprint))


def aoi_place(aoi):
    """The Footprint an AOI argument names (place name, polygon file, Footprint), else None."""
    return as_footprint(aoi) if names_place(aoi) else None


def resolve_aoi(aoi, maps, *, km2: float | None = None):
    """AOI as a lon/lat geometry: Footprint / geometry / place name / None (union of extents).

    ``km2``: the AOI's km² when already known (the whole-front comparison measures it from
    its pieces): the emptiness check reads it instead of projecting the AOI once more."""
    if aoi is None:
        feet = [m.footprint for m in maps]
        first = feet[0]
        # maps of one region share its (cached) boundary: skip a costly union of equals
        same = all(f is first or shapely.equals(f, first) for f in feet[1:])
        geom = first if same else shapely.union_all(np.asarray(feet, dtype=object))
    elif (place := aoi_place(aoi)) is not None:
        geom = place.geometry
    else:
        geom = getattr(aoi, "geometry", aoi)
    if not isinstance(geom, shapely.Geometry):
        raise ArgumentError(
            f"aoi must be a Footprint, a shapely geometry (lon/lat) or a place name, got {type(aoi).__name__}"
        )
    if shapely.get_type_id(geom) not in (3, 6, 7):
        raise ArgumentError(f"aoi must be polygonal, got a {geom.geom_type}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    geom = polygonal_parts(np.array([geom], dtype=object))[0]
    if geom.is_empty or (area_km2(geom) if km2 is None else km2) <= 0:
        raise EmptyMapError(
            "the area of interest is empty: give a polygon with area, or maps that cover something"
        )
    return geom
