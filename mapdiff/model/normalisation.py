"""normalise: labelled lon/lat geometries into a :class:`~mapdiff.model.control_map.ControlMap`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

import numpy as np
import shapely

from ..errors import EmptyMapError
from ..labels import Label, as_label
from .control_map import ControlMap, NormalisationReport, Provenance, Repair
from .coverage import Coverage
from .measure import area_km2
from .shapes import mostly_outside, polygonal, polygonal_parts, union_touching

__all__ = ["normalise"]


def _make_valid(geoms: np.ndarray) -> np.ndarray:
    """``make_valid`` (structure) of polygonal ``geoms``, polygonal parts kept. A
    MultiPolygon of many parts is repaired part by part and the parts joined by
    :func:`union_touching` (GEOS on the whole: ~1 ms a part, 20,000 bow-ties 18 s)."""
    geoms = np.asarray(geoms, dtype=object)
    many = shapely.get_num_geometries(geoms) > _PARTWISE_MIN
    out = np.empty(len(geoms), dtype=object)
    if (~many).any():
        repaired = shapely.make_valid(geoms[~many], method="structure", keep_collapsed=False)
        out[~many] = polygonal_parts(repaired)
    for i in np.flatnonzero(many):
        parts = shapely.get_parts(geoms[i])
        bad = ~shapely.is_valid(parts)
        parts[bad] = polygonal_parts(shapely.make_valid(parts[bad], method="structure", keep_collapsed=False))
        out[i] = union_touching(parts)
    return out


_PARTWISE_MIN = 256


def _area_before_repair(geoms: np.ndarray) -> np.ndarray:
    """km² of invalid geometries; rings collapsed to one point (which GEOS cannot densify
    for projecting) are measured after repair, one by one, on this rare path only."""
    try:
        return area_km2(geoms)
    except shapely.errors.GEOSException:
        out = np.empty(len(geoms))
        for i, g in enumerate(geoms):
            try:
                out[i] = area_km2(g)
            except shapely.errors.GEOSException:
                out[i] = area_km2(shapely.make_valid(g, method="structure", keep_collapsed=False))
        return out


def _dissolve_label(parts: np.ndarray):
    """One (Multi)Polygon of a label's valid parts. Parts whose bounding boxes lie apart
    (a front cut to the boxes round separate places) cannot overlap or share an edge: their
    polygons make a valid MultiPolygon as they are; others are unioned."""
    if parts.size == 1:
        return parts[0]
    types = shapely.get_type_id(parts)
    if ((types == 3) | (types == 6)).all():
        if len(parts) > _PAIRWISE_MAX:  # pairs would be quadratic (20,000 squares: 6.5 GB)
            return union_touching(parts)
        b = shapely.bounds(parts)
        i, j = np.triu_indices(len(parts), k=1)
        apart = (b[i, 2] < b[j, 0]) | (b[j, 2] < b[i, 0]) | (b[i, 3] < b[j, 1]) | (b[j, 3] < b[i, 1])
        if apart.all():
            return shapely.multipolygons(shapely.get_parts(parts))
    return polygonal(shapely.union_all(parts))


_PAIRWISE_MAX = 1000


def normalise(
    features: Iterable[tuple[Label, object]],
    *,
    precedence: Sequence[Label] | None = None,
    coverage=None,
    background: Label | None = None,
    source: str = "unknown",
    as_of: dt.date | None = None,
    scope: Sequence[str] = (),
    provenance: Provenance | None = None,
    repairs: Sequence[Repair] = (),
    n_features: int | None = None,
    drop_mostly_outside: bool = True,
) -> ControlMap:
    """Build a :class:`ControlMap` from labelled lon/lat geometries.

    Steps: drop empty geometries; drop Z; keep polygonal parts; repair invalid
    geometries with ``make_valid``; drop features that lie outside the coverage; resolve
    overlaps between labels by ``precedence`` (first wins); dissolve per label. Each
    step that changes anything is recorded in the report with the area it moved.

    Parameters
    ----------
    features : iterable of (Label, geometry)
        Geometries in EPSG:4326 (lon/lat).
    precedence : sequence of Label, optional
        Which label wins where labels overlap, highest first; labels not listed come
        after, in order of first appearance.
    coverage : geometry, optional
        Where the map speaks; features entirely outside it are dropped (the rest is
        clipped to it when measured, and the area clipped off is reported).
    background : Label, optional
        What the map implies where it draws nothing, inside ``coverage``.
    source, as_of, scope, provenance
        Carried into the map.
    repairs : sequence of Repair
        Repairs already made upstream (reading), to carry into the report.
    n_features : int, optional
        Features read upstream (defaults to the number given here).
    drop_mostly_outside : bool, default True
        Also drop features whose representative point lies outside ``coverage`` and of
        which less than half lies inside (political polygons over a neighbouring country
        that graze the border). Turn off for sources that draw no such polygons but do
        draw features straddling the border, so that their inside part counts.

    Returns
    -------
    ControlMap

    Raises
    ------
    EmptyMapError
        When no feature with area is left.

    Examples
    --------
    >>> import shapely
    >>> from mapdiff.labels import Label
    >>> ru, grey = Label("controlled", "RU"), Label("contested", None)
    >>> m = normalise([(ru, shapely.box(0, 0, 2, 2)), (grey, shapely.box(1, 0, 3, 2))],
    ...               precedence=[grey, ru], source="demo")
    >>> m.labels
    (Label('contested', None), Label('controlled', 'RU'))
    >>> [r.kind for r in m.report.repairs]
    ['overlap_resolved']
    """
    feats = list(features)
    n_in = len(feats) if n_features is None else n_features
    repairs = list(repairs)
    if not feats:
        raise EmptyMapError(f"{source}: the input holds no labelled feature")
    labels = [as_label(lab) for lab, _ in feats]
    geoms = np.asarray([g for _, g in feats], dtype=object)
    keep = _keep_areal(geoms, repairs)
    _repair_invalid(geoms, keep, repairs)
    if coverage is not None:
        _drop_outside(geoms, keep, coverage, drop_mostly_outside, repairs)
    if not keep.any():
        raise EmptyMapError(
            f"{source}: no polygon with area is left after normalisation "
            f"({n_in} features read); check the file holds polygons inside the map's coverage"
        )
    dissolved = _dissolve(labels, geoms, keep, precedence)
    final_labels, final_geoms = _resolve_overlaps(dissolved, repairs)
    report = NormalisationReport(n_in, int(keep.sum()), tuple(repairs))
    prov = provenance or Provenance(source, "custom")
    return ControlMap(
        tuple(final_labels),
        tuple(final_geoms),
        Coverage.whole(coverage),
        background,
        source,
        as_of,
        tuple(scope),
        prov,
        report,
    )


def _keep_areal(geoms: np.ndarray, repairs: list) -> np.ndarray:
    """Which features have area; drops Z and keeps the polygons of collections, in place.
    Records the empty, Z and non-areal features in ``repairs``."""
    empty = shapely.is_missing(geoms)
    empty[~empty] = shapely.is_empty(geoms[~empty])
    if empty.any():
        repairs.append(Repair("empty_dropped", int(empty.sum()), 0.0, "features without geometry"))

    has_z = np.zeros(len(geoms), dtype=bool)
    has_z[~empty] = shapely.has_z(geoms[~empty])
    if has_z.any():
        geoms[has_z] = shapely.force_2d(geoms[has_z])
        repairs.append(Repair("z_dropped", int(has_z.sum()), 0.0, "Z coordinates removed"))

    keep = ~empty
    types = np.full(len(geoms), -1)
    types[keep] = shapely.get_type_id(geoms[keep])
    collection = types == 7
    if collection.any():
        geoms[collection] = polygonal_parts(geoms[collection])
        types[collection] = shapely.get_type_id(geoms[collection])
        types[collection & shapely.is_empty(geoms)] = -2
    non_areal = keep & (types != 3) & (types != 6)
    if non_areal.any():
        repairs.append(
            Repair(
                "non_areal_dropped",
                int(non_areal.sum()),
                0.0,
                "points, lines and empty collections carry no area",
            )
        )
        keep &= ~non_areal
    return keep


def _repair_invalid(geoms: np.ndarray, keep: np.ndarray, repairs: list) -> None:
    """Repairs the invalid kept ``geoms`` in place (``make_valid``); those left empty are
    no longer kept. Records the area the repair moved."""
    idx = np.flatnonzero(keep)
    if not idx.size:
        return
    invalid = idx[~shapely.is_valid(geoms[idx])]
    if not invalid.size:
        return
    before = _area_before_repair(geoms[invalid])
    geoms[invalid] = _make_valid(geoms[invalid])
    for i in invalid[~shapely.is_valid(geoms[invalid])]:
        # GEOS can return parts sharing an edge (a ring that doubles back): dissolve
        geoms[i] = polygonal(shapely.make_valid(shapely.union_all(shapely.get_parts(geoms[i]))))
    after = area_km2(geoms[invalid])
    repairs.append(
        Repair(
            "invalid_geometry",
            int(invalid.size),
            float(np.abs(after - before).sum()),
            "repaired with make_valid (structure); area is |after - before|",
        )
    )
    keep[invalid[shapely.is_empty(geoms[invalid])]] = False


def _drop_outside(
    geoms: np.ndarray, keep: np.ndarray, coverage, drop_mostly_outside: bool, repairs: list
) -> None:
    """No longer keeps the features outside ``coverage`` (and, with ``drop_mostly_outside``,
    those mostly outside: a political polygon over a neighbouring country that grazes the
    border, its representative point outside and under half its area inside)."""
    idx = np.flatnonzero(keep)
    shapely.prepare(coverage)
    out = idx[~shapely.intersects(coverage, geoms[idx])]
    rest = np.setdiff1d(idx, out) if drop_mostly_outside else idx[:0]
    out = np.concatenate([out, rest[mostly_outside(geoms[rest], coverage)]])
    if out.size:
        repairs.append(
            Repair(
                "outside_coverage_dropped",
                int(out.size),
                float(area_km2(geoms[out]).sum()),
                "features (mostly) outside the map's coverage",
            )
        )
        keep[out] = False


def _dissolve(labels: list, geoms: np.ndarray, keep: np.ndarray, precedence) -> list:
    """(label, one dissolved geometry) of each label kept, in precedence order (labels not
    listed after, in order of first appearance)."""
    order: list[Label] = []
    for lab in list(precedence or []) + labels:
        lab = as_label(lab)
        if lab not in order:
            order.append(lab)
    kept_labels = [labels[i] for i in np.flatnonzero(keep)]
    kept_geoms = geoms[keep]
    dissolved = []
    for lab in order:
        parts = kept_geoms[[k == lab for k in kept_labels]]
        if parts.size:
            dissolved.append((lab, _dissolve_label(parts)))
    return dissolved


def _resolve_overlaps(dissolved: list, repairs: list) -> tuple[list, list]:
    """(labels, geometries) without overlaps: a lower label loses what higher ones hold
    (sequential differences against each intersecting higher label; cheaper than growing a
    union). Labels left empty are dropped; the area moved is recorded."""
    final_labels, final_geoms, moved, n_moved = [], [], 0.0, 0
    for lab, g in dissolved:
        hits = [h for h in final_geoms if shapely.intersects(h, g)]
        if hits:
            before = area_km2(g)
            for h in hits:
                g = polygonal(shapely.difference(g, h))
            delta = before - area_km2(g)
            if delta > 0:
                moved += delta
                n_moved += 1
        if g.is_empty:
            continue
        final_labels.append(lab)
        final_geoms.append(g)
    if n_moved:
        repairs.append(
            Repair(
                "overlap_resolved",
                n_moved,
                moved,
                "area drawn under several labels kept by the higher one: "
                + " > ".join(str(x) for x in final_labels),
            )
        )
    return final_labels, final_geoms
