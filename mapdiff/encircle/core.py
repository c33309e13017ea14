"""Encirclement: is a place's holding cut off from the rear, and how wide is the way out?

Design
------
The question is topological, so it is answered on polygons, not on a grid:

*Passable* land is land the defending side holds (``controlled`` or ``encircled``), plus
the grey zone when the policy says it is passable (``grey="passable"``, the default: a
grey zone is land nobody controls; ``grey="blocking"`` treats it as closed). Land held by
the encircling side (or by any third side) blocks, and so does everything outside the
map's coverage: a map says nothing there.

*Holding*: the defender's land inside the place's footprint. *Rear*: by default the
defender's largest connected area on the map; or a place, point or polygon the caller
gives. The holding is **enclosed** when none of its pieces lies in the same connected
component of passable land as the rear (two pieces that touch only at a point do not
connect: a corridor of zero width is closed).

*Corridor*: when the holding is open, the width of the narrowest point on the widest way
out: the diameter of the largest disc that can travel from a position centred in the
holding to the rear without overlapping blocking land (the "widest path" on clearance,
the distance to blocking land). It is found by bisection on *r*: passable land eroded by
*r* (``passable - blocking.buffer(r)``) still joins the holding to the rear when the way
is wider than ``2 r``. The start counts: when the holding itself is a strip narrower
than the way beyond it, the narrowest point lies in the holding and a note says so. The
erosion is computed in a local equal-area projection (metres) inside a window of
``search_km`` around the footprint; the rear then is the part of the rear's component
at the window's edge (or, when the rear lies wholly inside the window, the largest
eroded piece). Land outside the map's coverage is not passable and narrows a corridor
like blocking land (on DeepState the coverage edge is the state border; on a clipped
map it is the clip, and a note says when the narrowest point is against it). The
narrowest point is drawn as a line between the blocking land on either side. Precision:
``resolution_m`` (default 10 m).

*Fire control*: with ``fire_range_km``, a corridor narrower than twice that range is
reported as "enclosed under fire control at X km".

*Perimeter*: the share of the holding's outline within ``radius_km`` of the footprint
that borders the encircling side (and the grey zone), snapped at ``snap_m`` (default
50 m: two features drawn by one hand rarely share vertices).

Areas labelled ``encircled`` by a source are that source's claim; :func:`check_encircled_labels`
runs the same analysis on each of them.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import weakref
from dataclasses import dataclass, field

import numpy as np
import shapely

from .._geo import GeoResult
from .._json import SCHEMA_VERSION, iso, jsonable
from ..errors import ArgumentError, CoverageError, MapdiffError
from ..labels import ENCIRCLED, canonical_side, resolve_side
from ..model.classes import source_lean, source_name
from ..model.measure import _centre, area_km2, from_equal_area, to_equal_area
from ..places.footprints import as_footprint

__all__ = ["GREY_POLICIES", "Encirclement", "check_encircled_labels", "encirclement", "pocket_footprint"]

#: How the grey zone is treated on the way out, the default first.
GREY_POLICIES = ("passable", "blocking")


# ---------------------------------------------------------------------- result
@dataclass(frozen=True)
class Encirclement(GeoResult):
    """Whether a side's holding in a place is cut off, and how wide the way out is (immutable).

    Attributes
    ----------
    place : str
        The footprint's name.
    by, defender : str
        The encircling side and the side whose holding is examined.
    grey : str
        Grey-zone policy: ``passable`` or ``blocking``.
    enclosed : bool or None
        True when no piece of the holding connects to the rear through passable land;
        None when the defender holds nothing in the place.
    fire_controlled : bool
        True when open but the corridor is narrower than ``2 * fire_range_km``.
    verdict : str
        ``"enclosed"``, ``"enclosed under fire control at X km (corridor Y km)"``,
        ``"open: corridor Y km"``, ``"open: corridor wider than Y km"`` or
        ``"no holding: ..."``.
    corridor_km : float or None
        Width of the narrowest point on the best way out (None when enclosed or no holding).
    corridor_lower_bound : bool
        True when the corridor is at least ``corridor_km`` wide (wider than the search
        window lets the bisection see).
    fire_range_km : float or None
    holding_km2, enclosed_km2 : float
        The defender's land in the footprint, and the part of it that is cut off.
    perimeter_share, grey_perimeter_share : float or None
        Share of the holding's outline (within ``radius_km``) bordering the encircling
        side, and the grey zone.
    radius_km : float
    touches_edge : bool
        True when an enclosed piece reaches the edge of the map's coverage (a way out
        may lie beyond what the map shows).
    rear : str
        What the rear is ("largest connected area of UA", a place name, ...).
    source, as_of, footprint_kind, approximate, notes
        The map and footprint the answer comes from, and caveats.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> e = mapdiff.encirclement(m, "Myrnohrad", by="RU")
    >>> type(e).__name__, e.defender, e.enclosed, e.verdict.split(":")[0]
    ('Encirclement', 'UA', False, 'open')
    """

    place: str
    by: str
    defender: str
    grey: str
    enclosed: bool | None
    fire_controlled: bool
    verdict: str
    corridor_km: float | None
    corridor_lower_bound: bool = False
    fire_range_km: float | None = None
    holding_km2: float = 0.0
    enclosed_km2: float = 0.0
    perimeter_share: float | None = None
    grey_perimeter_share: float | None = None
    radius_km: float = 5.0
    touches_edge: bool = False
    rear: str = ""
    source: str = ""
    as_of: dt.date | None = None
    footprint_kind: str = ""
    approximate: bool = False
    notes: tuple = ()
    # lon/lat geometries for plotting; not part of equality or the dict
    footprint_geometry: object = field(default=None, compare=False, repr=False)
    holding_geometry: object = field(default=None, compare=False, repr=False)
    enemy_geometry: object = field(default=None, compare=False, repr=False)
    grey_geometry: object = field(default=None, compare=False, repr=False)
    friendly_geometry: object = field(default=None, compare=False, repr=False)
    corridor_line: object = field(default=None, compare=False, repr=False)
    view: object = field(default=None, compare=False, repr=False)
    #: the map's Provenance (file, sha256) and the Footprint, stated in exports
    map_provenance: object = field(default=None, compare=False, repr=False)
    footprint: object = field(default=None, compare=False, repr=False)

    @property
    def closed(self) -> bool:
        """True when enclosed, or open only through a corridor under fire control."""
        return bool(self.enclosed) or self.fire_controlled

    def to_dict(self) -> dict:
        """JSON-ready dict (``schema_version`` 1); ``corridor_line`` as a GeoJSON LineString (lon/lat)."""
        line = self.corridor_line
        return {
            "schema_version": SCHEMA_VERSION,
            "type": "encirclement",
            "place": self.place,
            "by": self.by,
            "defender": self.defender,
            "grey": self.grey,
            "enclosed": self.enclosed,
            "fire_controlled": self.fire_controlled,
            "closed": self.closed,
            "verdict": self.verdict,
            "corridor_km": self.corridor_km,
            "corridor_lower_bound": self.corridor_lower_bound,
            "corridor_line": None if line is None or line.is_empty else jsonable(line),
            "fire_range_km": self.fire_range_km,
            "holding_km2": self.holding_km2,
            "enclosed_km2": self.enclosed_km2,
            "perimeter_share": self.perimeter_share,
            "grey_perimeter_share": self.grey_perimeter_share,
            "radius_km": self.radius_km,
            "touches_edge": self.touches_edge,
            "rear": self.rear,
            "source": self.source,
            "source_name": source_name(self.source),
            "lean": source_lean(self.source),
            "as_of": iso(self.as_of),
            "footprint_kind": self.footprint_kind,
            "approximate": self.approximate,
            "notes": list(self.notes),
        }

    def to_gdf(self):
        """The layers of the answer (EPSG:4326), as :meth:`plot` draws them.

        Columns: ``class`` (``footprint``, ``holding``, ``enemy``, ``friendly``, ``grey``,
        ``corridor``), ``place``, ``verdict``, ``area_km2`` (0 for the corridor line),
        ``corridor_km`` (the corridor's width, on its row only), ``geometry``. Layers
        other than the footprint and the holding are clipped to the view around the place.
        """
        import geopandas as gpd

        layers = [
            ("footprint", self.footprint_geometry),
            ("holding", self.holding_geometry),
            ("enemy", self.enemy_geometry),
            ("friendly", self.friendly_geometry),
            ("grey", self.grey_geometry),
            ("corridor", self.corridor_line),
        ]
        layers = [(k, g) for k, g in layers if g is not None and not g.is_empty]
        geoms = np.asarray([g for _, g in layers], dtype=object)
        return gpd.GeoDataFrame(
            {
                "class": [k for k, _ in layers],
                "place": [self.place] * len(layers),
                "verdict": [self.verdict] * len(layers),
                "area_km2": area_km2(geoms) if len(geoms) else [],
                "corridor_km": [self.corridor_km if k == "corridor" else None for k, _ in layers],
            },
            geometry=list(geoms),
            crs="EPSG:4326",
        )

    def _export_provenance(self) -> dict:
        from ..io.write import one_map_provenance

        return one_map_provenance("encirclement", self)

    def _class_style(self) -> dict:
        from ..model.classes import ENCIRCLEMENT_COLOURS

        text = {
            "footprint": f"{self.place} ({self.footprint_kind})",
            "holding": f"{self.defender} holding",
            "enemy": f"held by {self.by}",
            "friendly": f"held by {self.defender} around",
            "grey": f"grey zone ({self.grey})",
            "corridor": "narrowest corridor",
        }
        kinds = {"corridor": "line"}
        return {k: (c, text[k], kinds.get(k, "fill")) for k, c in ENCIRCLEMENT_COLOURS.items()}

    def to_frame(self):
        """The result as a one-row DataFrame (handy to stack many places or dates)."""
        import pandas as pd

        row = self.to_dict()
        row.pop("notes")
        row["corridor_line"] = None if row["corridor_line"] is None else self.corridor_line.wkt
        return pd.DataFrame([row])

    def summary(self) -> str:
        """A few lines of plain text: verdict, corridor, perimeter, caveats."""
        date = iso(self.as_of, "undated")
        flag = "  [APPROXIMATE footprint]" if self.approximate else ""
        lines = [
            f"{self.place}: {self.defender} holding, encircling side {self.by}, grey zone {self.grey}",
            f"Map: {self.source} {date}; footprint {self.footprint_kind}{flag}",
            f"Verdict: {self.verdict}",
            f"Holding: {self.holding_km2:,.2f} km² ({self.enclosed_km2:,.2f} km² cut off); rear: {self.rear}",
        ]
        if self.perimeter_share is not None:
            lines.append(
                f"Perimeter within {self.radius_km:g} km bordering {self.by}: "
                f"{self.perimeter_share:.1%} (grey zone {self.grey_perimeter_share:.1%})"
            )
        lines += [f"Note: {n}" for n in self.notes]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
            for k, v in self.to_dict().items()
            if k not in ("notes", "corridor_line")
        )
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return (
            f"<b>Encirclement</b> of {html.escape(self.place)}: <b>{html.escape(self.verdict)}</b>"
            f"<table>{rows}</table><ul>{notes}</ul>"
        )

    def plot(self, ax=None, **kwargs):
        """Holding, encircling side, grey zone and corridor (:func:`mapdiff.draw.plot.plot_encirclement`)."""
        from ..draw.plot import plot_encirclement

        return plot_encirclement(self, ax=ax, **kwargs)


# ---------------------------------------------------------------------- inputs
def _sides(cmap) -> list[str]:
    return list(dict.fromkeys(lab.side for lab in cmap.all_labels if lab.side))


def _check_inputs(cmap, by, defender, grey, fire_range_km, radius_km, search_km, resolution_m):
    from ..model.control_map import ControlMap

    if not isinstance(cmap, ControlMap):
        raise ArgumentError(
            f"encirclement needs a ControlMap (from mapdiff.read_map), got {type(cmap).__name__}"
        )
    sides = _sides(cmap)
    by = resolve_side(by, sides, what=f"the {cmap.source} map")
    if defender is not None:
        defender = canonical_side(defender) if isinstance(defender, str) and defender.strip() else defender
    if defender is not None and (defender not in sides or defender == by):
        raise ArgumentError(
            f"defender {defender!r} must be another side of the map "
            f"({', '.join(s for s in sides if s != by) or 'none'})"
        )
    if grey not in GREY_POLICIES:
        raise ArgumentError(f"unknown grey-zone policy {grey!r}; use one of: {', '.join(GREY_POLICIES)}")
    for name, value, lo in (
        ("fire_range_km", fire_range_km, 0.0),
        ("radius_km", radius_km, 0.0),
        ("search_km", search_km, 0.0),
    ):
        if value is None and name == "fire_range_km":
            continue
        if (
            not isinstance(value, int | float)
            or not math.isfinite(value)
            or value < lo
            or (name == "search_km" and value == 0)
        ):
            raise ArgumentError(f"{name} must be a finite number of km ≥ {lo:g}, got {value!r}")
    if not (isinstance(resolution_m, int | float) and resolution_m > 0):
        raise ArgumentError(f"resolution_m must be a positive number of metres, got {resolution_m!r}")
    return by, defender


def _resolve_rear(rear):
    """(lon/lat geometry, description) of a user-given rear."""
    if isinstance(rear, tuple | list) and len(rear) == 2 and all(isinstance(v, int | float) for v in rear):
        return shapely.Point(float(rear[0]), float(rear[1])), f"point {rear[0]:g}, {rear[1]:g}"
    if isinstance(rear, str) and "," in rear and not any(c.isalpha() for c in rear):
        try:
            lon, lat = (float(v) for v in rear.split(","))
        except ValueError:
            raise ArgumentError(f"cannot read the rear {rear!r}: write 'LON,LAT' or a place name") from None
        return shapely.Point(lon, lat), f"point {lon:g}, {lat:g}"
    try:
        fp = as_footprint(rear)
    except MapdiffError as exc:
        raise type(exc)(
            f"cannot use {rear!r} as the rear: {exc}; give a place, a polygon file or 'LON,LAT'"
        ) from None
    return fp.geometry, fp.name


# ---------------------------------------------------------------------- geometry
# Real fronts hold rings that touch or nearly overlap; cut by rectangles (clip_by_rect
# does not promise valid output) and projected to metres they can make GEOS's overlay
# fail with a TopologyException ("side location conflict"). Every set operation here
# goes through _overlay: the plain operation first (exact, fast), then on valid inputs,
# then snap-rounded on a grid a billionth of the extent (about a millimetre on a
# front), which GEOS's overlay computes robustly. A GEOS error never reaches the user.
def _overlay(op, a, b):
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        pass
    a, b = _valid(a), _valid(b)
    try:
        return op(a, b)
    except shapely.errors.GEOSException:
        return _valid(op(a, b, grid_size=_grid(a, b)))


def _valid(g):
    """``g`` made valid where it is not (arrays and single geometries alike)."""
    bad = ~shapely.is_valid(g)
    if np.ndim(bad) == 0:
        return shapely.make_valid(g) if bad else g
    g = np.array(g, dtype=object)
    g[bad] = shapely.make_valid(g[bad])
    return g


def _grid(*geoms) -> float:
    b = shapely.total_bounds(np.asarray([x for g in geoms for x in np.atleast_1d(g)], dtype=object))
    extent = float(np.nanmax(np.abs(b[2:] - b[:2]))) if np.isfinite(b).all() else 1.0
    return max(extent, 1e-6) * 1e-9


def _intersection(a, b):
    return _overlay(shapely.intersection, a, b)


def _difference(a, b):
    return _overlay(shapely.difference, a, b)


def _union(geoms, b=None):
    """Union of two geometries (``_union(a, b)``) or of a sequence of them (``_union([..])``)."""
    if b is not None:
        return _overlay(shapely.union, geoms, b)
    geoms = [g for g in geoms if g is not None and not g.is_empty]
    if not geoms:
        return shapely.Polygon()
    if len(geoms) == 1:
        return geoms[0]
    arr = np.asarray(geoms, dtype=object)
    try:
        return shapely.union_all(arr)
    except shapely.errors.GEOSException:
        pass
    arr = _valid(arr)
    try:
        return shapely.union_all(arr)
    except shapely.errors.GEOSException:
        return _valid(shapely.union_all(arr, grid_size=_grid(arr)))


def _clip(layer, area):
    """``layer`` (a geometry, or a tuple of them to join) inside ``area``."""
    if isinstance(layer, tuple):
        return _union([_intersection(g, area) for g in layer])
    return _intersection(layer, area)


def _polygons(geom):
    """Polygonal parts of ``geom`` as an array (lines and points dropped)."""
    parts = shapely.get_parts(geom)
    return parts[np.isin(shapely.get_type_id(parts), (3, 6))] if parts.size else parts


class _Frame:
    """The local equal-area frame (metres) mapdiff measures an area in, both ways."""

    def __init__(self, geom):
        self.centre = _centre(geom)

    def to_m(self, g):
        return to_equal_area(g, self.centre)

    def to_lonlat(self, g):
        return from_equal_area(g, self.centre)


#: Whole-map layers per map (a ControlMap is immutable and hashed by identity): the
#: unions of the defender's, the encircler's and the grey land, and the passable land per
#: grey policy, built once per map and reused by every place and policy asked of it.
_LAYERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _layers(cmap, by: str, defender: str, grey: str):
    """Defender's land, encircler's land, grey zone and passable land (lon/lat, whole map)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = (by, defender, grey)
    if key not in per_map:
        if (by, defender) not in per_map:
            per_map[(by, defender)] = _side_layers(cmap, by, defender)
        own, enemy, grey_geom, other_pass = per_map[(by, defender)]
        passable = _union([own, *other_pass, grey_geom] if grey == "passable" else [own, *other_pass])
        per_map[key] = own, enemy, grey_geom, passable
    return per_map[key]


def _pieces(cmap, passable):
    """Pieces of passable land and their STRtree (cached with the map's layers)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = ("pieces", id(passable))
    if key not in per_map:
        parts = _polygons(passable)
        per_map[key] = parts, shapely.STRtree(parts), passable  # keeps the id's object alive
    return per_map[key][:2]


def _largest(cmap, own):
    """The defender's largest connected area (cached with the map's layers)."""
    per_map = _LAYERS.setdefault(cmap, {})
    key = ("largest", id(own))
    if key not in per_map:
        same = per_map.get(("pieces", id(own)))  # own is the passable land: its pieces are known
        parts = same[0] if same is not None and same[2] is own else _polygons(own)
        per_map[key] = _largest_part(parts), own
    return per_map[key][0]


def _largest_part(parts):
    """The part of largest area in km², measured only for the parts that can be largest.

    A part's km² lies between its area in square degrees times the cosine of its highest
    and of its lowest latitude (1% either way for the ellipsoid): a part whose upper bound
    is below another's lower bound is not measured. The parts measured are projected
    around the centre of them all, as measuring every part would.
    """
    bounds = shapely.bounds(parts)
    deg2 = shapely.area(parts)
    lat = np.radians(np.abs(bounds[:, [1, 3]]))
    crosses = (bounds[:, 1] < 0) & (bounds[:, 3] > 0)
    upper = deg2 * np.where(crosses, 1.0, np.cos(lat.min(axis=1))) * 1.01
    lower = deg2 * np.cos(np.minimum(lat.max(axis=1), math.pi / 2)) * 0.99
    cand = np.flatnonzero(upper >= lower.max())
    km2 = area_km2(parts[cand], centre=_centre(parts))
    return parts[cand[int(np.argmax(km2))]]


def _side_layers(cmap, by: str, defender: str):
    """(defender's land, encircler's land, grey zone, the defender's other passable land)."""
    own, enemy, greys, other_pass = [], [], [], []
    for lab in cmap.all_labels:
        g = cmap.geometry(lab)
        if g is None or g.is_empty:
            continue
        if lab.side == defender and lab.holds:
            own.append(g)
        elif lab.side == defender:  # the defender's own statuses (e.g. advanced): passable
            other_pass.append(g)
        elif lab.side is None:  # grey zone and side-less statuses follow the grey policy
            greys.append(g)
        elif lab.side == by:
            enemy.append(g)
        # a third side blocks: it is simply not passable
    # the encircler's land is only ever looked at near the place: its labels are clipped
    # there and then joined (:func:`_clip`), not joined over the whole map
    return _union(own), tuple(enemy), _union(greys), tuple(other_pass)


def _component_index(tree, geom):
    """Indices of the parts in ``tree`` (an STRtree) that share area with ``geom``."""
    parts = tree.geometries
    if parts.size == 0 or geom.is_empty:
        return set()
    hits = tree.query(geom, predicate="intersects")
    if geom.geom_type == "Point":
        return {int(i) for i in hits}
    # Sharing area is the interiors meeting (no overlay built to measure it). Cheap
    # certainties first: the same polygon, or a point inside both interiors.
    cand = parts[hits]
    shared = shapely.equals_exact(cand, geom, 0.0) & (shapely.area(cand) > 0)
    pt = shapely.point_on_surface(geom)
    if shapely.contains_properly(geom, pt):
        shared |= shapely.contains_properly(cand, pt)
    if not shared.all():
        shared[~shared] = shapely.relate_pattern(cand[~shared], geom, "T********")
    return {int(i) for i in hits[shared]}


# ---------------------------------------------------------------------- corridor
def _connected(passable_m, blocking_m, holding_m, target_m, r: float):
    """(connected?, eroded parts, index of the joining part) at erosion radius ``r`` metres."""
    eroded = passable_m if r <= 0 else _difference(passable_m, shapely.buffer(blocking_m, r, quad_segs=4))
    parts = _polygons(eroded)
    if parts.size == 0:
        return False, parts, None
    near_h = shapely.intersects(parts, holding_m)
    if target_m is None:
        near_t = np.zeros(parts.size, dtype=bool)
        near_t[int(np.argmax(shapely.area(parts)))] = True
    else:
        near_t = shapely.dwithin(parts, target_m, r + 1e-6)
    both = np.flatnonzero(near_h & near_t)
    return bool(both.size), parts, (int(both[0]) if both.size else None)


#: ``shapely.buffer(g, r, quad_segs=4)`` covers every point within ``r * _BUFFER_COVER`` of
#: ``g``: its arcs are 16-gons inscribed in the circle (inner radius ``r cos(pi/16)``), and
#: GEOS may simplify the input by up to 1% of ``r`` before offsetting.
_BUFFER_COVER = math.cos(math.pi / 16) - 0.01


def _holding_clearance(holding_m, blocking_m) -> float:
    """An upper bound (m) on the distance from any point of the holding to blocking land.

    Cell centres of a grid over the holding: every point of the holding lies within half
    a cell diagonal of a centre kept, so the farthest centre's distance plus that half
    diagonal bounds the holding's clearance from above.
    """
    xmin, ymin, xmax, ymax = holding_m.bounds
    step = max(math.sqrt(max((xmax - xmin) * (ymax - ymin), 1.0) / 400.0), 1.0)
    xs = np.arange(xmin + step / 2, xmax + step, step)
    ys = np.arange(ymin + step / 2, ymax + step, step)
    gx, gy = np.meshgrid(xs, ys)
    pts = shapely.points(gx.ravel(), gy.ravel())
    half = step * math.sqrt(0.5)
    shapely.prepare(holding_m)
    pts = pts[shapely.dwithin(holding_m, pts, half * 1.000001)]
    if pts.size == 0:
        return math.inf
    return float(np.max(shapely.distance(pts, blocking_m))) + half


def _skip_bound(holding_m, blocking_m) -> float:
    """The erosion radius (m) beyond which the buffered blocking land covers the holding."""
    return (_holding_clearance(holding_m, blocking_m) + 1.0) / _BUFFER_COVER


def _corridor(
    passable_m, blocking_m, holding_m, target_m, r_max: float, resolution_m: float, bound: float | None = None
):
    """Bisection on the erosion radius: (width m, lower-bound flag, line in metres or None).

    Radii so large that the buffered blocking land covers the whole holding cannot join
    it to anything: those steps are known to fail and are not computed (the same steps,
    the same answer, fewer erosions). The bound is the holding's clearance from blocking
    land (:func:`_holding_clearance`) over what a 16-gon buffer covers, plus 1 m.
    """
    lo, hi = resolution_m / 4, r_max
    at_lo = _connected(passable_m, blocking_m, holding_m, target_m, lo)
    if not at_lo[0]:
        return 0.0, False, None
    bound = _skip_bound(holding_m, blocking_m) if bound is None else bound

    def connected(r):  # None: known not to connect (not computed)
        return None if r > bound else _connected(passable_m, blocking_m, holding_m, target_m, r)

    at_hi = connected(hi)
    if at_hi is not None and at_hi[0]:
        return 2 * r_max, True, None
    while hi - lo > resolution_m / 2:
        mid = (lo + hi) / 2
        at_mid = connected(mid)
        if at_mid is not None and at_mid[0]:
            lo, at_lo = mid, at_mid
        else:
            hi, at_hi = mid, at_mid
    if at_hi is None:  # the last failing step was skipped: the line needs its pieces
        at_hi = _connected(passable_m, blocking_m, holding_m, target_m, hi)
    return lo + hi, False, _corridor_line(blocking_m, holding_m, target_m, at_lo, at_hi, hi)


def _corridor_line(blocking_m, holding_m, target_m, at_lo, at_hi, hi: float):
    """The narrowest crossing, drawn through the pinch between blocking land on both sides.

    ``at_lo`` and ``at_hi`` are :func:`_connected` at the last radii of the bisection: at
    ``lo`` one eroded piece still joins the holding to the rear; at ``hi`` it has split
    (or no longer reaches the holding). The pinch is the point of that piece where it
    splits: the middle of the gap between its holding side and its rear side, and the
    line runs from the nearest blocking point through the pinch to the blocking point
    nearest on the other side; or, when the holding itself is where the way narrows,
    the centre of the widest disc in it, and the line is that disc's diameter.
    """
    _, parts_lo, k = at_lo
    joining = parts_lo[k]
    _, parts_hi, _ = at_hi
    inside = parts_hi[shapely.intersects(parts_hi, joining)] if parts_hi.size else parts_hi
    near_h = shapely.intersects(inside, holding_m) if inside.size else np.zeros(0, bool)
    side_h = inside[near_h]
    if target_m is None:
        side_t = inside[~near_h]
    else:
        side_t = inside[shapely.dwithin(inside, target_m, hi + 1e-6)] if inside.size else inside
    if side_h.size and side_t.size:
        seg = shapely.shortest_line(_union(list(side_h)), _union(list(side_t)))
        pinch = shapely.line_interpolate_point(seg, 0.5, normalized=True)
    else:  # the holding itself is the narrowest part: the widest disc centred in it
        pinch = shapely.centroid(_intersection(joining, holding_m))
        q1 = shapely.get_point(shapely.shortest_line(pinch, blocking_m), 1)
        return shapely.LineString([q1, (2 * pinch.x - q1.x, 2 * pinch.y - q1.y)])
    q1 = shapely.get_point(shapely.shortest_line(pinch, blocking_m), 1)
    far = _difference(blocking_m, shapely.buffer(q1, max(hi, 1.0)))
    if far.is_empty:
        return shapely.LineString([q1, pinch])
    q2 = shapely.get_point(shapely.shortest_line(pinch, far), 1)
    if shapely.distance(pinch, shapely.LineString([q1, q2])) < 0.05 * hi:
        return shapely.LineString([q1, q2])
    return shapely.LineString([q1, pinch, q2])


# ---------------------------------------------------------------------- perimeter
def _perimeter(own_m, enemy_m, grey_m, area_m, snap_m: float):
    """Share of the outline of the holding within ``area_m`` bordering the enemy and the grey zone.

    The outline includes where ``area_m`` cuts the defender's land (the way the holding
    continues towards the rear), so a holding joined to its rear by a wide front scores
    low and a ring scores 1.
    """
    local = _intersection(own_m, area_m)
    if local.is_empty:
        return None, None
    outline = shapely.boundary(local)
    total = shapely.length(outline)
    if total <= 0:
        return None, None
    enemy_len = shapely.length(_intersection(outline, shapely.buffer(enemy_m, snap_m)))
    grey_len = shapely.length(
        _intersection(_difference(outline, shapely.buffer(enemy_m, snap_m)), shapely.buffer(grey_m, snap_m))
    )
    return min(1.0, enemy_len / total), min(1.0, grey_len / total)


# ---------------------------------------------------------------------- main entry
def pocket_footprint(places, *, kind: str | None = None):
    """One Footprint for one place, or for several places taken as one pocket.

    ``places`` is anything :func:`~mapdiff.places.footprints.as_footprint` takes, or a list
    or tuple of them ("Pokrovsk and Myrnohrad are surrounded"): their union, named
    ``"Pokrovsk and Myrnohrad"``, approximate when any of them is.

    Examples
    --------
    >>> fp = pocket_footprint(["Pokrovsk", "Myrnohrad"])
    >>> fp.name, fp.kind
    ('Pokrovsk and Myrnohrad', 'city_limits')
    """
    from dataclasses import replace

    if not isinstance(places, list | tuple):
        return as_footprint(places, kind=kind)
    fps = [as_footprint(p, kind=kind) for p in dict.fromkeys(places)]
    if not fps:
        raise ArgumentError("no place given: pass --place NAME (repeat it for one pocket of several towns)")
    if len(fps) == 1:
        return fps[0]
    names = [f.name for f in fps]
    name = ", ".join(names[:-1]) + " and " + names[-1]
    kinds = list(dict.fromkeys(f.kind for f in fps))
    approx = [f for f in fps if f.approximate]
    geom = shapely.union_all([f.geometry for f in fps])
    return replace(
        approx[0] if approx else fps[0],  # approximate when any of them is
        name=name,
        geometry=geom,
        kind=approx[0].kind if approx else kinds[0],
        area_km2=float(area_km2(geom)),
        provenance="; ".join(f"{f.name}: {f.provenance}" for f in fps),
        aliases=(),
        centre=None,
        base=None,
    )


def encirclement(
    map,
    place,
    *,
    by: str,
    rear=None,
    fire_range_km: float | None = None,
    grey: str = "passable",
    defender: str | None = None,
    radius_km: float = 5.0,
    search_km: float = 40.0,
    footprint_kind: str | None = None,
    resolution_m: float = 10.0,
    snap_m: float = 50.0,
) -> Encirclement:
    """Is the defender's holding in ``place`` cut off by side ``by``, and how wide is the way out?

    Parameters
    ----------
    map : ControlMap
    place : str, Footprint, path or shapely geometry, or a list of them
        A gazetteer name or alias, a Footprint, a polygon file or a lon/lat polygon; a
        list (``["Pokrovsk", "Myrnohrad"]``) is one pocket of several places: "enclosed"
        only when the defender's holding in all of them is cut off.
    by : str
        The encircling side ("RU").
    rear : str, (lon, lat), Footprint or geometry, optional
        Where the way out must lead; default the defender's largest connected area.
    fire_range_km : float, optional
        A corridor narrower than twice this range counts as closed under fire control.
    grey : {"passable", "blocking"}, default "passable"
        Whether the grey zone can be used on the way out.
    defender : str, optional
        The side whose holding is examined; default the map's other side holding the
        most land around the place.
    radius_km : float, default 5
        How far around the footprint the perimeter share looks.
    search_km : float, default 40
        Size of the window around the footprint in which the corridor is measured;
        wider corridors are reported as "wider than 2 × search_km".
    footprint_kind : str, optional
        Which footprint of the place (``city_limits``, ``approximate+2km``, ...).
    resolution_m : float, default 10
        Precision of the corridor width.
    snap_m : float, default 50
        Outline within this distance of the encircler counts as bordering it.

    Returns
    -------
    Encirclement

    Raises
    ------
    MapdiffError
        For a bad side, policy or number; :class:`~mapdiff.errors.UnknownPlaceError` for
        an unknown place.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> e = encirclement(m, "Myrnohrad", by="RU")
    >>> e.enclosed, e.corridor_km > 0
    (False, True)
    """
    by, defender = _check_inputs(map, by, defender, grey, fire_range_km, radius_km, search_km, resolution_m)
    fp = pocket_footprint(place, kind=footprint_kind)
    frame = _Frame(fp.geometry)
    fp_m = frame.to_m(fp.geometry)
    around_m = shapely.buffer(fp_m, radius_km * 1000.0)
    if defender is None:
        defender = _pick_defender(map, by, frame.to_lonlat(around_m))
    own, enemy, grey_geom, passable = _layers(map, by, defender, grey)
    notes = []
    if fp.approximate:
        notes.append(f"approximate footprint: {fp.provenance}")
    if map._no_grey:
        notes.append(f"{map._no_grey}: grey passable and blocking cannot differ")

    holding = _intersection(own, fp.geometry)
    holding_km2 = float(area_km2(holding)) if not holding.is_empty else 0.0
    common = {
        "place": fp.name,
        "by": by,
        "defender": defender,
        "grey": grey,
        "fire_range_km": fire_range_km,
        "radius_km": radius_km,
        "source": map.source,
        "as_of": map.as_of,
        "footprint_kind": fp.kind,
        "approximate": fp.approximate,
        "footprint_geometry": fp.geometry,
        "holding_geometry": holding,
        "map_provenance": map.provenance,
        "footprint": fp,
    }
    if holding_km2 <= 1e-6:
        return Encirclement(
            enclosed=None,
            fire_controlled=False,
            corridor_km=None,
            verdict=f"no holding: {defender} holds nothing in {fp.name}",
            notes=tuple(notes),
            **common,
            **_plot_layers(frame, fp_m, radius_km, None, own, enemy, grey_geom),
        )

    # global connectivity: pieces of passable land
    parts, tree = _pieces(map, passable)
    if rear is None:
        rear_geom, rear_text = _largest(map, own), f"largest connected area of {defender}"
    else:
        rear_geom, rear_text = _resolve_rear(rear)
        if not shapely.intersects(rear_geom, map.footprint):
            raise CoverageError(f"the rear ({rear_text}) lies outside the {map.source} map's coverage")
        if not shapely.intersects(rear_geom, passable):
            raise ArgumentError(f"the rear ({rear_text}) is not on land {defender} can use on this map")
    rear_parts = _component_index(tree, rear_geom)
    hold_parts = _polygons(holding)
    cut_off_comps, open_km2 = set(), 0.0
    hold_areas = area_km2(hold_parts)
    for piece, a in zip(hold_parts, hold_areas, strict=True):
        comps = _component_index(tree, shapely.point_on_surface(piece)) or _component_index(tree, piece)
        if comps & rear_parts:
            open_km2 += float(a)
        else:
            cut_off_comps |= comps
    enclosed_km2 = holding_km2 - open_km2
    enclosed = open_km2 <= 1e-9
    touches = False
    if cut_off_comps and map.coverage is not None:
        edge = shapely.boundary(map.coverage)
        touches = any(shapely.distance(parts[i], edge) < 1e-7 for i in cut_off_comps)
        if touches:
            notes.append(
                "the cut-off holding reaches the edge of the map's coverage: a way out may "
                "lie beyond what the map shows"
            )

    near = frame.to_lonlat(shapely.buffer(fp_m, (radius_km + 1) * 1000.0))
    own_m, enemy_m, grey_m = (frame.to_m(_clip(g, near)) for g in (own, enemy, grey_geom))
    perim, grey_perim = _perimeter(own_m, enemy_m, grey_m, around_m, snap_m)

    corridor_km = line_ll = line_m = None
    lower = fire = False
    if enclosed:
        verdict = "enclosed" + (" (reaches the map's edge)" if touches else "")
    else:
        width_m, lower, line_m = _measure_corridor(
            map, frame, fp_m, passable, rear_geom, rear, parts, rear_parts, holding, search_km, resolution_m
        )
        corridor_km = round(width_m / 1000.0, 3)
        line_ll = frame.to_lonlat(line_m) if line_m is not None else None
        fire = fire_range_km is not None and not lower and corridor_km < 2 * fire_range_km
        if fire:
            verdict = f"enclosed under fire control at {fire_range_km:g} km (corridor {corridor_km:.2f} km)"
        elif lower:
            verdict = f"open: corridor wider than {corridor_km:g} km"
        else:
            verdict = f"open: corridor {corridor_km:.2f} km"
        if line_ll is not None and shapely.intersects(line_ll, holding):
            notes.append(
                "the narrowest point lies in the holding itself: it is a strip narrower than "
                "the way beyond it"
            )
        if (
            line_ll is not None
            and map.coverage is not None
            and shapely.distance(shapely.boundary(map.coverage), line_ll) < 1e-6
        ):
            notes.append("the narrowest point is against the edge of the map's coverage")
        if enclosed_km2 > 1e-6:
            notes.append(f"{enclosed_km2:,.2f} of {holding_km2:,.2f} km² of the holding are cut off")
    return Encirclement(
        enclosed=enclosed,
        fire_controlled=fire,
        verdict=verdict,
        corridor_km=corridor_km,
        corridor_lower_bound=lower,
        holding_km2=holding_km2,
        enclosed_km2=enclosed_km2,
        perimeter_share=perim,
        grey_perimeter_share=grey_perim,
        touches_edge=touches,
        rear=rear_text,
        notes=tuple(notes),
        corridor_line=line_ll,
        **common,
        **_plot_layers(frame, fp_m, radius_km, line_m if not enclosed else None, own, enemy, grey_geom),
    )


def _plot_layers(frame, fp_m, radius_km, line_m, own, enemy, grey_geom) -> dict:
    """The view (footprint + radius, and the corridor) and each layer clipped to it (lon/lat)."""
    view_m = shapely.buffer(fp_m, max(radius_km, 3.0) * 1000.0 * 1.6)
    if line_m is not None and not line_m.is_empty:
        view_m = _union(view_m, shapely.buffer(line_m, 2000.0))
    view = frame.to_lonlat(shapely.envelope(view_m))
    return {
        "view": view,
        "enemy_geometry": _clip(enemy, view),
        "grey_geometry": _intersection(grey_geom, view),
        "friendly_geometry": _intersection(own, view),
    }


def _pick_defender(cmap, by: str, around) -> str:
    """The side other than ``by`` holding the most land around the place (else on the map)."""
    areas = _other_sides_km2(cmap, by, aoi=around)
    if areas and max(areas.values()) > 0:
        return max(areas, key=areas.get)
    return _main_other_side(cmap, by)


def _measure_corridor(
    cmap, frame, fp_m, passable, rear_geom, rear, parts, rear_parts, holding, search_km, resolution_m
):
    """Corridor width (m), lower-bound flag and line (metres) inside the search window."""
    r_max = search_km * 1000.0 / 2
    window_m = shapely.buffer(fp_m, search_km * 1000.0, quad_segs=8)
    if rear is not None:
        window_m = _union(window_m, shapely.buffer(frame.to_m(rear_geom), 2000.0))
    big_m = shapely.buffer(window_m, r_max + 1000.0, quad_segs=8)
    big_ll = frame.to_lonlat(big_m)
    xmin, ymin, xmax, ymax = big_ll.bounds
    passable_m = _intersection(frame.to_m(shapely.clip_by_rect(passable, xmin, ymin, xmax, ymax)), big_m)
    passable_m = shapely.make_valid(passable_m) if not shapely.is_valid(passable_m) else passable_m
    blocking_m = _difference(big_m, passable_m)
    holding_m = frame.to_m(holding)
    # No step of the bisection erodes by more than ``bound``. With the default rear, a way
    # out reaches the rear where it first leaves the window, so the band beyond the window
    # need be only that wide (plus the same 1 km). A rear the caller gives may be reached
    # only by a way that leaves the window: then the band keeps its full width.
    bound = _skip_bound(holding_m, blocking_m)
    if rear is None and bound + 1000.0 < r_max:
        big_m = shapely.buffer(window_m, bound + 1000.0, quad_segs=8)
        passable_m = _intersection(passable_m, big_m)
        blocking_m = _difference(big_m, passable_m)
    if rear is not None:
        target_m = frame.to_m(rear_geom)
    else:
        comp = _union([parts[i] for i in rear_parts])
        band = _difference(big_m, window_m)
        target_m = _intersection(frame.to_m(shapely.clip_by_rect(comp, xmin, ymin, xmax, ymax)), band)
        if target_m.is_empty or shapely.area(target_m) <= 0:
            target_m = None  # the rear lies inside the window: its largest eroded piece
        passable_m = _intersection(passable_m, window_m) if target_m is None else passable_m
    return _corridor(passable_m, blocking_m, holding_m, target_m, r_max, resolution_m, bound)


def check_encircled_labels(map, *, by: str | None = None, **kwargs) -> tuple[Encirclement, ...]:
    """Check a source's own ``encircled`` areas: is each really cut off on the same map?

    A map that labels land ``encircled`` (for example a profile reading a source's
    "encirclement" layer) claims it is cut off. Each connected piece is examined as a
    place with :func:`encirclement`: the holder is the label's side, the encircler
    ``by`` (default the map's other side with the most land).

    Returns
    -------
    tuple of Encirclement
        One per labelled piece, largest first; empty when the map labels nothing encircled.

    Examples
    --------
    >>> import mapdiff
    >>> m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    >>> check_encircled_labels(m)
    ()
    """
    out = []
    for lab in map.all_labels:
        if lab.status != ENCIRCLED or not lab.side:
            continue
        enemy = by or _main_other_side(map, lab.side)
        pieces = _polygons(map.geometry(lab))
        for piece in sorted(pieces, key=lambda p: -float(area_km2(p))):
            out.append(encirclement(map, piece, by=enemy, defender=lab.side, **kwargs))
    return tuple(out)


def _other_sides_km2(cmap, side: str, aoi=None) -> dict[str, float]:
    """km² held by each side other than ``side`` (optionally within an area)."""
    areas = {}
    for lab in cmap.all_labels:
        if lab.side and lab.side != side and lab.holds:
            areas[lab.side] = areas.get(lab.side, 0.0) + cmap.area(lab, aoi=aoi)
    return areas


def _main_other_side(cmap, side: str) -> str:
    areas = _other_sides_km2(cmap, side)
    if not areas:
        raise ArgumentError(f"the {cmap.source} map has no side other than {side} to encircle it")
    return max(areas, key=areas.get)
