"""Reading maps: the one pipeline from a file to a normalised ControlMap.

:func:`read_map` takes a path, a binary file-like object or a GeoDataFrame, reads its
features (:mod:`mapdiff.io.detect` picks the format: GeoJSON and wrapped JSON natively in
:mod:`mapdiff.io.geojson`; GeoPackage, Shapefile, FlatGeobuf, GeoParquet and KML/KMZ in
:mod:`mapdiff.io.formats` and :mod:`mapdiff.io.kml`), recognises the source by content
unless ``source=`` is given, and :func:`map_from_raw` applies the source's profile, checks
the coordinates and returns a normalised :class:`~mapdiff.model.control_map.ControlMap`.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import shapely

from .._dates import as_date
from .._dirs import cache_enabled
from ..config import check_vertices, current_limits, register_cache
from ..errors import (
    CRSError,
    EmptyMapError,
    FormatError,
    MapdiffError,
    MapdiffWarning,
    SwappedCoordinatesError,
    UnknownSourceError,
    quote,
)
from ..labels import clean_text
from ..model.control_map import ControlMap, NormalisationReport, Provenance, Repair
from ..model.coverage import Coverage
from ..model.measure import area_km2
from ..model.normalisation import normalise
from ..model.shapes import mostly_outside, polygonal, polygonal_parts
from ..places.footprints import as_footprint
from ..places.regions import drawn_beyond, drawn_extent, region
from ..profiles import Profile, detect_profile, get_profile
from . import cache as _cache
from .detect import read_raw, read_raw_bytes
from .formats import RawMap
from .gate import check_input_path, read_input_bytes

if TYPE_CHECKING:  # pandas is imported where a file is parsed: a read from the cache needs none
    import pandas as pd

__all__ = [
    "RawMap",
    "check_input_path",
    "map_from_raw",
    "read_geometries",
    "read_input_bytes",
    "read_map",
    "read_named_geometries",
    "read_raw",
]


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
        if cache_enabled():
            return _read_map_cached(src, source, limits, layer)
    raw = read_raw(src, crs=crs, limits=limits, layer=layer)
    return map_from_raw(raw, source, as_of, swap_xy=swap_xy, coverage=coverage, clip=clip)


def _read_map_cached(src, source, limits, layer) -> ControlMap:
    """:func:`read_map` of a file through the read cache (see its ``cache``)."""
    path = check_input_path(src)
    if path.suffix.lower() == ".shp":  # several files make one map: read as it is
        return map_from_raw(read_raw(path, limits=limits, layer=layer), source)
    data = read_input_bytes(path, limits)
    digest = hashlib.sha256(data).hexdigest()
    prof_key = source.name if isinstance(source, Profile) else source
    key = _cache.read_key(digest, prof_key, f"limits={current_limits(limits)!r}|layer={layer}")
    hit = _cache.load(key, read_as=str(path))
    if hit is not None:
        return hit
    raw = read_raw_bytes(data, path.name, None, str(path), limits, layer=layer)
    check_vertices(raw.geoms, raw.name, limits)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        m = map_from_raw(raw, source)
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
        warnings.warn(
            f"cannot write the read cache in {_cache.cache_dir()} ({exc}); going on without it "
            f"(set {_cache.CACHE_ENV} to a writable folder, or MAPDIFF_NO_CACHE=1)",
            MapdiffWarning,
            stacklevel=3,
        )
    return m


def map_from_raw(
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


_BOXES: dict = register_cache({})


def _boxes_of(items):
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


_COVER_IN: dict = register_cache({})


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
            if a.side == b.side or profile.rank(a) != profile.rank(b):
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
