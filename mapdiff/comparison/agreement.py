"""Consensus across sources: for N maps of about one date, who agrees where.

:func:`consensus` overlays every map's partition of an area of interest into pieces
where no map changes its label, and for each piece records what each source says
(``controlled:RU``, ``contested``, ``controlled:UA``, ``not_covered`` ...). From the
pieces: the km² each label gets from exactly k sources (the agreement count), the land
where one source stands alone (it says a label no other source says there), a map of
the agreement, and the pairwise disagreement matrix in km². The overlay and the pairs
are :func:`mapdiff.compare_many`'s (so the matrix is the one :func:`mapdiff.compare`
reports); this adds the per-source reading of it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..errors import ArgumentError
from ..io.write import export_provenance, map_row
from ..model.control_map import ControlMap
from ..places.footprints import as_footprint
from ._common import aoi_dict, aoi_html, names_place
from .many import compare_many

__all__ = ["Consensus", "consensus"]


@dataclass(frozen=True, eq=False)
class Consensus(GeoResult):
    """Who agrees where, over an area of interest (immutable).

    Attributes
    ----------
    sources : tuple of str
        One name per map (the map's source, made unique).
    dates : tuple of datetime.date
    aoi : shapely geometry (lon/lat)
    pieces : GeoDataFrame
        One row per piece: one column per source (its label there), ``area_km2``,
        ``geometry``; the pieces tile the AOI.
    pairwise : DataFrame
        Disagreement km² (scope, noise and real) between every two sources.
    place : Footprint or None
        The AOI when it was named (a place), else None.
    map_provenance : tuple
        Each map's :class:`~mapdiff.model.control_map.Provenance` (stated in exports).

    Examples
    --------
    >>> import mapdiff
    >>> old, new = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27"))
    >>> c = mapdiff.consensus([old, new], aoi="Pokrovsk")
    >>> type(c).__name__, c.sources, round(float(c.pairwise.iloc[0, 1]), 1)
    ('Consensus', ('deepstate', 'deepstate_2'), 1.5)
    """

    sources: tuple
    dates: tuple
    aoi: object
    pieces: object = field(repr=False)
    pairwise: object = field(repr=False)
    place: object = field(default=None, repr=False)
    map_provenance: tuple = field(default=(), repr=False)

    @property
    def approximate(self) -> bool:
        """True when the AOI is an approximate footprint (said in the JSON, HTML and figure)."""
        return bool(self.place is not None and self.place.approximate)

    def agreement(self):
        """km² per label and number of sources saying it (columns ``label``, ``k``, ``km2``)."""
        rows = {}
        p = self.pieces
        for label in self.labels:
            k = (p[list(self.sources)] == label).sum(axis=1)
            for n, km2 in p.area_km2.groupby(k).sum().items():
                if n > 0:
                    rows[label, int(n)] = float(km2)
        return pd.DataFrame([{"label": lab, "k": k, "km2": v} for (lab, k), v in rows.items()])

    @property
    def labels(self) -> list[str]:
        """Every label any source gives over the AOI."""
        vals = self.pieces[list(self.sources)].to_numpy().ravel()
        return list(dict.fromkeys(str(v) for v in vals))

    def count(self, label: str):
        """Per piece: how many sources say ``label`` (a Releases aligned with :attr:`pieces`)."""
        return (self.pieces[list(self.sources)] == str(label)).sum(axis=1)

    def alone(self):
        """Where a source stands alone: it says a label no other source says there.

        Columns ``source``, ``label``, ``km2`` (largest first).
        """
        rows = {}
        p = self.pieces
        for s in self.sources:
            others = [o for o in self.sources if o != s]
            lone = np.ones(len(p), dtype=bool)
            for o in others:
                lone &= (p[o] != p[s]).to_numpy()
            for label, km2 in p.area_km2[lone].groupby(p[s][lone]).sum().items():
                rows[s, label] = float(km2)
        df = pd.DataFrame([{"source": s, "label": lab, "km2": v} for (s, lab), v in rows.items()])
        return df.sort_values("km2", ascending=False, ignore_index=True) if len(df) else df

    def to_frame(self):
        """The agreement table: one row per label, one column per count k = 1..N (km²)."""
        a = self.agreement()
        if not len(a):
            return a
        t = a.pivot_table(index="label", columns="k", values="km2", aggfunc="sum", fill_value=0.0)
        return t.reindex(columns=range(1, len(self.sources) + 1), fill_value=0.0)

    def to_gdf(self):
        """The pieces (EPSG:4326), with ``RU_count``-style columns for each label."""
        g = self.pieces.copy()
        for label in self.labels:
            g[f"n_{label}"] = self.count(label).to_numpy()
        return g

    def _export_provenance(self) -> dict:
        provs = self.map_provenance or (None,) * len(self.sources)
        maps = [
            map_row(name, getattr(prov, "source", name), d, prov)
            for name, d, prov in zip(self.sources, self.dates, provs, strict=True)
        ]
        return export_provenance("consensus", maps=maps, footprint=self.place)

    def summary(self) -> str:
        """Plain text: the AOI, the km² every source agrees on per label, the lone sources
        and the largest pairwise disagreement."""
        n = len(self.sources)
        where = self.place.name if self.place is not None else "the area of interest"
        total = float(self.pieces.area_km2.sum())
        dated = ", ".join(f"{s} ({iso(d, 'undated')})" for s, d in zip(self.sources, self.dates, strict=True))
        approx = " [APPROXIMATE footprint]" if self.approximate else ""
        lines = [f"Consensus of {dated} over {where} ({total:,.2f} km²){approx}"]
        table = self.to_frame()
        for label, row in table.iterrows():
            lines.append(
                f"  {label}: {row[n]:,.2f} km² said by all {n}; {row.sum() - row[n]:,.2f} km² by fewer"
            )
        for r in self.alone().head(5).to_dict("records"):
            lines.append(f"  alone: {r['source']} says {r['label']} on {r['km2']:,.2f} km² (no other source)")
        pairs = [(float(self.pairwise.iloc[i, j]), i, j) for i, j in _pairs(n)]
        if pairs:
            km2, i, j = max(pairs)
            lines.append(f"  most disagreement: {self.sources[i]} and {self.sources[j]}, {km2:,.2f} km²")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version``, ``type`` = ``consensus``)."""
        return jsonable(
            {
                "schema_version": SCHEMA_VERSION,
                "type": "consensus",
                "sources": list(self.sources),
                "dates": [iso(d) for d in self.dates],
                "aoi_km2": float(self.pieces.area_km2.sum()),
                "aoi": aoi_dict(self.place),
                "approximate": self.approximate,
                "agreement": self.agreement().to_dict("records"),
                "alone": self.alone().to_dict("records"),
                "pairwise_km2": {
                    a: {b: float(self.pairwise.loc[a, b]) for b in self.sources} for a in self.sources
                },
            }
        )

    def plot(self, ax=None, **kwargs):
        """How many sources say a label, piece by piece (:func:`mapdiff.draw.plot.plot_agreement`)."""
        from ..draw.plot import plot_agreement

        return plot_agreement(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        head = f"<b>Consensus</b> of {html.escape(', '.join(self.sources))}{aoi_html(self.place)}"
        return head + self.to_frame().to_html(float_format=lambda v: f"{v:,.2f}")


def consensus(maps, *, aoi) -> Consensus:
    """Overlay N maps over an area of interest: agreement counts, lone sources, pairwise km².

    Parameters
    ----------
    maps : sequence of ControlMap, or mapping ``name -> ControlMap``
        Maps of about one date (their dates are carried, not checked).
    aoi : place name, Footprint, path or lon/lat geometry
        Resolved with :func:`mapdiff.places.footprints.as_footprint`.

    Returns
    -------
    Consensus

    Examples
    --------
    >>> import shapely, mapdiff
    >>> from mapdiff import normalise
    >>> from mapdiff.labels import Label
    >>> cov, ru, ua = shapely.box(37, 48, 37.2, 48.2), Label("controlled", "RU"), Label("controlled", "UA")
    >>> a = normalise([(ru, shapely.box(37, 48, 37.1, 48.2))], coverage=cov, background=ua, source="a")
    >>> b = normalise([(ru, shapely.box(37, 48, 37.15, 48.2))], coverage=cov, background=ua, source="b")
    >>> c = consensus([a, b], aoi=cov)
    >>> c.to_frame().round(1).loc["controlled:RU"].tolist()   # km² said by 1 source, by 2
    [82.8, 165.6]
    """
    items = list(maps.items()) if isinstance(maps, dict) else [(None, m) for m in maps]
    if len(items) < 2:
        raise ArgumentError("consensus needs at least two maps")
    names, cmaps = [], []
    for name, m in items:
        if not isinstance(m, ControlMap):
            raise ArgumentError(
                f"consensus needs ControlMaps (from mapdiff.read_map), got {type(m).__name__}"
            )
        base = name or m.source
        n, k = base, 2
        while n in names:
            n, k = f"{base}_{k}", k + 1
        names.append(n)
        cmaps.append(m)
    place = as_footprint(aoi)
    many = compare_many(cmaps, aoi=place.geometry)
    cols = {f"map_{k}": name for k, name in enumerate(names)}
    pieces = many.consensus[[*cols, "area_km2", "geometry"]].rename(columns=cols)
    pieces = pieces[pieces.area_km2 > 0].reset_index(drop=True)
    pair = pd.DataFrame(0.0, index=names, columns=names)
    for (i, j), km2 in zip(_pairs(len(names)), many.pairwise["total_km2"], strict=True):
        pair.iloc[i, j] = pair.iloc[j, i] = float(km2)
    named = place if names_place(aoi) else None
    return Consensus(
        tuple(names),
        tuple(m.as_of for m in cmaps),
        many.aoi,
        pieces,
        pair,
        named,
        tuple(m.provenance for m in cmaps),
    )


def _pairs(n: int) -> list[tuple[int, int]]:
    """(i, j), i < j, in compare_many's order."""
    return [(i, j) for i in range(n) for j in range(i + 1, n)]
