"""The Footprint value: a named (Multi)Polygon, the rung of the footprint ladder it stands
on, its area and its provenance (the ladder is described in :mod:`mapdiff.places.footprints`).

Also the shapes a footprint is made of: a buffer in the local equal-area projection, the
geodesic disc of an official area (clipped to the hromada: the ``approximate`` rung), and
a user's own polygon, given as a geometry or a file.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
import shapely.affinity

from .. import config
from .._geo import GeoResult
from .._json import SCHEMA_VERSION
from ..errors import ArgumentError, CRSError, FormatError, MapdiffError
from ..io.gate import read_named_geometries
from ..io.write import export_provenance
from ..labels import clean_text
from ..model.measure import area_km2, cached_transformer, equal_area_crs, inverse_transformer
from ..model.shapes import polygonal_parts

__all__ = ["Footprint", "OfFootprint", "footprint_from_file", "footprint_from_geometry", "parse_buffer_km"]

CITY_LIMITS = "city_limits"
COMMUNITY = "community"
APPROXIMATE = "approximate"
USER = "user"
#: Area used for a town whose official area is unknown (flagged as approximate).
DEFAULT_APPROX_KM2 = 5.0


class OfFootprint:
    """What a result about one place derives from its ``footprint`` (a :class:`Footprint`)
    instead of storing copies: the place's name, the footprint's kind, whether it is an
    approximate stand-in, and its lon/lat geometry."""

    footprint: Footprint

    @property
    def place(self) -> str:
        """The place: the footprint's name."""
        return self.footprint.name

    @property
    def footprint_kind(self) -> str:
        """The footprint's kind (``city_limits``, ``approximate+2km``, ``user`` ...)."""
        return self.footprint.kind

    @property
    def approximate(self) -> bool:
        """True when the footprint is an approximate stand-in, not a real boundary (flagged in
        text, JSON and figures)."""
        return self.footprint.approximate

    @property
    def footprint_geometry(self):
        """The footprint's geometry (lon/lat)."""
        return self.footprint.geometry


