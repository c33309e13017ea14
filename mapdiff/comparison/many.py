"""N maps at once: the area each combination of labels covers (:func:`compare_many`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso
from ..errors import ArgumentError
from ..io.write import export_provenance
from ..labels import NOT_COVERED
from ..model.classes import label_colours, map_sides
from ..model.control_map import ControlMap
from ..model.measure import area_km2
from ._common import aoi_dict, aoi_html, aoi_place, resolve_aoi
from .core import compare
from .pieces import overlay, tiles

if TYPE_CHECKING:
    import pandas as pd


# --------------------------------------------------------------------------- many maps
@dataclass(frozen=True, eq=False)
class ManyComparison(GeoResult):
    """Several maps over one AOI: a consensus map and the pairwise table.

    Attributes
    ----------
    maps : tuple of ControlMap
    aoi : shapely geometry (lon/lat)
    aoi_km2 : float
    consensus : GeoDataFrame (EPSG:4326)
        Pieces of the overlay of all maps: one column per map (``map_0``, …) with its
        label string, one ``n:<label>`` column per label counting the maps that say it,
        ``top_label``, ``n_top``, ``area_km2``.
    pairwise : DataFrame
        One row per pair: a, b, disagreement (total, scope, noise, real) km².

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> mc = mapdiff.compare_many([old, new], aoi="Pokrovsk")
    >>> type(mc).__name__, round(float(mc.pairwise.real_km2.iloc[0]), 1)
    ('ManyComparison', 1.5)
    """

    maps: tuple
    aoi: object
    aoi_km2: float
    consensus: object
    pairwise: pd.DataFrame
    place: object = field(default=None, repr=False)

    @property
    def approximate(self) -> bool:
        """True when the AOI is an approximate footprint."""
        return bool(self.place is not None and self.place.approximate)

    def to_frame(self) -> pd.DataFrame:
        """km² by number of maps agreeing on the top label."""
        return self.consensus.groupby("n_top", as_index=False)["area_km2"].sum()

    def to_gdf(self):
        """The consensus pieces (EPSG:4326), with ``class``: the label most maps give
        (``top_label``), then the columns of :attr:`consensus`."""
        gdf = self.consensus.copy()
        gdf.insert(0, "class", gdf["top_label"].astype(object))
        return gdf

    def _export_provenance(self) -> dict:
        return export_provenance("many_comparison", maps=[(f"map_{i}", m) for i, m in enumerate(self.maps)])

    def _class_style(self) -> dict:
        labels = list(dict.fromkeys([lab for m in self.maps for lab in m.all_labels] + [NOT_COVERED]))
        sides = list(dict.fromkeys(s for m in self.maps for s in map_sides(m)))
        return {k: (c, f"most maps say {k}") for k, c in label_colours(labels, sides=sides).items()}

    def summary(self) -> str:
        """km² by how many maps agree, and the disagreement of every pair."""
        lines = [f"{len(self.maps)} maps, AOI {self.aoi_km2:,.1f} km²"]
        f = self.to_frame()
        lines += [
            f"  {int(n)} of {len(self.maps)} agree: {km2:,.1f} km²"
            for n, km2 in zip(f.n_top, f.area_km2, strict=True)
        ]
        lines += [
            f"  {r['a']} vs {r['b']}: real disagreement {r['real_km2']:,.1f} km² "
            f"(total {r['total_km2']:,.1f})"
            for r in self.pairwise.to_dict(orient="records")
        ]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        """JSON-ready summary."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "many_comparison",
            "aoi_km2": float(self.aoi_km2),
            "aoi": aoi_dict(self.place),
            "approximate": self.approximate,
            "sources": [{"source": m.source, "as_of": iso(m.as_of)} for m in self.maps],
            "agreement_km2": {
                int(k): float(v) for k, v in zip(self.to_frame().n_top, self.to_frame().area_km2, strict=True)
            },
            "pairwise": self.pairwise.to_dict(orient="records"),
        }

    def plot(self, ax=None, **kwargs):
        """Map of how many sources agree on each area (:func:`mapdiff.draw.plot.plot_consensus`)."""
        from ..draw.plot import plot_consensus

        return plot_consensus(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        return (
            f"<b>ManyComparison</b> of {len(self.maps)} maps, AOI {self.aoi_km2:,.1f} km²"
            + aoi_html(self.place)
            + self.pairwise.to_html()
        )


def compare_many(maps, *, aoi=None, noise_m: float = 30.0) -> ManyComparison:
    """Compare several maps: per area, how many sources say each label; and every pair.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff import compare_many, normalise
    >>> from mapdiff.labels import Label
    >>> cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    >>> ms = [normalise([(Label("controlled", "RU"), shapely.box(37.0, 48.0, x, 48.2))], coverage=cov,
    ...                 background=Label("controlled", "UA"), source=f"s{i}")
    ...       for i, x in enumerate((37.1, 37.11, 37.12))]
    >>> sorted(compare_many(ms).to_frame().n_top.tolist())
    [2, 3]
    """
    maps = tuple(maps)
    if len(maps) < 2 or not all(isinstance(m, ControlMap) for m in maps):
        raise ArgumentError("compare_many() takes two or more ControlMaps")
    place = aoi_place(aoi)  # once: a polygon file is read once
    geom = resolve_aoi(aoi if place is None else place, maps)
    x0, y0, x1, y1 = shapely.bounds(geom)
    centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0)
    labs0, g0 = tiles(maps[0], geom)
    cur_labels = [[lab] for lab in labs0]
    cur = g0
    for m in maps[1:]:
        lm, gm = tiles(m, geom)
        i, j, inter = overlay(cur, gm)
        cur_labels = [cur_labels[k] + [lm[q]] for k, q in zip(i, j, strict=True)]
        cur = inter
    import geopandas as gpd

    all_labels = list(dict.fromkeys(lab for row in cur_labels for lab in row))
    data = {f"map_{k}": [str(row[k]) for row in cur_labels] for k in range(len(maps))}
    counts = {str(lab): np.array([row.count(lab) for row in cur_labels]) for lab in all_labels}
    cmat = np.column_stack(list(counts.values()))
    for name, v in counts.items():
        data[f"n:{name}"] = v
    data["top_label"] = np.asarray(list(counts), dtype=object)[cmat.argmax(axis=1)]
    data["n_top"] = cmat.max(axis=1)
    sizes = area_km2(np.concatenate([cur, [geom]]), centre=centre)
    data["area_km2"] = sizes[:-1]
    consensus = gpd.GeoDataFrame(data, geometry=list(cur), crs="EPSG:4326")
    rows = []
    for i in range(len(maps)):
        for j in range(i + 1, len(maps)):
            d = compare(maps[i], maps[j], aoi=geom, noise_m=noise_m).disagreement_km2
            rows.append({"a": maps[i].source, "b": maps[j].source, **{f"{k}_km2": v for k, v in d.items()}})
    import pandas as pd

    return ManyComparison(maps, geom, float(sizes[-1]), consensus, pd.DataFrame(rows), place)
