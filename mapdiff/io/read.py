"""Reading maps: format detection, CRS checks, profiles, normalisation.

:func:`read_map` takes a path, a binary file-like object or a GeoDataFrame, reads it
(GeoJSON and wrapped JSON natively; GeoPackage, Shapefile, FlatGeobuf through pyogrio;
GeoParquet through geopandas; KML/KMZ through :mod:`mapdiff.io.kml`), recognises the
source by content unless ``source=`` is given, applies the source's profile and
returns a normalised :class:`~mapdiff.model.control_map.ControlMap`.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import sys
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import orjson
import pandas as pd
import pyproj
import shapely
from shapely.geometry import shape

from .._dates import as_date
from ..config import (
    check_bytes,
    check_features,
    check_json_depth,
    check_properties,
    check_text_vertices,
    check_vertices,
    current_limits,
)
from ..errors import (
    CRSError,
    EmptyMapError,
    FormatError,
    InputLimitError,
    MapdiffError,
    MapdiffWarning,
    MissingCRSError,
    SwappedCoordinatesError,
    UnknownSourceError,
    quote,
)
from ..labels import clean_text
from ..model.control_map import ControlMap, NormalisationReport, Provenance, Repair
from ..model.coverage import Coverage
from ..model.measure import area_km2, cached_transformer
from ..model.normalisation import normalise
from ..model.shapes import mostly_outside, polygonal, polygonal_parts
from ..places.regions import drawn_beyond, drawn_extent, region
from ..profiles import Profile, detect_profile, get_profile
from .crs import no_proj_network, safe_crs
from .gate import (
    _FGB_MAGIC,
    _OGR_SUFFIXES,
    check_input_path,
    ogr_frame,
    read_input_bytes,
    shapefile_frame,
    shapefile_parts,
    zip_holds_kml,
    zip_shapefile_parts,
)

__all__ = [
    "RawMap",
    "check_input_path",
    "read_geometries",
    "read_input_bytes",
    "read_map",
    "read_named_geometries",
    "read_raw",
]

_WGS84 = pyproj.CRS.from_epsg(4326)


@dataclass(frozen=True)
class RawMap:
    """Features as read, before labelling: properties, lon/lat geometries and context."""

    table: pd.DataFrame
    geoms: np.ndarray
    name: str
    collection_name: str | None = None
    top_level: dict | None = None
    sha256: str | None = None
    path: str | None = None
    coverage: object = None  # a coverage the file itself declares (GeoJSON member "coverage")


# ------------------------------------------------------------------ entry point
def read_map(
    src,
    *,
    source: str | Profile | None = None,
    as_of=None,
    crs=None,
    swap_xy: bool = False,
    coverage=None,
    limits=None,
    layer: str | None = None,
    clip=None,
    cache: bool = False,
) -> ControlMap:
    """Read a control map and normalise it.

    Parameters
    ----------
    src : str, Path, binary file-like or GeoDataFrame
        GeoJSON (also wrapped, as NZZ's ``{"value": FeatureCollection}`` or DeepState's
        ``{"id", "datetime", "map"}``), GeoPackage, Shapefile (or zipped), KML/KMZ,
        FlatGeobuf, GeoParquet. URLs are not fetched: use :func:`mapdiff.fetch`.
    source : str or Profile, optional
        Profile name (``"deepstate"``, ``"nzz"``, ``"isw"``, ``"generic"``, a registered
        one) or the path of a TOML profile. By default recognised from the content.
    as_of : date or str, optional
        Release date when the file does not state one. A date the file states wins;
        if both are given and differ, the caller's is used with a warning.
    crs : anything pyproj accepts, optional
        CRS of the input when it states none (or states a wrong one).
    swap_xy : bool, default False
        Swap axis order, for files written as (lat, lon).
    coverage : shapely geometry (lon/lat), optional
        Restrict where the map speaks (for a clip of a larger map). A GeoJSON file may
        declare the same with a top-level ``"coverage"`` geometry member. Either is
        intersected with the profile's coverage.
    limits : mapdiff.config.Limits, optional
        Input size and vertex limits (default :func:`mapdiff.config.current_limits`).
    layer : str, optional
        Layer of a GeoPackage holding several (``--layer`` in the CLI); a GeoPackage
        with more than one spatial layer is refused without it.
    clip : area, optional
        The fast path for a few places on a large map: a place name, a Footprint, a
        shapely geometry (lon/lat) or a sequence of them. The features are cut to the
        bounding boxes of its parts before they are validated or repaired, so only what
        lies in those boxes is normalised; the map's coverage becomes (coverage ∩ boxes).
        Areas measured inside ``clip`` are those of the full read.
    cache : bool, default False
        Serve a file read before from the read cache (``releases/`` in the cache root,
        :mod:`mapdiff.io.cache`) and keep a new read there: the normalised map keyed by the
        file's content hash, the profile's content, the limits, the layer and the mapdiff
        version, so a warm read costs what loading that binary entry costs (Creamy
        Caprice: seconds to milliseconds). Only for a file path read with no ``as_of``,
        ``crs``, ``swap_xy``, ``coverage`` or ``clip``, and only reads that warned
        nothing are kept; ``MAPDIFF_NO_CACHE=1`` turns it off. The CLI reads with it
        (``--no-cache`` where offered, or the variable, turns it off).

    Returns
    -------
    ControlMap

    Raises
    ------
    FormatError, MissingCRSError, SwappedCoordinatesError, UnknownSourceError, EmptyMapError

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> gdf = gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]},
    ...                        geometry=[shapely.box(37.0, 48.0, 37.2, 48.2)], crs=4326)
    >>> m = read_map(gdf, as_of="2025-11-27")
    >>> m.source, m.as_of.isoformat(), round(m.area("controlled:RU"), 1)
    ('generic', '2025-11-27', 331.3)
    >>> small = read_map(gdf, as_of="2025-11-27", clip=shapely.box(37.0, 48.0, 37.1, 48.1))
    >>> round(small.area("controlled:RU"), 1)
    82.9
    """
    if (
        cache
        and isinstance(src, str | Path)
        and as_of is None
        and crs is None
        and not swap_xy
        and coverage is None
        and clip is None
    ):
        from .._dirs import cache_enabled

        if cache_enabled():
            return _read_map_cached(src, source, limits, layer)
    raw = read_raw(src, crs=crs, limits=limits, layer=layer)
    return _read_map(raw, source, as_of, swap_xy=swap_xy, coverage=coverage, clip=clip)


def _read_map_cached(src, source, limits, layer) -> ControlMap:
    """:func:`read_map` of a file through the read cache (see its ``cache``)."""
    from . import cache as _cache

    path = check_input_path(src)
    if path.suffix.lower() == ".shp":  # several files make one map: read as it is
        return _read_map(read_raw(path, limits=limits, layer=layer), source)
    data = read_input_bytes(path, limits)
    digest = hashlib.sha256(data).hexdigest()
    prof_key = source.name if isinstance(source, Profile) else source
    key = _cache.read_key(digest, prof_key, f"limits={current_limits(limits)!r}|layer={layer}")
    hit = _cache.load(key, read_as=str(path))
    if hit is not None:
        return hit
    raw = _read_bytes(data, path.name, None, str(path), limits, layer=layer)
    check_vertices(raw.geoms, raw.name, limits)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        m = _read_map(raw, source)
    for w in said:  # said again, to the caller's filters
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, source=w.source)
    if said:
        return m  # a read that warned is read again next time, and warns again
    land = None
    if m.domain.parts is not None:
        prof = source if isinstance(source, Profile) else get_profile(source or m.source)
        if not (prof.coverage and region(prof.coverage) is m.domain.land):
            return m  # an outline this entry could not name: not kept
        land = prof.coverage
    try:
        _cache.store(key, m, land=land)
        _cache.bound()  # least recently used entries go past MAPDIFF_CACHE_MAX_MB
    except OSError as exc:
        from ..errors import MapdiffWarning

        warnings.warn(
            f"cannot write the read cache in {_cache.cache_dir()} ({exc}); going on without it "
            f"(set {_cache.CACHE_ENV} to a writable folder, or MAPDIFF_NO_CACHE=1)",
            MapdiffWarning,
            stacklevel=3,
        )
    return m


def _read_map(
    raw: RawMap,
    source=None,
    as_of=None,
    *,
    swap_xy: bool = False,
    coverage=None,
    clip=None,
    check_source: bool = False,
) -> ControlMap:
    """The pipeline after reading (limits and format are :func:`read_raw`'s): profile,
    coverage, CRS sanity, date, labels, clip, normalise. :func:`read_map` and the history
    runner (which reads the bytes itself, for its cache key) both come through here.

    ``check_source``: with ``source`` given, also recognise the file and refuse one that
    looks like another source (a series keeps one source).
    """
    found = None
    if source is None or check_source:
        found = detect_profile(raw.table, raw.collection_name, _file_name(raw))
    if source is not None:
        profile = get_profile(source)
        if check_source and found is not None and found.name != profile.name:
            raise UnknownSourceError(
                f"{raw.name}: looks like a {found.name} release, but the series is {profile.name}; "
                f"keep one source per Releases (or pass source={profile.name!r} to read every file "
                "with that profile)"
            )
    else:
        profile = found
        if profile is None:
            cols = ", ".join(quote(str(c), 40) for c in list(raw.table.columns)[:20]) or "none"
            raise UnknownSourceError(
                f"{raw.name}: not recognised as any known source (properties: {cols}"
                f"{_values_hint(raw.table)}); "
                "pass source='deepstate'|'nzz'|'isw'|'generic' or a TOML profile"
            )
    boxes = None if clip is None else _clip_boxes(clip)
    extras = [getattr(e, "geometry", e) for e in (raw.coverage, coverage) if e is not None]
    cover = _coverage(profile, raw.name)
    # drawn polygons count inside the drawn extent (for Ukraine: land ∪ maritime outline);
    # None when that is the coverage itself
    extent = _drawn_extent(profile)
    for extra in extras:
        cover = extra if cover is None else shapely.intersection(cover, extra)
        if extent is not None:
            extent = shapely.intersection(extent, extra)
    for g in (cover, extent):
        if g is not None:
            shapely.prepare(g)
    full_cover, full_extent = cover, extent
    if cover is not None and boxes is not None:
        # cached when only the profile's coverage is cut: a series clips every file alike
        cover = _coverage_in(profile, cover, boxes) if not extras else _cut(cover, boxes)
        if extent is not None:
            extent = _coverage_in(profile, extent, boxes, "drawn") if not extras else _cut(extent, boxes)
    geoms = raw.geoms
    if swap_xy:
        geoms = shapely.transform(geoms, lambda c: c[:, ::-1])
    _check_lonlat(geoms, full_cover, raw.name, swapped_ok=swap_xy)

    date, origin = _resolve_as_of(profile, raw, as_of)
    try:
        labels, reported = profile.label_and_reports(raw.table)
    except FormatError as exc:
        raise FormatError(f"{raw.name}: {exc}") from None
    feats = [(lab, g) for lab, g in zip(labels, geoms, strict=True) if lab is not None]
    if not feats and len(labels) and not reported:
        _explain_no_labels(profile, raw)
    repairs = [Repair(kind, n, 0.0, detail) for kind, n, detail in raw.table.attrs.get("repairs", ())]
    repairs += _side_conflicts(feats, profile, raw.name)
    dropped = _reported_drops(reported, raw.table, geoms, cover)
    repairs += dropped
    n_unlabelled = len(labels) - len(feats) - sum(r.count for r in dropped)
    if n_unlabelled:
        repairs.append(
            Repair(
                "unlabelled_dropped",
                n_unlabelled,
                0.0,
                f"features no rule of profile {profile.name!r} labels",
            )
        )
    empty = raw.table.attrs.get("empty_release")
    if empty and not feats:
        return _empty_release(empty, profile, date, raw, origin, repairs)
    if boxes is not None:
        judge = full_cover if full_extent is None else full_extent
        feats, dropped = _clip_features(feats, boxes, judge if profile.drop_mostly_outside else None)
        repairs += dropped
        if not feats:  # nothing drawn in the area: an empty map of it, not an error
            return _nothing_drawn(profile, cover, date, raw, origin, repairs, labels)
    try:
        m = _normalise(
            feats,
            profile,
            cover if extent is None else extent,
            date,
            raw,
            origin,
            repairs,
            labels,
            decided=boxes is not None,
        )
    except EmptyMapError as exc:  # name the file, not only the profile
        if boxes is not None:
            # the pieces cut to the boxes hold no area (slivers, lines, points along a
            # box edge): the map draws nothing there and covers the area with its background
            return _nothing_drawn(profile, cover, date, raw, origin, repairs, labels)
        raise EmptyMapError(f"{raw.name}: {exc}") from None
    return m if extent is None else speak_where_drawn(m, cover)


def _nothing_drawn(profile, cover, date, raw, origin, repairs, labels) -> ControlMap:
    """A clipped read that draws nothing in the clip's boxes: the map's background there."""
    return ControlMap(
        (),
        (),
        Coverage.whole(cover),
        profile.background,
        profile.name,
        date,
        profile.scope,
        Provenance(profile.name, profile.name, raw.path, raw.sha256, origin),
        NormalisationReport(len(labels), 0, tuple(repairs)),
    )


# ------------------------------------------------------------------ clipping (fast path)
def _clip_boxes(clip):
    """The union of the bounding boxes of ``clip``'s polygon parts (lon/lat), as a geometry.

    ``clip`` is a shapely geometry, a place (anything :func:`~mapdiff.places.footprints.as_footprint`
    takes) or a sequence of them; a part that already is a union of boxes (edges along x and y) is kept as it
    is. Boxes rather than outlines: cutting a front along a few axis-parallel edges is
    cheap (``clip_by_rect``) and needs no valid input; the exact outlines are cut when
    measuring.
    """
    if isinstance(clip, shapely.Geometry):  # a series clips every release alike: kept
        key = shapely.to_wkb(clip)
        if key not in _BOXES:
            if len(_BOXES) > 32:
                _BOXES.clear()
            _BOXES[key] = _boxes_of([clip])
        return _BOXES[key]
    return _boxes_of(clip if isinstance(clip, list | tuple | np.ndarray) else [clip])


_BOXES: dict = {}


def _boxes_of(items):
    from ..places.footprints import as_footprint

    geoms = np.asarray(
        [g if isinstance(g, shapely.Geometry) else as_footprint(g).geometry for g in items], dtype=object
    )
    parts = shapely.get_parts(geoms)
    parts = parts[~shapely.is_empty(parts)]
    if parts.size == 0:
        raise FormatError("clip= is empty; pass an area (a place, a footprint or a polygon)")
    boxes = [p if _rectilinear(p) else shapely.box(*p.bounds) for p in parts]
    union = shapely.union_all(np.asarray(boxes, dtype=object))
    if shapely.get_num_geometries(union) > _MAX_RECTS:
        # many scattered places (hundreds of towns): one rectangle round them all costs less
        # than cutting every feature into hundreds of pieces and dissolving them again
        return shapely.box(*union.bounds)
    return union


_MAX_RECTS = 8


def _rectilinear(poly) -> bool:
    """A polygon without holes whose edges all run along x or y (a union of boxes is one)."""
    if poly.geom_type != "Polygon" or len(poly.interiors):
        return False
    d = np.diff(shapely.get_coordinates(poly.exterior), axis=0)
    return bool(((d[:, 0] == 0) | (d[:, 1] == 0)).all())


def _clip_features(feats: list, boxes, cover=None) -> tuple[list, list]:
    """Cut labelled features to ``boxes`` before any validation or repair.

    Only features whose bounds meet the bounding rectangle of a part of ``boxes`` are
    touched; each is cut with ``shapely.clip_by_rect`` (exact, and indifferent to invalid
    input) to that rectangle. Normalisation then validates and repairs small pieces instead
    of a whole front, and the coverage (∩ ``boxes``) cuts them exactly when measured. One
    rectangle per part, not a tiling of it: pieces meeting along a seam would be re-noded
    when dissolved, and move areas by ~1e-6 km².

    With ``cover`` (the profile drops features mostly outside its coverage), that rule is
    applied to the whole features before cutting, as a full read applies it, and the
    drop is returned as a repair.
    """

    if not feats:
        return feats, []
    geoms = np.asarray([g for _, g in feats], dtype=object)
    ok = ~shapely.is_missing(geoms)
    ok[ok] = ~shapely.is_empty(geoms[ok])
    b = np.full((len(geoms), 4), np.nan)
    b[ok] = shapely.bounds(geoms[ok])
    rects = shapely.bounds(shapely.get_parts(boxes))
    meets = [
        ok & (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0) for x0, y0, x1, y1 in rects
    ]
    repairs = []
    if cover is not None and meets:
        cand = np.flatnonzero(np.logical_or.reduce(meets))
        drop = cand[mostly_outside(geoms[cand], cover)]
        if drop.size:
            ok[drop] = False
            meets = [m & ok for m in meets]
            repairs.append(
                Repair(
                    "outside_coverage_dropped",
                    int(drop.size),
                    float(area_km2(geoms[drop]).sum()),
                    "features (mostly) outside the map's coverage",
                )
            )
    out: list = []
    for (x0, y0, x1, y1), m in zip(rects, meets, strict=True):
        idx = np.flatnonzero(m)
        if idx.size == 0:
            continue
        pieces = _clip_by_rect(shapely.force_2d(geoms[idx]), x0, y0, x1, y1)
        out += [(feats[i][0], g) for i, g in zip(idx, pieces, strict=True) if not g.is_empty]
    return out, repairs


def _clip_by_rect(geoms: np.ndarray, x0, y0, x1, y1) -> np.ndarray:
    """``shapely.clip_by_rect``, which GEOS refuses for some invalid rings (a spike that
    collapses to a 3-point ring inside the rectangle): those few are repaired first and
    cut exactly instead, so a drawing error is repaired, never reported as a GEOS error."""
    try:
        return shapely.clip_by_rect(geoms, x0, y0, x1, y1)
    except shapely.errors.GEOSException:
        pass
    rect = shapely.box(x0, y0, x1, y1)
    out = np.empty(len(geoms), dtype=object)
    for i, g in enumerate(geoms):
        try:
            out[i] = shapely.clip_by_rect(g, x0, y0, x1, y1)
        except shapely.errors.GEOSException:
            out[i] = shapely.intersection(shapely.make_valid(g), rect)
    return out


_COVER_IN: dict = {}


def _cut(cover, boxes):
    out = polygonal(shapely.intersection(cover, boxes))
    shapely.prepare(out)
    return out


def _coverage_in(profile: Profile, cover, boxes, which: str = "coverage"):
    """``cover`` (the profile's own coverage, or its drawn extent) ∩ ``boxes``, kept for the next file."""
    key = (profile.name, profile.coverage, which, shapely.to_wkb(boxes))
    if key not in _COVER_IN:
        if len(_COVER_IN) > 32:
            _COVER_IN.clear()
        _COVER_IN[key] = _cut(cover, boxes)
    return _COVER_IN[key]


def _file_name(raw: RawMap) -> str:
    return Path(raw.path).name if raw.path else raw.name


def _reported_drops(reported: dict, table: pd.DataFrame, geoms: np.ndarray, cover) -> list:
    """One ``dropped_by_profile`` repair per reporting drop rule: polygons, km², names."""
    from ..model.measure import area_km2

    out = []
    for why, rows in reported.items():
        g = polygonal_parts(shapely.force_2d(geoms[rows]))
        keep = [r for r, x in zip(rows, g, strict=True) if x is not None and not x.is_empty]
        if not keep:
            continue
        parts = shapely.make_valid(np.asarray([x for x in g if x is not None and not x.is_empty]))
        km2 = float(np.sum(area_km2(polygonal_parts(parts))))
        names = []
        if "name" in table.columns:
            for r in keep:
                text = clean_text(str(table["name"].iloc[r]).split("///")[-1])[:120]
                if text and text not in names:
                    names.append(text)
        inside = ""
        if cover is not None:
            inside_km2 = float(np.sum(area_km2(polygonal_parts(shapely.intersection(parts, cover)))))
            inside = f"; {inside_km2:.3f} km² of it inside the coverage"
        shown = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        out.append(Repair("dropped_by_profile", len(keep), km2, f"{why}: {shown}{inside}".strip()))
    return out


def _side_conflicts(feats: list, profile: Profile, name: str) -> list:
    """Area two sides both draw under labels of equal precedence (``controlled:RU`` and
    ``controlled:UA`` under the generic profile's side-less ``controlled``): which keeps it
    is decided by label name, never by feature order, and said here, as a
    ``sides_overlap`` repair and a warning, in every output."""

    by: dict = {}
    for lab, g in feats:
        if lab.side is not None and g is not None:
            by.setdefault(lab, []).append(g)
    labs = sorted(by, key=str)
    out = []
    for i, a in enumerate(labs):
        for b in labs[i + 1 :]:
            if a.side == b.side or profile._rank(a) != profile._rank(b):
                continue
            ga = polygonal_parts(shapely.make_valid(np.asarray(by[a], dtype=object)))
            gb = polygonal_parts(shapely.make_valid(np.asarray(by[b], dtype=object)))
            ia, ib = shapely.STRtree(gb).query(ga, predicate="intersects")
            if not len(ia):
                continue
            both = polygonal(shapely.union_all(shapely.intersection(ga[ia], gb[ib])))
            km2 = float(area_km2(both)) if not both.is_empty else 0.0
            if km2 <= 0:
                continue
            keeper = min(a, b, key=str)
            detail = (
                f"{a} and {b} are both drawn over {km2:.3f} km² with equal precedence; "
                f"kept by {keeper} (by label name, whatever the feature order)"
            )
            warnings.warn(
                f"{name}: {detail}; areas there are one side's by convention only",
                MapdiffWarning,
                stacklevel=4,
            )
            out.append(Repair("sides_overlap", len(ia), km2, detail))
    return out


def _empty_release(why, profile, date, raw, origin, repairs):
    """A release that draws nothing at all: a map that covers nothing (every AOI is
    ``not_covered``), never one that implies its background everywhere."""

    repairs = [*repairs, Repair("empty_release", 1, 0.0, f"{why}: the map covers nothing")]
    return ControlMap(
        (),
        (),
        Coverage.whole(shapely.Polygon()),
        profile.background,
        profile.name,
        date,
        profile.scope,
        Provenance(profile.name, profile.name, raw.path, raw.sha256, origin),
        NormalisationReport(len(raw.table), 0, tuple(repairs)),
    )


def _normalise(feats, profile, cover, date, raw, origin, repairs, labels, decided=False):
    return normalise(
        feats,
        precedence=profile.order(labels),
        coverage=cover,
        background=profile.background,
        source=profile.name,
        as_of=date,
        scope=profile.scope,
        provenance=Provenance(profile.name, profile.name, raw.path, raw.sha256, origin),
        repairs=repairs,
        n_features=len(labels),
        # a clipped read judged whole features already: its pieces are not judged again
        drop_mostly_outside=profile.drop_mostly_outside and not decided,
    )


def _explain_no_labels(profile: Profile, raw: RawMap) -> None:
    """No feature labelled because the columns the profile reads are absent: say which."""
    wanted = []
    for rule in profile.rules:
        for col in (rule.status_column, rule.side_column, rule.property):
            if col and col not in wanted:
                wanted.append(col)
    missing = [c for c in wanted if c not in raw.table.columns]
    if wanted and len(missing) == len(wanted):
        found = ", ".join(map(str, raw.table.columns)) or "none"
        raise FormatError(
            f"{raw.name}: the {profile.name} profile reads the column(s) {', '.join(wanted)}, "
            f"but the file has {found}; rename the columns, or pass source= with a TOML profile "
            "that maps yours"
        )


def _values_hint(table: pd.DataFrame) -> str:
    """For style/folder-coded maps (KML): the values a profile's rules could match."""
    parts = []
    for col in ("fill", "folder"):
        if col in table.columns:
            counts = table[col].dropna().astype(str).value_counts().head(8)
            if len(counts):
                parts.append(f"{col} values: " + ", ".join(f"{v!r} ({n})" for v, n in counts.items()))
    return "; " + "; ".join(parts) if parts else ""


def _drawn_extent(profile: Profile):
    """Where drawn polygons count, for a profile whose coverage is a shipped region with
    waters (``"ukraine"``: land ∪ internal waters and territorial sea); None otherwise
    (drawn polygons are then clipped to the coverage itself)."""
    if not profile.coverage or profile.coverage.lower() not in ("ukraine",):
        return None
    return drawn_extent(profile.coverage)


def speak_where_drawn(m, land):
    """``m`` (normalised with its drawn extent as coverage) speaking on ``land`` plus what it draws.

    The drawn polygons keep everything inside the drawn extent (lagoons, estuaries,
    coastal water); the background covers only ``land`` minus what is drawn, so undrawn
    sea is held by no one. The map's own clip then cuts the drawing with that coverage,
    which is the drawing ∩ the extent, and reports the area left outside.
    """
    clipped = m.clipped  # drawn ∩ extent, on the intermediate map only
    # the coverage (land ∪ beyond) is made when first read: compare() does without it.
    # The drawing cut to the extent lies inside land ∪ beyond by construction: the cut to
    # the coverage is that same cut
    cov = Coverage.on_land(land, drawn_beyond(land, clipped), drawing=(m.geometries, clipped))
    return replace(m, domain=cov)


def _coverage(profile: Profile, name: str):
    if not profile.coverage:
        return None
    if profile.coverage.lower() in ("ukraine",):
        return region(profile.coverage)
    path = Path(profile.coverage)
    if not path.exists():
        raise FormatError(
            f"{name}: profile {profile.name!r} names coverage {profile.coverage!r}, "
            "which is neither a shipped region nor an existing file"
        )
    try:
        raw = read_raw(path)
    except MapdiffError as exc:
        raise type(exc)(
            f"{name}: profile {profile.name!r} names coverage file {str(path)!r}: {exc}"
        ) from None
    cov = shapely.union_all(raw.geoms)
    shapely.prepare(cov)
    return cov


def _resolve_as_of(profile: Profile, raw: RawMap, as_of):
    stated = profile.find_as_of(
        raw.table,
        collection_name=raw.collection_name,
        file_name=_file_name(raw),
        top_level=raw.top_level,
    )
    given = as_date(as_of, where=f"{raw.name}: as_of=") if as_of is not None else None
    if given is not None:
        if stated is not None and stated != given:
            warnings.warn(
                f"{raw.name}: the file says {stated.isoformat()}, the caller "
                f"{given.isoformat()}; using the caller's date",
                MapdiffWarning,
                stacklevel=3,
            )
        return given, "caller"
    if stated is not None:
        return stated, "file"
    return None, None


# ------------------------------------------------------------------ raw reading
def read_raw(src, crs=None, limits=None, *, layer: str | None = None) -> RawMap:
    """Read features (properties + lon/lat geometries) from any supported input.

    Parameters
    ----------
    src : str, Path, binary file-like or GeoDataFrame
    crs : optional
        CRS to assume when the input states none, or to override it.
    limits : mapdiff.config.Limits, optional
        Input size and vertex limits (default :func:`mapdiff.config.current_limits`).
    layer : str, optional
        Layer of a multi-layer GeoPackage.

    Returns
    -------
    RawMap

    Raises
    ------
    InputLimitError
        The input is larger, or has more vertices, than the limits allow.
    """
    raw = _read_raw(src, crs, limits, layer)
    check_vertices(raw.geoms, raw.name, limits)
    return raw


def _read_raw(src, crs=None, limits=None, layer=None) -> RawMap:
    gpd = sys.modules.get("geopandas")  # a GeoDataFrame exists only once geopandas is imported
    if gpd is not None and isinstance(src, gpd.GeoDataFrame):
        return _from_gdf(src, crs, "<GeoDataFrame>", None, None)
    if isinstance(src, str) and src.split(":", 1)[0].lower() in ("http", "https", "ftp"):
        raise FormatError(
            f"{src}: read_map does not fetch URLs; download it with mapdiff.fetch() or pass a local file"
        )
    if isinstance(src, str | Path):
        path = check_input_path(src)
        if path.suffix.lower() == ".shp":
            parts = shapefile_parts(path, limits)
            return _read_shapefile_parts(parts, path.name, crs, str(path), layer, limits)
        data = read_input_bytes(path, limits)
        return _read_bytes(data, path.name, crs, str(path), limits, layer=layer)
    if hasattr(src, "read"):
        name = getattr(src, "name", "<stream>")
        check_bytes(0, name, limits)  # a bad limit setting fails before reading
        cap = current_limits(limits).max_bytes
        data = src.read() if cap is None else src.read(cap + 1)
        check_bytes(len(data), name, limits)
        if isinstance(data, str):
            data = data.encode("utf-8")
        return _read_bytes(data, name, crs, None, limits, layer=layer)
    raise FormatError(
        f"cannot read a map from {type(src).__name__}: pass a path, a binary file object or a GeoDataFrame"
    )


def _read_bytes(data: bytes, name: str, crs, path: str | None, limits=None, *, layer=None) -> RawMap:
    check_bytes(len(data), name, limits)  # also for callers that read the bytes themselves
    digest = hashlib.sha256(data).hexdigest()
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise FormatError(f"{name}: the file is empty")
    _refuse_wide_text(data, name)
    low = name.lower()
    if Path(low).suffix in _OGR_SUFFIXES:  # the suffix promises a binary format: its signature or nothing
        raw = _read_ogr(data, name, crs, path, layer, limits)
    elif head[:1] in (b"{", b"["):
        raw = _read_geojson(data, name, crs, limits)
    elif head.startswith(b"PK"):
        raw = _read_zip(data, name, crs, path, limits)
    elif head[:15].lower().startswith((b"<!doctype html", b"<html")):
        raise FormatError(
            f"{name}: an HTML page, not a map (a saved error or login page?); download the map file itself"
        )
    elif head[:1] == b"<" or low.endswith(".kml"):
        from .kml import read_kml

        raw = _from_table(*read_kml(data, name, limits), name=name, crs=None)
    elif head.startswith(b"PAR1"):
        raw = _read_parquet(data, name, crs, limits)
    elif data.startswith((b"SQLite format 3\0", _FGB_MAGIC)) or Path(low).suffix in _OGR_SUFFIXES:
        raw = _read_ogr(data, name, crs, path, layer, limits)
    else:
        raise FormatError(
            f"{name}: unknown format; mapdiff reads GeoJSON, GeoPackage, "
            "Shapefile, KML/KMZ, FlatGeobuf and GeoParquet"
        )
    check_vertices(raw.geoms, name, limits)
    return RawMap(
        raw.table, raw.geoms, raw.name, raw.collection_name, raw.top_level, digest, path, raw.coverage
    )


def _refuse_wide_text(data: bytes, name: str) -> None:
    """UTF-16/UTF-32 text (a BOM, or NULs between ASCII characters): ask for UTF-8."""
    bom = data[:4]
    wide = bom.startswith((b"\xff\xfe", b"\xfe\xff", b"\x00\x00\xfe\xff"))
    sample = data[:64]
    if not wide and len(sample) >= 8 and not sample.startswith((b"SQLite", b"PK", b"PAR1", b"fgb")):
        wide = sample.count(0) * 3 >= len(sample) and any(c in sample for c in b"{[<")
    if wide:
        raise FormatError(
            f"{name}: UTF-16 or UTF-32 text; mapdiff reads GeoJSON and KML as UTF-8: save the file as UTF-8"
        )


def _read_geojson(data: bytes, name: str, crs, limits=None) -> RawMap:
    check_text_vertices(data, name, "geojson", limits)  # before json builds every coordinate
    check_json_depth(data, name)  # before any parser recurses
    try:
        obj = orjson.loads(data)  # several times faster than json on a whole front
    except (orjson.JSONDecodeError, RecursionError):
        obj = _loads(data, name)  # the standard parser says where and why
    else:
        if not _surely_no_duplicate_keys(data, obj):
            obj = _loads(data, name)  # refuses a duplicate key, naming it
    top_level = None
    from .owl import COLLECTION_NAME, is_owl, read_owl

    if is_owl(obj):
        table, geoms = read_owl(obj, name)
        return RawMap(table, geoms, name, COLLECTION_NAME)
    if (
        isinstance(obj, dict)
        and obj.get("type") not in ("FeatureCollection", "Feature")
        and not _is_geometry(obj)
    ):
        inner = next(
            (v for v in obj.values() if isinstance(v, dict) and v.get("type") == "FeatureCollection"), None
        )
        if inner is None:
            raise FormatError(
                f"{name}: JSON but not GeoJSON: no FeatureCollection found "
                f"(top-level keys: {', '.join(map(str, list(obj)[:8]))})"
            )
        top_level = {k: v for k, v in obj.items() if not isinstance(v, dict | list)}
        obj = inner
    if isinstance(obj, list):
        obj = {"type": "FeatureCollection", "features": obj}
    if obj.get("type") == "Feature":
        obj = {"type": "FeatureCollection", "features": [obj]}
    elif _is_geometry(obj):
        obj = {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": obj}]}
    features = obj.get("features")
    if not isinstance(features, list):
        raise FormatError(f"{name}: a FeatureCollection without a 'features' list")
    check_features(len(features), name, limits)  # before building a geometry per feature
    props, geoms = [], np.empty(len(features), dtype=object)
    for i, f in enumerate(features):
        if not isinstance(f, dict):
            raise FormatError(f"{name}: feature {i} is not a JSON object")
        p = f.get("properties")
        props.append(p if isinstance(p, dict) else {})
        geoms[i] = _geometry(f.get("geometry"), name, i)
    check_properties(props, name, limits)  # before a table of features x distinct names
    table = pd.DataFrame.from_records(props) if any(props) else pd.DataFrame(index=range(len(features)))
    file_crs = _geojson_crs(obj, name)
    geoms = _to_lonlat(
        geoms, crs if crs is not None else file_crs, name, default_lonlat=crs is None and file_crs is None
    )
    coll = obj.get("name") if isinstance(obj.get("name"), str) else None
    cover = _geometry(obj["coverage"], name, "coverage") if _is_geometry(obj.get("coverage")) else None
    if cover is not None:  # the coverage member is input too: the same limits
        check_vertices([cover], f"{name} (its 'coverage' member)", limits)
    return RawMap(table, geoms, name, coll, top_level, coverage=cover)


def _loads(data: bytes, name: str):
    """The standard parser: exact messages, and duplicate keys refused."""
    try:
        return json.loads(data, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as exc:
        raise FormatError(
            f"{name}: a JSON object names {exc.args[0]!r} twice; JSON readers disagree on which "
            "value wins, so mapdiff refuses it: keep one"
        ) from None
    except UnicodeDecodeError:
        raise FormatError(f"{name}: not UTF-8 text; GeoJSON must be UTF-8") from None
    except RecursionError:
        raise FormatError(f"{name}: JSON nested too deeply to be GeoJSON") from None
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(data.rstrip()) - 1 else ""
        raise FormatError(
            f"{name}: not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}{hint}"
        ) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


_ESCAPED_COLON = re.compile(rb"\\u003[aA]")


def _surely_no_duplicate_keys(data: bytes, obj) -> bool:
    """True when the parsed ``obj`` provably kept every key of ``data`` (orjson keeps the
    last of duplicate keys silently).

    Outside strings, a colon in JSON text follows a key: so the colons of ``data`` number
    the key/value pairs written plus the colons inside strings. The parsed tree gives the
    pairs kept plus the colons in its strings; equal counts mean no key was lost. Lists
    that start with numbers (coordinates) are not walked: any object hidden in one makes
    the counts differ, and so does an escaped colon (backslash-u003a, checked up front). On any
    difference the caller parses again with the standard parser, which decides exactly.
    """
    if b"\\u00" in data and _ESCAPED_COLON.search(data):  # a plain find first: far faster
        return False
    counted = 0
    stack = [obj]
    while stack:
        o = stack.pop()
        items = o.items() if isinstance(o, dict) else ((None, v) for v in o)
        if isinstance(o, dict):
            counted += len(o)
        elif o and not isinstance(o[0], dict | str) and _numbers_first(o):
            continue
        for k, v in items:
            if k is not None:
                counted += k.count(":")
            if isinstance(v, str):
                counted += v.count(":")
            elif isinstance(v, dict | list):
                stack.append(v)
    return counted == data.count(b":")


def _numbers_first(o: list) -> bool:
    x = o
    while isinstance(x, list) and x:
        x = x[0]
    return isinstance(x, int | float) and not isinstance(x, bool)


def _is_geometry(obj) -> bool:
    return isinstance(obj, dict) and obj.get("type") in (
        "Polygon",
        "MultiPolygon",
        "Point",
        "MultiPoint",
        "LineString",
        "MultiLineString",
        "GeometryCollection",
    )


def _geometry(g, name: str, i: int):
    if g is None:
        return None
    try:
        with np.errstate(invalid="ignore"):  # NaN coordinates are refused just below
            geom = _fast_shape(g)
    except OverflowError:
        raise FormatError(
            f"{name}: feature {i} has a coordinate too large for a number; fix or remove that feature"
        ) from None
    except (shapely.errors.ShapelyError, ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise FormatError(
            f"{name}: feature {i} has a geometry GEOS cannot read "
            f"({str(exc).splitlines()[0][:120]}); fix or remove that feature"
        ) from None
    if geom is not None and not geom.is_empty:
        coords = shapely.get_coordinates(geom, include_z=False)
        if not np.isfinite(coords).all():
            raise FormatError(
                f"{name}: feature {i} has NaN or infinite coordinates; fix or remove that feature"
            )
    return geom


def _fast_shape(g):
    """``shapely.geometry.shape`` for GeoJSON, with (Multi)Polygons built from arrays.

    ``shape`` copies polygon coordinates one Python tuple at a time, which costs more
    than parsing the JSON; here numpy converts all of a geometry's positions in one call
    and GEOS builds every ring and polygon of it at once (``shapely.linearrings`` and
    ``shapely.polygons`` with indices). Anything unusual (other types, ragged or malformed
    coordinates) goes through ``shape`` unchanged, so results and error messages stay
    those of shapely.
    """
    kind = g.get("type") if isinstance(g, dict) else None
    try:
        if kind == "Polygon":
            return _fast_polygons([g["coordinates"]])[0]
        if kind == "MultiPolygon" and g["coordinates"]:
            return shapely.multipolygons(_fast_polygons(g["coordinates"]))
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, shapely.errors.GEOSException):
        pass
    return shape(g)


def _fast_polygons(polys) -> np.ndarray:
    """Polygons from GeoJSON polygon coordinates (a list of lists of rings), vectorised."""
    if not isinstance(polys, list) or not all(isinstance(p, list) and p for p in polys):
        raise ValueError("empty polygon")
    rings = [r for p in polys for r in p]
    sizes = np.fromiter((len(r) for r in rings), dtype=np.intp, count=len(rings))
    if sizes.min() < 4:
        raise ValueError("not a polygon ring")
    coords = np.array(list(itertools.chain.from_iterable(rings)), dtype=float)
    if coords.ndim != 2 or coords.shape[1] not in (2, 3):
        raise ValueError("not a polygon ring")
    ring_of = np.repeat(np.arange(len(rings)), sizes)
    lines = shapely.linearrings(coords, indices=ring_of)
    per_poly = np.fromiter((len(p) for p in polys), dtype=np.intp, count=len(polys))
    return shapely.polygons(lines, indices=np.repeat(np.arange(len(polys)), per_poly))


def _geojson_crs(obj: dict, name: str):
    member = obj.get("crs")
    if not member:
        return None
    try:
        text = member["properties"]["name"]
    except (KeyError, TypeError):
        raise CRSError(
            f"{name}: cannot read its 'crs' member {quote(member)}; remove it (GeoJSON is lon/lat) "
            "or pass crs="
        ) from None
    if isinstance(text, str) and text in _CRS_NAMED:  # every file of an archive names one
        return _CRS_NAMED[text]
    crs = safe_crs(text, name)  # an allow-list: no file, grid or URL reaches PROJ
    if len(_CRS_NAMED) > 64:
        _CRS_NAMED.clear()
    _CRS_NAMED[text] = crs
    return crs


_CRS_NAMED: dict = {}


def _is_lonlat(crs: pyproj.CRS) -> bool:
    key = (crs.srs, crs.name)  # a CRS hashes by its WKT, which costs more than the test
    if key not in _LONLAT:
        _LONLAT[key] = _lonlat_test(crs)
    return _LONLAT[key]


_LONLAT: dict = {}


def _lonlat_test(crs: pyproj.CRS) -> bool:
    return (
        crs.equals(_WGS84, ignore_axis_order=True)
        or crs.to_epsg() == 4326
        or crs.name.upper().startswith("WGS 84 (CRS84)")
    )


def _to_lonlat(geoms: np.ndarray, crs, name: str, default_lonlat: bool = False) -> np.ndarray:
    """Transform to EPSG:4326 lon/lat (axis order x=lon, y=lat)."""
    if crs is None:
        if default_lonlat:
            return geoms
        raise MissingCRSError(
            f"{name}: the input states no CRS; pass crs= (for example crs='EPSG:4326' for lon/lat degrees)"
        )
    # a CRS object came from the file (checked again: its WKT may name a grid); anything
    # else is the caller's crs=, where PROJ strings are allowed too
    crs = safe_crs(crs, name, caller=not isinstance(crs, pyproj.CRS))
    if _is_lonlat(crs):
        return geoms
    if crs.is_projected and not default_lonlat:
        _refuse_degrees_as_metres(geoms, crs, name)
    with no_proj_network():  # a grid is never fetched for input, whatever PROJ_NETWORK says
        tr = cached_transformer(crs, _WGS84)

        def fwd(c):
            x, y = tr.transform(c[:, 0], c[:, 1])
            return np.column_stack([x, y])

        out = shapely.transform(geoms, fwd)
    coords = shapely.get_coordinates(out)
    if coords.size and not np.isfinite(coords).all():
        raise CRSError(
            f"{name}: coordinates do not transform from {crs.name} to lon/lat; "
            "is the stated CRS right? pass crs= to override it"
        )
    return out


def _refuse_degrees_as_metres(geoms: np.ndarray, crs: pyproj.CRS, name: str) -> None:
    """A projected CRS over coordinates that all lie within ±180/±90 (degrees, not metres):
    transformed, the whole map would shrink to a few hundred metres off Africa and measure
    0 km². Such a map is a lon/lat file with a wrong CRS."""
    present = geoms[~shapely.is_missing(geoms)] if len(geoms) else geoms
    present = present[~shapely.is_empty(present)] if len(present) else present
    if not len(present):
        return
    b = shapely.bounds(present)
    x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
    if -180 <= x0 and x1 <= 180 and -90 <= y0 and y1 <= 90:
        raise CRSError(
            f"{name}: the file states {crs.name} (a projected CRS, in {crs.axis_info[0].unit_name}s), but "
            f"every coordinate lies within ({x0:.4g}..{x1:.4g}, {y0:.4g}..{y1:.4g}): they look like "
            "longitude/latitude degrees, which would measure about 0 km²; if they are, pass crs='EPSG:4326'"
        )


def _from_gdf(gdf, crs, name: str, path: str | None, digest: str | None) -> RawMap:
    if gdf.geometry.name not in gdf.columns:
        raise FormatError(f"{name}: the frame has no geometry column")
    table = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    geoms = np.asarray(gdf.geometry.values, dtype=object)
    geoms = _to_lonlat(geoms, crs if crs is not None else gdf.crs, name)
    return RawMap(table.reset_index(drop=True), geoms, name, None, None, digest, path)


def _from_table(table: pd.DataFrame, geoms, name: str, crs) -> RawMap:
    return RawMap(table, np.asarray(geoms, dtype=object), name)


def _read_ogr(data: bytes, name: str, crs, path: str | None, layer=None, limits=None) -> RawMap:
    return _from_gdf(ogr_frame(data, name, layer, limits), crs, name, path, None)


def _read_shapefile_parts(parts: dict[str, bytes], name: str, crs, path, layer=None, limits=None) -> RawMap:
    return _from_gdf(shapefile_frame(parts, name, layer, limits), crs, name, path, None)


def _read_zip(data: bytes, name: str, crs, path: str | None, limits=None) -> RawMap:
    if zip_holds_kml(data, name):
        from .kml import read_kmz

        return _from_table(*read_kmz(data, name, limits), name=name, crs=None)
    return _read_shapefile_parts(zip_shapefile_parts(data, name, limits), name, crs, path, None, limits)


def _read_parquet(data: bytes, name: str, crs, limits=None) -> RawMap:
    """GeoParquet, bounded: the row count and columns come from the footer before any row
    is read, rows are decoded in batches whose decoded size counts against the byte limit
    (a compressed column can expand a thousandfold), and the CRS passes the CRS gate."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise FormatError(
            f"{name}: reading GeoParquet needs pyarrow: pip install 'mapdiff[parquet]'"
        ) from None
    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        meta = pf.metadata
        geo = json.loads((pf.schema_arrow.metadata or {}).get(b"geo", b"null"))
    except Exception as exc:
        raise FormatError(f"{name}: not a readable GeoParquet file ({type(exc).__name__})") from None
    if not isinstance(geo, dict) or not isinstance(geo.get("columns"), dict) or not geo["columns"]:
        raise FormatError(
            f"{name}: a Parquet file without GeoParquet metadata ('geo'); write it with geopandas"
        )
    column = geo.get("primary_column") or next(iter(geo["columns"]))
    spec = geo["columns"].get(column)
    if not isinstance(spec, dict) or column not in pf.schema_arrow.names:
        raise FormatError(f"{name}: its GeoParquet metadata names a geometry column {quote(column)} it lacks")
    if spec.get("encoding", "WKB") != "WKB":
        raise FormatError(
            f"{name}: geometry encoding {quote(spec.get('encoding'))} is not WKB; write WKB geometries"
        )
    check_features(meta.num_rows, name, limits)  # from the footer, before reading any row
    check_properties(pf.schema_arrow.names, name, limits)
    cap = current_limits(limits).max_bytes
    batches, decoded = [], 0
    try:
        for batch in pf.iter_batches(batch_size=4096):
            decoded += batch.nbytes
            if cap is not None and decoded > cap:
                check_bytes(decoded, f"{name} (decoded)", limits)
            batches.append(batch)
        table = pa.Table.from_batches(batches, schema=pf.schema_arrow).to_pandas()
    except InputLimitError:
        raise
    except Exception as exc:
        raise FormatError(f"{name}: not a readable GeoParquet file ({type(exc).__name__})") from None
    try:
        geoms = shapely.from_wkb(table.pop(column).to_numpy(dtype=object))
    except (shapely.errors.ShapelyError, TypeError, ValueError):
        raise FormatError(f"{name}: its geometry column holds WKB GEOS cannot read; fix the file") from None
    # GeoParquet: no "crs" key means OGC:CRS84; an explicit null means unknown
    file_crs = spec.get("crs", "OGC:CRS84")
    if crs is None and file_crs is None:
        raise MissingCRSError(f"{name}: the input states no CRS; pass crs= (for example crs='EPSG:4326')")
    crs_ = crs if crs is not None else safe_crs(file_crs, name)
    geoms = _to_lonlat(np.asarray(geoms, dtype=object), crs_, name)
    return RawMap(table.reset_index(drop=True), geoms, name)


# ------------------------------------------------------------------ CRS sanity
def _check_lonlat(geoms: np.ndarray, coverage, name: str, swapped_ok: bool) -> None:
    present = geoms[~shapely.is_missing(geoms)]
    if present.size == 0:
        return
    present = present[~shapely.is_empty(present)]
    if present.size == 0:
        return
    bounds = shapely.bounds(present)  # once, for the ranges and the antimeridian
    xmin, ymin = bounds[:, 0].min(), bounds[:, 1].min()
    xmax, ymax = bounds[:, 2].max(), bounds[:, 3].max()
    in_range = -180 <= xmin and xmax <= 180 and -90 <= ymin and ymax <= 90
    swapped_in_range = -90 <= xmin and xmax <= 90 and -180 <= ymin and ymax <= 180
    hint = "" if swapped_ok else "; if the file is (lat, lon), pass swap_xy=True"
    if not in_range:
        if swapped_in_range:
            raise SwappedCoordinatesError(
                f"{name}: y runs from {ymin:.3f} to {ymax:.3f}, beyond ±90: the coordinates "
                f"look like (lat, lon){hint}"
            )
        raise CRSError(
            f"{name}: coordinates ({xmin:.6g}..{xmax:.6g}, {ymin:.6g}..{ymax:.6g}) are not "
            "longitude/latitude degrees; the file's CRS is missing or wrong: pass crs= "
            "(for example 'EPSG:3857')"
        )
    _check_antimeridian(present, name, bounds)
    if coverage is None:
        return
    cx0, cy0, cx1, cy1 = coverage.bounds
    overlaps = xmin <= cx1 and xmax >= cx0 and ymin <= cy1 and ymax >= cy0
    overlaps_swapped = ymin <= cx1 and ymax >= cx0 and xmin <= cy1 and xmax >= cy0
    if not overlaps and overlaps_swapped:
        raise SwappedCoordinatesError(
            f"{name}: the features lie at lon {xmin:.2f}..{xmax:.2f}, lat {ymin:.2f}..{ymax:.2f}, "
            f"outside the map's coverage, but would fall inside it with x and y swapped: "
            f"the file looks like (lat, lon){hint}"
        )


def _check_antimeridian(geoms: np.ndarray, name: str, bounds=None) -> None:
    """Refuse a polygon spanning more than 180° of longitude: it crosses the antimeridian
    unsplit and would be measured the long way round the Earth. ``bounds``: those of
    ``geoms`` when the caller has them (none missing)."""
    present = np.asarray(geoms, dtype=object)
    if bounds is None:
        present = np.where(shapely.is_missing(present), shapely.Polygon(), present)
    b = shapely.bounds(present) if bounds is None else bounds
    if not ((b[:, 2] - b[:, 0]) > 180).any():
        return  # no feature that wide, so no part of one either
    parts, index = shapely.get_parts(present, return_index=True)
    if not len(parts):
        return
    b = shapely.bounds(parts)
    wide = np.flatnonzero((b[:, 2] - b[:, 0]) > 180)
    if wide.size:
        i = int(index[wide[0]])
        raise FormatError(
            f"{name}: feature {i} spans {b[wide[0], 2] - b[wide[0], 0]:.0f}° of longitude: it crosses "
            "the antimeridian without being split; split it at ±180° (RFC 7946, 3.1.9)"
        )


# ------------------------------------------------------------------ polygon files
def read_geometries(path, limits=None) -> list:
    """The geometries of a polygon file (``--aoi``, ``--place FILE``, ``--rear``), in the file's CRS
    converted to lon/lat where it states one.

    GeoJSON (lon/lat), KML/KMZ, GeoPackage, FlatGeobuf and Shapefile (also zipped), all
    through the gate; geometries only (a polygon file carries no labels).
    """
    return read_named_geometries(path, limits)[0]


def read_named_geometries(path, limits=None) -> tuple[list, list]:
    """``(geometries, names)`` of a polygon file: :func:`read_geometries` plus the ``name``
    property of each feature where the format has one (None elsewhere).

    Read exactly as a map is (:func:`mapdiff.io.read.read_raw`): the same gate, limits,
    nesting bound, CRS gate and geometry parsing, so a polygon file is never read more
    loosely than a map (GeometryCollections are kept whole, for the caller to take their
    polygons from).
    """
    raw = read_raw(check_input_path(path, "polygon file"), limits=limits)
    names = list(raw.table["name"]) if "name" in raw.table.columns else [None] * len(raw.geoms)
    return list(raw.geoms), names
