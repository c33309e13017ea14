"""Fetching real place boundaries (OpenStreetMap through Nominatim) into an on-disk cache.

Design
------
The shipped gazetteer has real limits for six cities and five frontline towns; for the
other towns it has their hromada (an upper bound) and an approximate disc. When online,
:func:`fetch_footprint` asks a Nominatim server
(``/search?format=jsonv2&polygon_geojson=1``) for the place, keeps the polygon whose
area contains the gazetteer's official centre (there are many Pokrovsks), and writes
it to the cache as a GeoJSON Feature with the licence the server states (OSM data is
ODbL 1.0), the OSM id, the query URL, the time and a hash of the response. From then
on :func:`mapdiff.footprint` prefers this ``osm_boundary`` footprint.

* Only hosts in :data:`ALLOWED_HOSTS` over https (and loopback, for tests and local
  mirrors) are contacted, through :mod:`mapdiff._http` (the one client); the base URL
  is configurable (argument or ``MAPDIFF_NOMINATIM_URL``).
* The cache lives in ``footprints/`` below the cache root (:mod:`mapdiff._dirs`);
  ``MAPDIFF_CACHE_DIR`` sets the root. Files are written atomically.
* ``MAPDIFF_OFFLINE=1`` forbids any network access. Failures raise
  :class:`~mapdiff.errors.FetchError` saying what was tried and what still works.

Not done: the HDX COD-AB settlement layer (a large archive; download it yourself and
pass the polygon with ``footprint_from_file``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import math
import urllib.parse

import numpy as np
import shapely

from .. import config
from .._http import get
from ..config import check_json_depth
from ..errors import DownloadError
from ..io.atomic import write_text
from ..model.measure import area_km2, to_equal_area
from . import footprints as fpm, names
from ._cache import OSM_BOUNDARY, cache_dir, cache_file, cached_boundary

__all__ = [
    "ALLOWED_HOSTS",
    "DEFAULT_NOMINATIM_URL",
    "OSM_BOUNDARY",
    "cache_dir",
    "cached_boundary",
    "fetch_footprint",
]

DEFAULT_NOMINATIM_URL = config.SETTINGS["MAPDIFF_NOMINATIM_URL"].default
#: Hosts :func:`fetch_footprint` may contact (loopback is always allowed).
ALLOWED_HOSTS = ("nominatim.openstreetmap.org",)
_MAX_BYTES = 32 * 1024 * 1024
_MAX_CENTRE_KM = 3.0  # a polygon not containing the centre must lie within this distance
# what a town's boundary can measure: with the gazetteer's area, within this factor of it;
# without, within these bounds (a 3 m square, or a raion of 2,000 km², is not a town)
_AREA_FACTOR = 4.0
_TOWN_KM2 = (0.05, 1500.0)
# Nominatim address types of units larger than a town (a raion, an oblast, a hromada)
_NOT_A_TOWN = frozenset({"district", "county", "state", "region", "province", "country", "municipality"})
log = logging.getLogger("mapdiff")


def _pick(places: list, centre, url: str, official_km2: float | None = None):
    """The polygon that is the town: around the official centre, closest to the official area.

    Candidates are the polygonal results containing the official centre (or within
    ``_MAX_CENTRE_KM`` of it). Nominatim may answer with both the town and its larger
    municipality (hromada) or district; among the candidates the one whose area is
    closest (by ratio) to the official area wins, or the smallest when no area is known.
    """
    cands = []  # (distance_km, area_km2, index, geometry)
    for i, place in enumerate(places):
        g = place.get("geojson") if isinstance(place, dict) else None
        if not isinstance(g, dict) or g.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        if str(place.get("addresstype") or "").lower() in _NOT_A_TOWN:
            continue
        try:
            geom = shapely.make_valid(shapely.from_geojson(json.dumps(g)))
        except (shapely.errors.GEOSException, ValueError, TypeError):
            continue
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            continue
        d = 0.0
        if centre is not None:
            proj_geom, proj_pt = to_equal_area(
                np.asarray([geom, shapely.Point(centre)], dtype=object), centre=centre
            )
            d = proj_geom.distance(proj_pt) / 1000.0
        if d <= _MAX_CENTRE_KM:
            cands.append((d, float(area_km2(geom)), i, geom))
    if not cands:
        where = f" containing the official centre {centre[1]:.4f} N, {centre[0]:.4f} E" if centre else ""
        raise DownloadError(f"{url}: no boundary polygon{where} in the answer ({len(places)} results)")
    inside = [c for c in cands if c[0] == 0.0] or cands
    if official_km2:
        best = min(inside, key=lambda c: (abs(math.log(max(c[1], 1e-9) / official_km2)), c[2]))
    else:
        best = min(inside, key=lambda c: (c[1], c[2]))
    km2 = best[1]
    lo, hi = (official_km2 / _AREA_FACTOR, official_km2 * _AREA_FACTOR) if official_km2 else _TOWN_KM2
    if not lo <= km2 <= hi:
        known = f"the gazetteer's {official_km2:g} km²" if official_km2 else "a town's"
        raise DownloadError(
            f"{url}: the best boundary in the answer measures {km2:,.3f} km², not plausibly the town "
            f"(outside {lo:g}..{hi:g} km², {known}); nothing was cached: pass a polygon file instead"
        )
    return (
        best[2],
        best[3],
        [(places[c[2]].get("osm_type"), places[c[2]].get("osm_id"), round(c[1], 3)) for c in cands],
    )


def fetch_footprint(
    name: str,
    *,
    base_url: str | None = None,
    query: str | None = None,
    timeout: float = 30.0,
    refresh: bool = False,
):
    """Fetch the real boundary of a gazetteer place from OpenStreetMap (Nominatim) into the cache.

    Parameters
    ----------
    name : str
        A gazetteer name or alias ("Pokrovsk", "Красноармейск").
    base_url : str, optional
        Nominatim server; default ``MAPDIFF_NOMINATIM_URL`` or
        :data:`DEFAULT_NOMINATIM_URL`. Only declared hosts and loopback are contacted.
    query : str, optional
        Free-form query; default ``"<name>, <oblast> Oblast, Ukraine"`` from the gazetteer.
    timeout : float
        Seconds per network read; the whole request is abandoned after ``4 * timeout``.
    refresh : bool, default False
        Fetch again even when the place is cached.

    Returns
    -------
    Footprint
        Of kind ``osm_boundary``; :func:`mapdiff.footprint` returns it from then on.

    Raises
    ------
    FetchError
        Offline, host not allowed, HTTP error, bad JSON, or no polygon around the
        official centre in the answer.

    Examples
    --------
    >>> fp = fetch_footprint("Pokrovsk")              # doctest: +SKIP
    >>> fp.kind                                       # doctest: +SKIP
    'osm_boundary'
    """
    canon = fpm.resolve_name(name)
    if not refresh and cached_boundary(canon) is not None:
        log.debug("fetch_footprint %s: cache hit %s", canon, cache_file(canon))
        return fpm.footprint(canon, kind=OSM_BOUNDARY)
    log.debug("fetch_footprint %s: %s", canon, "refresh requested" if refresh else "cache miss")
    entries, _ = names.tables()
    row = entries[canon]["row"]
    centre = fpm.footprint(canon).centre
    if query is None:
        oblast = f", {row['oblast']} Oblast" if row and row.get("oblast") else ""
        query = f"{canon}{oblast}, Ukraine"
    base = (base_url or config.setting("MAPDIFF_NOMINATIM_URL")).rstrip("/")
    params = urllib.parse.urlencode(
        {"q": query, "format": "jsonv2", "polygon_geojson": 1, "limit": 10, "accept-language": "en"}
    )
    url = f"{base}/search?{params}"
    data = get(
        url,
        hosts=ALLOWED_HOSTS,
        what="boundary server",
        max_bytes=_MAX_BYTES,
        timeout_s=timeout,
        deadline_s=4 * timeout,
        accept="application/json",
        hint="are you offline? The shipped gazetteer (approximate footprints) still works, "
        "or pass a polygon file",
    )
    check_json_depth(data, url)  # GEOS's GeoJSON reader crashes on deep nesting
    try:
        places = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise DownloadError(f"{url}: the answer is not JSON (is this a Nominatim server?)") from None
    if not isinstance(places, list):
        raise DownloadError(
            f"{url}: expected a JSON list of places (Nominatim jsonv2), got {type(places).__name__}"
        )
    stated = (row or {}).get("area_km2", "") or ""
    i, geom, candidates = _pick(places, centre, url, float(stated) if stated.strip() else None)
    place = places[i]
    licence = place.get("licence") or "Data © OpenStreetMap contributors, ODbL 1.0. https://osm.org/copyright"
    props = {
        "name": canon,
        "kind": OSM_BOUNDARY,
        "licence": licence,
        "osm_type": place.get("osm_type"),
        "osm_id": place.get("osm_id"),
        "display_name": place.get("display_name"),
        "category": place.get("category", place.get("class")),
        "type": place.get("type"),
        "query": query,
        "url": url,
        "area_km2": round(float(area_km2(geom)), 6),
        "candidates": [{"osm_type": t, "osm_id": o, "area_km2": a} for t, o, a in candidates],
        "fetched_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "response_sha256": hashlib.sha256(data).hexdigest(),
    }
    feature = {"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(geom))}
    write_text(cache_file(canon), json.dumps(feature, ensure_ascii=False))
    return fpm.footprint(canon, kind=OSM_BOUNDARY)