@dataclass(frozen=True)
class Footprint(GeoResult):
    """A named area of interest.

    Attributes
    ----------
    name : str
        Canonical (English) name.
    geometry : shapely geometry
        (Multi)Polygon in EPSG:4326.
    kind : str
        The rung of the ladder: ``osm_boundary``, ``city_limits``, ``community``
        (hromada: an upper bound), ``approximate``, ``user``, or one of those with a
        buffer (``city_limits+2km``).
    area_km2 : float
        Equal-area measure of ``geometry``.
    provenance : str
        Where the geometry comes from, with its licence.
    aliases : tuple of str
        Other names of the place.
    centre : (lon, lat) or None

    Examples
    --------
    >>> from mapdiff import footprint
    >>> fp = footprint("Krasnoarmeysk")
    >>> fp.name, fp.kind, fp.approximate
    ('Pokrovsk', 'city_limits', False)
    >>> footprint("Kupiansk").approximate
    True
    """

    name: str
    geometry: object
    kind: str
    area_km2: float
    provenance: str = ""
    aliases: tuple[str, ...] = ()
    centre: tuple[float, float] | None = None
    notes: str = field(default="", compare=False)
    #: oblast of a gazetteer place ("" for a user polygon)
    oblast: str = field(default="", compare=False)
    #: the unbuffered footprint a buffered one was grown from (None when not buffered)
    base: Footprint | None = field(default=None, compare=False, repr=False)
    #: the place's stable id (``relation/N``, ``oblast/<slug>``; "" for a user polygon)
    id: str = field(default="", compare=False)
    #: ``oblast``, ``raion``, ``hromada``, ``settlement`` or ``town`` (the frontline
    #: gazetteer's towns); "" for a user polygon
    level: str = field(default="", compare=False)
    #: the parents, nearest first, as ``(id, level, name)``
    parents: tuple = field(default=(), compare=False)

    @property
    def approximate(self) -> bool:
        """True when the geometry is a stand-in built from facts, not a real boundary."""
        return self.kind.startswith(APPROXIMATE)

    @property
    def rung(self) -> str:
        """The kind without its buffer (``city_limits``, ``community``, ``approximate``, ``user``, ...)."""
        return self.kind.partition("+")[0]

    @property
    def upper_bound(self) -> bool:
        """True for a ``community`` (hromada) footprint: it holds the town and more."""
        return self.rung == COMMUNITY

    @property
    def caveat(self) -> str:
        """What a reader must know about this footprint ("" for a real boundary).

        Examples
        --------
        >>> from mapdiff import footprint
        >>> footprint("Kupiansk").caveat
        'APPROXIMATE footprint (disc of the official area, clipped to the hromada)'
        """
        if self.approximate and "no official area known" in self.provenance:
            clipped = ", clipped to the hromada" if "clipped to its hromada" in self.provenance else ""
            area = f"a default {DEFAULT_APPROX_KM2:g} km²"
            return f"APPROXIMATE footprint (disc of {area} round the point{clipped})"
        if self.approximate:
            clipped = ", clipped to the hromada" if "clipped to its hromada" in self.provenance else ""
            return f"APPROXIMATE footprint (disc of the official area{clipped})"
        if self.upper_bound:
            return "UPPER BOUND footprint (the whole hromada, not the town)"
        return ""

    def buffer(self, km: float) -> Footprint:
        """This footprint grown by ``km`` kilometres (kind becomes e.g. ``city_limits+2km``).

        The buffer is taken in the local equal-area projection. Buffering a buffered
        footprint adds up (``+1km`` then ``.buffer(2)`` gives ``+3km``, grown from the base).

        Examples
        --------
        >>> from mapdiff import footprint
        >>> fp = footprint("Pokrovsk").buffer(2)
        >>> fp.kind
        'city_limits+2km'
        >>> fp.buffer(1).kind
        'city_limits+3km'
        """
        try:
            km = float(km)
        except (TypeError, ValueError):
            raise ArgumentError(f"a buffer must be a distance in km, got {km!r}") from None
        if not (math.isfinite(km) and km >= 0):
            raise ArgumentError(f"a buffer must be a distance >= 0 km, got {km!r}")
        base = self.base or self
        _, _, done = self.kind.partition("+")
        total = km + (parse_buffer_km(done) if done else 0.0)
        geom, km2 = _grown(base.geometry, total)
        kind = f"{base.kind}+{total:g}km"
        return Footprint(
            self.name,
            geom,
            kind,
            km2,
            f"{base.provenance}; buffered by {total:g} km",
            self.aliases,
            self.centre,
            notes=self.notes,
            base=base,
            oblast=self.oblast,
            id=self.id,
            level=self.level,
            parents=self.parents,
        )

    def to_gdf(self):
        """The footprint as a one-row GeoDataFrame (EPSG:4326): ``name``, ``oblast``,
        ``footprint_kind``, ``approximate``, ``upper_bound``, ``area_km2``, ``provenance``, ``geometry``.

        A footprint has no classes, so no ``class`` column (and no embedded style).
        """
        import geopandas as gpd  # pandas: only when a GeoDataFrame is asked for

        return gpd.GeoDataFrame(
            {
                "name": [self.name],
                "oblast": [self.oblast],
                "footprint_kind": [self.kind],
                "approximate": [self.approximate],
                "upper_bound": [self.upper_bound],
                "area_km2": [float(self.area_km2)],
                "provenance": [self.provenance],
            },
            geometry=[self.geometry],
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        return export_provenance("footprint", footprint=self)

    def to_dict(self) -> dict:
        """JSON-ready dict (geometry as GeoJSON)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "footprint",
            "name": self.name,
            "oblast": self.oblast,
            "footprint_kind": self.kind,
            "rung": self.rung,
            "approximate": self.approximate,
            "upper_bound": self.upper_bound,
            "area_km2": self.area_km2,
            "provenance": self.provenance,
            "aliases": list(self.aliases),
            "centre": self.centre,
            "id": self.id,
            "level": self.level,
            "parents": [{"id": i, "level": lv, "name": n} for i, lv, n in self.parents],
            "geometry": json.loads(shapely.to_geojson(self.geometry)),
        }

    def to_geojson(self) -> str:
        """A GeoJSON Feature of the footprint."""
        d = self.to_dict()
        geom = d.pop("geometry")
        del d["schema_version"], d["type"]
        return json.dumps({"type": "Feature", "properties": d, "geometry": geom}, ensure_ascii=False)

    def plot(self, ax=None, **kwargs):
        """The outline with context, true to scale (:func:`mapdiff.draw.plot.plot_footprint`)."""
        from ..draw.plot import plot_footprint  # matplotlib: only when drawing

        return plot_footprint(self, ax=ax, **kwargs)

    def _repr_html_(self) -> str:
        flag = f" <i>({html.escape(self.caveat)})</i>" if self.caveat else ""
        return (
            f"<b>{html.escape(self.name)}</b>: {html.escape(self.kind)}{flag}, "
            f"{self.area_km2:,.1f} km²<br><small>{html.escape(self.provenance)}</small>"
        )


@config.cached(maxsize=256)
def _grown(geom, km: float):
    """``geom`` buffered by ``km`` in its local equal-area projection, and its km² (cached:
    geometries are immutable, and a claim check asks for the same buffers again)."""
    crs = equal_area_crs(geom)
    fwd, inv = cached_transformer(4326, crs), cached_transformer(crs, 4326)
    proj = shapely.transform(geom, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    grown = shapely.buffer(proj, km * 1000.0, quad_segs=16)
    out = shapely.transform(grown, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))
    return out, float(area_km2(out))


@config.cached(maxsize=1024)
def _disc(lon: float, lat: float, km2: float):
    """A geodesic disc of ``km2`` around (lon, lat) (cached: geometries are immutable)."""
    inv = inverse_transformer(lon, lat)  # the LAEA centred here, back to lon/lat
    r = math.sqrt(km2 * 1e6 / math.pi)
    circle = shapely.Point(0, 0).buffer(r, quad_segs=32)
    # the 128-gon is a little smaller than the circle: scale it to the stated area
    circle = shapely.affinity.scale(circle, *(2 * [math.sqrt(km2 * 1e6 / circle.area)]), origin=(0, 0))
    return shapely.transform(circle, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1])))


def approximate_shape(row, community):
    """The disc of the official area around the official centre, clipped to the hromada."""
    lon, lat = float(row["lon"]), float(row["lat"])
    stated = row["area_km2"].strip()
    km2 = float(stated) if stated else DEFAULT_APPROX_KM2
    geom = _disc(lon, lat, km2)
    prov = (
        f"approximate: geodesic disc of {km2:g} km² "
        f"({'official area' if stated else 'no official area known; default'}) around the "
        f"official centre {lat:.5f} N, {lon:.5f} E; facts from {row['source']}"
    )
    if community is not None:
        hromada, hprov = community
        clipped = shapely.intersection(geom, hromada)
        lost = 1.0 - float(area_km2(clipped)) / float(area_km2(geom))
        geom = _polygonal(clipped)
        prov += f"; clipped to its hromada ({hprov.split(' (')[0]}; {lost:.1%} of the disc lay outside)"
    return geom, prov


def _polygonal(geom):
    """The polygons of ``geom``, unioned (an empty Polygon when it has none)."""
    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def parse_buffer_km(text: str, kind: str = "") -> float:
    """Kilometres from a buffer suffix such as ``"2km"`` or ``"2"``.

    Examples
    --------
    >>> parse_buffer_km("2km")
    2.0
    """
    try:
        km = float(str(text).strip().lower().removesuffix("km"))
    except ValueError:
        raise ArgumentError(f"bad footprint kind {kind or text!r}; write e.g. 'city_limits+2km'") from None
    if not (math.isfinite(km) and km >= 0):
        raise ArgumentError(f"bad buffer in footprint kind {kind or text!r}: give a distance >= 0 km")
    return km


def footprint_from_geometry(geom, name: str = "user polygon", provenance: str = "") -> Footprint:
    """A footprint of kind ``user`` from a lon/lat (Multi)Polygon.

    Examples
    --------
    >>> import shapely
    >>> fp = footprint_from_geometry(shapely.box(37.1, 48.2, 37.2, 48.3), name="box")
    >>> fp.kind, round(fp.area_km2, 1)
    ('user', 82.6)
    """
    if not isinstance(geom, shapely.Geometry):
        raise ArgumentError(f"{name}: expected a shapely polygon in lon/lat, got {type(geom).__name__}")
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    if geom.geom_type == "GeometryCollection":
        geom = _polygonal(geom)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        raise ArgumentError(f"{name}: a footprint must be a polygon with area, got {geom.geom_type}")
    xmin, ymin, xmax, ymax = geom.bounds
    if xmin < -180 or xmax > 180 or ymin < -90 or ymax > 90:
        raise CRSError(
            f"{name}: coordinates are not lon/lat degrees (bounds {geom.bounds}); reproject to EPSG:4326"
        )
    c = geom.centroid
    return Footprint(name, geom, USER, float(area_km2(geom)), provenance or "user polygon", (), (c.x, c.y))


def footprint_from_file(path, *, name: str | None = None) -> Footprint:
    """A footprint of kind ``user`` from a polygon file (GeoJSON, GeoPackage, Shapefile, …).

    All polygons in the file are unioned; the file is reprojected to lon/lat when it
    states another CRS.

    Parameters
    ----------
    path : str or Path
    name : str, optional
        Name of the place. Default: the features' ``name`` property when they share one
        value, else ``"user polygon"`` (never the file name: a file called
        ``pokrovsk.geojson`` may hold anything). The file is named in ``provenance``.

    Raises
    ------
    UnknownPlaceError
        When the file is missing, unreadable or holds no polygon.

    Examples
    --------
    >>> fp = footprint_from_file("my_town.geojson")          # doctest: +SKIP
    """
    p = Path(path)
    if not p.is_file():
        raise FormatError(
            f"polygon file {str(p)!r} does not exist (or is not a file); "
            "pass a gazetteer name or the path of a polygon file"
        )
    try:  # the one input gate: local regular files, GDAL allow-listed, limits
        geoms, names = read_named_geometries(p)
        geoms = np.asarray(geoms, dtype=object)
    except MapdiffError as exc:
        raise FormatError(f"cannot read polygon file {str(p)!r}: {exc}") from None
    geoms = geoms[~shapely.is_missing(geoms)]
    # every polygon, at any depth of a GeometryCollection (the second one is half the place)
    geoms = polygonal_parts(geoms) if geoms.size else geoms
    geoms = geoms[~shapely.is_empty(geoms)] if geoms.size else geoms
    if not geoms.size:
        raise FormatError(f"polygon file {str(p)!r} holds no polygon")
    geoms = shapely.make_valid(geoms)
    if not name:
        # a name is one line of plain text: a newline in it would forge an output line
        named = {clean_text(v)[:200] for v in names if v is not None and clean_text(v)}
        name = named.pop() if len(named) == 1 else "user polygon"
    return footprint_from_geometry(shapely.union_all(geoms), name=name, provenance=f"user polygon file {p}")
