"""Write data/geo/ukraine_drawn_extent.geojson: Ukraine's drawn extent, made once.

Usage::

    python tools/make_drawn_extent.py

The drawn extent (see ``mapdiff.places.regions.drawn_extent``) is the land outline ∪ the
maritime outline within 0.02° of it. Making it buffers the whole land outline (~0.1 s),
which every process that reads a map would otherwise pay. Run this again whenever
``ukraine_boundary.geojson``, ``ukraine_maritime.geojson`` or the band change (and bump
``GEOGRAPHY_VERSION``); ``tests/model/test_coverage.py`` checks the shipped file against a fresh one.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from mapdiff.places import regions as R

    geom = R._make_extent("ukraine")
    out = ROOT / "data" / "geo" / R._EXTENT_FILES["ukraine"]
    feature = {
        "type": "Feature",
        "properties": {
            "name": "ukraine drawn extent",
            "geography_version": R.GEOGRAPHY_VERSION,
            "made_from": "ukraine_boundary.geojson ∪ (ukraine_maritime.geojson ∩ the land outline "
            f"grown by {R._COASTAL_BAND_DEG}°, quad_segs=4)",
            "made_with": f"shapely {shapely.__version__}, GEOS {shapely.geos_version_string}",
            "licence": "ODbL 1.0 (derived from the OpenStreetMap maritime boundary); see README.md",
        },
        "geometry": json.loads(shapely.to_geojson(geom)),
    }
    text = json.dumps({"type": "FeatureCollection", "features": [feature]}, ensure_ascii=False)
    out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {out} ({shapely.get_num_coordinates(geom):,} vertices, {len(text):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
