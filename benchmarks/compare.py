"""Benchmark: the whole-front comparison vs a plain geopandas symmetric-difference overlay.

Usage::

    python benchmarks/compare.py [DEEPSTATE_FILE NZZ_FILE]

Defaults to DeepState 2025-11-27 vs NZZ 2025-11-27 from ../shared/data. Both ways start
from the same two files: mapdiff reads, normalises and compares (crosstab, causes,
metrics, components); the naive way reads both with geopandas, repairs geometries
(make_valid, as any overlay of these files needs) and runs
``geopandas.overlay(a, b, how="symmetric_difference")``, which yields only the
disagreement polygons. Best of three runs each, same process.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import geopandas as gpd

import mapdiff

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"


def _naive(ds_path, nz_path):
    a = gpd.read_file(ds_path)
    import json

    fc = json.loads(Path(nz_path).read_text(encoding="utf-8"))["value"]
    b = gpd.GeoDataFrame.from_features(fc["features"], crs="EPSG:4326")
    b = b[b["type"].isin(["nochange", "gains"])]
    a["geometry"] = a.geometry.make_valid()
    b = b.assign(geometry=b.geometry.make_valid())
    return gpd.overlay(a, b, how="symmetric_difference", keep_geom_type=True)


def _naive_km2(ds_path, nz_path):
    """The naive way taken as far as one number: symmetric difference, clipped to Ukraine, in km²."""
    from mapdiff.model.measure import equal_area_crs
    from mapdiff.places.regions import region

    sd = _naive(ds_path, nz_path)
    ukr = region("ukraine")
    sd = gpd.clip(sd, ukr)
    return sd, float(sd.to_crs(equal_area_crs(ukr)).area.sum() / 1e6)


def _mapdiff(ds_path, nz_path):
    c = mapdiff.compare(mapdiff.read_map(ds_path), mapdiff.read_map(nz_path))
    c.crosstab, c.disagreement_km2, c.metrics, c.components  # noqa: B018 (force the lazy parts)
    return c


def tiled(a, b):
    """``mapdiff.compare(a, b)`` on the tiled path (each map tiles the AOI, the two tilings
    overlaid), the reference of the whole-front path; its tables and components made."""
    import mapdiff.comparison.core as C

    fast = C.drawn_only
    C.drawn_only = lambda a, b: None
    try:
        c = mapdiff.compare(a, b)
        c.crosstab, c.disagreement_km2, c.metrics, c.components  # noqa: B018
        return c
    finally:
        C.drawn_only = fast


def path_difference(c, ref) -> dict:
    """Largest |km²| difference per crosstab cell and per cause, and the difference in the
    number of components, between two comparisons of the same maps."""
    import numpy as np

    t1 = c.crosstab
    t2 = ref.crosstab.reindex(index=t1.index, columns=t1.columns, fill_value=0.0)
    causes = max(abs(c.disagreement_km2[k] - ref.disagreement_km2[k]) for k in ref.disagreement_km2)
    return {
        "crosstab_km2": float(np.abs(t1.to_numpy() - t2.to_numpy()).max()),
        "causes_km2": float(causes),
        "components": len(c.components) - len(ref.components),
    }


def reference_displacement(c):
    """``c.displacement`` computed again on the reference path: the AOI's edge and the scope
    pieces cut out of each boundary with GEOS's 1 m buffers and differences
    (``mapdiff.comparison.cut.NearZoneReference``), each part sampled with
    ``line_interpolate_point``, each point's distance to the whole other line with
    ``shapely.distance`` (``mapdiff.comparison.lines.displacement_stats_reference``)."""
    import mapdiff.comparison.core as C
    import mapdiff.comparison.cut as K
    import mapdiff.comparison.lines as L

    fast, near = C.displacement_stats, C.near_zone
    C.displacement_stats, C.near_zone = L.displacement_stats_reference, K.NearZoneReference
    try:
        c.__dict__.pop("_displacement", None)
        c.__dict__.pop("displacement", None)
        return c.displacement
    finally:
        C.displacement_stats, C.near_zone = fast, near
        c.__dict__.pop("_displacement", None)
        c.__dict__.pop("displacement", None)


def same_displacement(fast, ref, tol_km=1e-5) -> bool:
    """Equal point counts, and median, p90, max (km) within ``tol_km``: 1 cm, as the
    reference's 1 m buffers are polygons whose arcs lie up to 4.8 mm inside the true
    distance, which moves the cut points (and the samples after them) by millimetres."""
    import numpy as np

    if list(fast.side) != list(ref.side) or list(fast.n_points) != list(ref.n_points):
        return False
    cols = ["median_km", "p90_km", "max_km"]
    a, b = fast[cols].to_numpy(float), ref[cols].to_numpy(float)
    return bool(np.allclose(a, b, rtol=0, atol=tol_km, equal_nan=True))


def _best(fn, *args, n=3):
    times, out = [], None
    for _ in range(n):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return min(times), out


def main(argv):
    ds = Path(argv[1]) if len(argv) > 2 else DATA / "deepstate" / "deepstatemap_data_20251127.geojson"
    nz = Path(argv[2]) if len(argv) > 2 else DATA / "nzz" / "2025-11-27.json"
    if not (ds.exists() and nz.exists()):
        print(f"data not available: {ds} / {nz}")
        return 0
    t_naive, sd = _best(_naive, ds, nz)
    t_km2, (_, naive_km2) = _best(_naive_km2, ds, nz)
    t_md, c = _best(_mapdiff, ds, nz)
    t_extra, _ = _best(
        lambda: (
            [c.__dict__.pop(k, None) for k in ("tolerance", "_tolerance", "displacement", "_displacement")],
            c.tolerance,
            c.displacement,
        ),
        n=1,
    )
    print(f"files: {ds.name} vs {nz.name}")
    print(f"naive geopandas.overlay(symmetric_difference): {t_naive:7.3f} s  ({len(sd)} rows, no areas)")
    print(f"naive + clip to Ukraine + area (one km² total, {naive_km2:,.1f}): {t_km2:7.3f} s")
    print(f"mapdiff.comparison.core (read+crosstab+causes+metrics+components): {t_md:7.3f} s")
    print(
        f"ratio mapdiff / naive overlay: {t_md / t_naive:5.2f}; mapdiff / naive with km²: {t_md / t_km2:5.2f}"
    )
    print(f"  (+ tolerance curve and front-line displacement: {t_extra:.3f} s)")
    d = c.disagreement_km2
    print(
        f"AOI {c.aoi_km2:,.1f} km²; disagreement {d['total']:,.1f} = scope {d['scope']:,.1f} + "
        f"noise {d['noise']:,.1f} + real {d['real']:,.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
