"""Write the JSON Schemas of mapdiff's JSON outputs into ``docs/schemas/`` (one file per ``type``).

The files are what validators and the docs site read; this script is how they are kept
consistent (shared definitions: ISO dates, GeoJSON geometries, km², shares). Run
``python tools/make_schemas.py`` after changing a shape; ``tests/test_json_schemas.py``
checks the files match it.
"""

import json
import sys
from pathlib import Path

from mapdiff.claims.tracker import STATUSES

OUT = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "docs" / "schemas"
BASE = "urn:mapdiff:schema:"
#: Schemas kept by hand in docs/schemas (this script neither writes nor checks them).
HAND_WRITTEN = ()

DEFS = {
    "date": {
        "type": ["string", "null"],
        "format": "date",
        "pattern": r"^\d{4}-\d{2}-\d{2}$",
        "description": "ISO date (YYYY-MM-DD), or null when unknown",
    },
    "number_or_null": {"type": ["number", "null"], "description": "a finite number, or null (never NaN)"},
    "km2": {"type": "number", "minimum": 0, "description": "area in km² (equal-area projection)"},
    "share": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
    "side": {"type": ["string", "null"]},
    "strings": {"type": "array", "items": {"type": "string"}},
    "position": {"type": "array", "minItems": 2, "maxItems": 3, "items": {"type": "number"}},
    "geometry": {
        "description": "a GeoJSON geometry object (RFC 7946), lon/lat",
        "type": "object",
        "required": ["type"],
        "properties": {
            "type": {
                "enum": [
                    "Point",
                    "MultiPoint",
                    "LineString",
                    "MultiLineString",
                    "Polygon",
                    "MultiPolygon",
                    "GeometryCollection",
                ]
            },
            "coordinates": {"type": "array"},
            "geometries": {"type": "array"},
        },
    },
    "footprint_ref": {
        "type": ["object", "null"],
        "required": ["name", "footprint_kind", "approximate"],
        "properties": {
            "name": {"type": "string"},
            "footprint_kind": {"type": "string"},
            "approximate": {"type": "boolean"},
            "upper_bound": {"type": "boolean", "description": "a community (hromada): the town and more"},
            "area_km2": {"type": "number", "minimum": 0},
            "provenance": {"type": ["string", "null"]},
        },
    },
}


def schema(type_, title, description, properties, required, defs=()):
    props = {
        "schema_version": {
            "const": 1,
            "description": "version of the JSON shape (mapdiff._json.SCHEMA_VERSION)",
        },
        "type": {"const": type_, "description": "names the result"},
        **properties,
    }
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE}{type_}",
        "title": title,
        "description": description,
        "type": "object",
        "required": ["schema_version", "type", *required],
        "properties": props,
    }
    used = set()
    text = json.dumps(doc)
    for k in DEFS:
        if f"#/$defs/{k}" in text:
            used.add(k)
    # defs used by defs
    for k in list(used):
        for j in DEFS:
            if f"#/$defs/{j}" in json.dumps(DEFS[k]):
                used.add(j)
    if used:
        doc["$defs"] = {k: DEFS[k] for k in DEFS if k in used}
    (OUT / f"{type_}.schema.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")


CLAIM_ROW = {
    "type": "object",
    "required": ["who", "date", "place", "side", "kind", "source", "release", "share", "verdict"],
    "properties": {
        "who": {"type": "string"},
        "date": {"$ref": "#/$defs/date"},
        "place": {"type": "string"},
        "side": {"type": "string"},
        "kind": {"type": "string", "description": "the kind of claim"},
        "claimed": {"$ref": "#/$defs/share"},
        "source": {"type": "string"},
        "release": {"$ref": "#/$defs/date"},
        "gap_days": {"type": ["integer", "null"]},
        "share": {"$ref": "#/$defs/share"},
        "verdict": {"type": ["string", "null"]},
        "footprint_kind": {"type": ["string", "null"]},
        "approximate": {"type": ["boolean", "null"]},
    },
}
R = lambda name: {"$ref": f"#/$defs/{name}"}  # noqa: E731
ARR = lambda items: {"type": "array", "items": items}  # noqa: E731
NUM = {"type": "number"}
STR = {"type": "string"}
BOOL = {"type": "boolean"}
NSTR = {"type": ["string", "null"]}
#: {side: {gained_km2, lost_km2, net_km2}} of changes and release reports
SIDES_KM2 = {
    "type": "object",
    "additionalProperties": {
        "type": "object",
        "required": ["gained_km2", "lost_km2", "net_km2"],
        "properties": {"gained_km2": R("km2"), "lost_km2": R("km2"), "net_km2": NUM},
    },
}
label = {"type": "object", "required": ["status", "side"], "properties": {"status": STR, "side": R("side")}}

schema(
    "map_info",
    "Map (mapdiff info, ControlMap.to_dict)",
    "One release after normalisation: its labels with areas, scope notes, provenance and the repairs made.",
    {
        "source": STR,
        "as_of": R("date"),
        "background": {"oneOf": [{"type": "null"}, label]},
        "labels": ARR(
            {
                "type": "object",
                "required": ["status", "side", "area_km2", "drawn"],
                "properties": {"status": STR, "side": R("side"), "area_km2": R("km2"), "drawn": BOOL},
            }
        ),
        "scope": R("strings"),
        "provenance": {
            "type": "object",
            "required": ["source", "profile", "path", "sha256"],
            "properties": {
                "source": STR,
                "profile": STR,
                "path": NSTR,
                "sha256": {"type": ["string", "null"], "pattern": "^[0-9a-f]{64}$"},
                "as_of_from": NSTR,
            },
        },
        "report": {
            "type": "object",
            "required": ["n_features", "n_used", "repairs"],
            "properties": {
                "n_features": {"type": "integer"},
                "n_used": {"type": "integer"},
                "repairs": ARR(
                    {
                        "type": "object",
                        "required": ["repair", "count", "area_km2"],
                        "properties": {
                            "repair": STR,
                            "count": {"type": "integer"},
                            "area_km2": NUM,
                            "detail": NSTR,
                        },
                    }
                ),
            },
        },
    },
    ["source", "as_of", "labels", "scope", "provenance", "report"],
)

row_num = {
    "type": "object",
    "additionalProperties": {"type": ["number", "string", "integer", "null", "boolean"]},
}
schema(
    "comparison",
    "Comparison (mapdiff compare, Comparison.to_dict)",
    "Two maps over an area of interest: crosstab in km², disagreement by cause (scope, noise, real), "
    "per-label metrics, front-line displacement, tolerance curve and the largest real disagreements.",
    {
        "aoi": R("footprint_ref"),
        "approximate": {"type": "boolean", "description": "the AOI is an approximate footprint"},
        "aoi_km2": R("km2"),
        "noise_m": NUM,
        "sources": {
            "type": "array",
            "minItems": 2,
            "maxItems": 2,
            "items": {
                "type": "object",
                "required": ["role", "source", "as_of", "path", "sha256"],
                "properties": {
                    "role": {"enum": ["a", "b"]},
                    "source": STR,
                    "source_name": {"type": "string", "description": "what readers call the source"},
                    "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
                    "as_of": R("date"),
                    "path": NSTR,
                    "sha256": NSTR,
                },
            },
        },
        "crosstab": ARR(
            {
                "type": "object",
                "required": ["a_status", "a_side", "b_status", "b_side", "area_km2"],
                "properties": {
                    "a_status": STR,
                    "a_side": R("side"),
                    "b_status": STR,
                    "b_side": R("side"),
                    "area_km2": R("km2"),
                },
            }
        ),
        "disagreement_km2": {
            "type": "object",
            "required": ["scope", "noise", "real", "total"],
            "additionalProperties": R("km2"),
        },
        "metrics": ARR({**row_num, "required": ["label", "a_km2", "b_km2", "iou"]}),
        "displacement": ARR({**row_num, "required": ["side", "median_km", "max_km"]}),
        "tolerance": ARR({**row_num, "required": ["d_m", "disagreement_km2", "share_of_aoi"]}),
        "components": ARR(
            {
                "type": "object",
                "required": ["rank", "area_km2", "a_label", "b_label", "lon", "lat", "place"],
                "properties": {
                    "rank": {"type": "integer", "minimum": 1},
                    "area_km2": R("km2"),
                    "a_label": NSTR,
                    "b_label": NSTR,
                    "lon": NUM,
                    "lat": NUM,
                    "place": NSTR,
                    "place_km": R("number_or_null"),
                },
            }
        ),
        "n_components": {"type": "integer", "minimum": 0},
        "scope_notes": R("strings"),
        "grey_notes": R("strings"),
    },
    ["aoi_km2", "sources", "crosstab", "disagreement_km2", "metrics", "components", "scope_notes"],
)

enc_props = {
    "place": STR,
    "by": STR,
    "defender": NSTR,
    "grey": {"enum": ["passable", "blocking"]},
    "enclosed": {"type": ["boolean", "null"]},
    "fire_controlled": BOOL,
    "closed": BOOL,
    "verdict": STR,
    "corridor_km": R("number_or_null"),
    "corridor_lower_bound": BOOL,
    "corridor_line": {"oneOf": [{"type": "null"}, R("geometry")]},
    "fire_range_km": R("number_or_null"),
    "holding_km2": R("km2"),
    "enclosed_km2": R("km2"),
    "perimeter_share": R("share"),
    "grey_perimeter_share": R("share"),
    "radius_km": NUM,
    "touches_edge": BOOL,
    "rear": STR,
    "source": STR,
    "source_name": {"type": "string", "description": "what readers call the source"},
    "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
    "as_of": R("date"),
    "footprint_kind": STR,
    "approximate": BOOL,
    "notes": R("strings"),
}
enc_required = [
    "place",
    "by",
    "enclosed",
    "verdict",
    "corridor_km",
    "corridor_line",
    "holding_km2",
    "source",
    "as_of",
    "footprint_kind",
    "approximate",
    "notes",
]
schema(
    "encirclement",
    "Encirclement (mapdiff encircle, Encirclement.to_dict)",
    "Whether a side's holding in a place is cut off, and how wide the way out is; the narrowest "
    "corridor as a GeoJSON LineString.",
    enc_props,
    enc_required,
)

schema(
    "claim_check",
    "Claim check (mapdiff claim, ClaimCheck.to_dict)",
    "One claim checked on one map: verdict, the side's share under each grey-zone policy, areas, "
    "the sensitivity to the footprint, and the caveats. kind is the kind of claim.",
    {
        "place": STR,
        "side": STR,
        "kind": {"enum": ["share", "captured", "encircled"], "description": "the kind of claim"},
        "claimed": R("share"),
        "verdict": STR,
        "policy": STR,
        "share": R("share"),
        "policies": {"type": "object", "additionalProperties": R("share")},
        "held_km2": R("km2"),
        "grey_km2": R("km2"),
        "footprint_km2": R("km2"),
        "covered_km2": R("km2"),
        "covered_share": R("share"),
        "short_km2": R("number_or_null"),
        "tolerance": NUM,
        "footprint_kind": STR,
        "approximate": BOOL,
        "sensitivity": ARR(
            {
                "type": "object",
                "required": ["footprint_kind", "footprint_km2", "approximate", "policy", "verdict"],
                "properties": {
                    "footprint_kind": STR,
                    "footprint_km2": R("km2"),
                    "approximate": BOOL,
                    "policy": STR,
                    "share": R("share"),
                    "held_km2": R("km2"),
                    "verdict": STR,
                    "corridor_km": R("number_or_null"),
                },
            }
        ),
        "source": STR,
        "source_name": {"type": "string", "description": "what readers call the source"},
        "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
        "as_of": R("date"),
        "provenance": STR,
        "notes": R("strings"),
        "detail": {
            "description": "the encirclement answer for kind encircled (see encirclement.schema.json)",
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["type", "enclosed", "verdict"],
                    "properties": {
                        "type": {"const": "encirclement"},
                        "corridor_line": {"oneOf": [{"type": "null"}, R("geometry")]},
                    },
                },
            ],
        },
    },
    [
        "place",
        "side",
        "kind",
        "claimed",
        "verdict",
        "policy",
        "share",
        "held_km2",
        "footprint_km2",
        "footprint_kind",
        "approximate",
        "sensitivity",
        "source",
        "as_of",
        "provenance",
        "notes",
    ],
)

PARENTS = ARR(
    {
        "type": "object",
        "required": ["id", "level", "name"],
        "properties": {"id": STR, "level": STR, "name": STR},
    }
)

schema(
    "footprint",
    "Footprint (mapdiff place, Footprint.to_dict)",
    "A named area: its kind (footprint_kind), whether it is an approximate stand-in, its area, "
    "provenance and the geometry as GeoJSON. mapdiff place adds kinds, the kinds available.",
    {
        "name": STR,
        "oblast": STR,
        "footprint_kind": STR,
        "rung": {"type": "string", "description": "the footprint kind without its buffer"},
        "approximate": BOOL,
        "upper_bound": BOOL,
        "area_km2": R("km2"),
        "provenance": STR,
        "aliases": R("strings"),
        "centre": {"oneOf": [{"type": "null"}, R("position")]},
        "id": {"type": "string", "description": "relation/N, oblast/<slug>; '' for a user polygon"},
        "level": {"type": "string", "description": "oblast, raion, hromada, settlement, town, or ''"},
        "parents": PARENTS,
        "geometry": R("geometry"),
        "kinds": R("strings"),
    },
    ["name", "footprint_kind", "approximate", "area_km2", "provenance", "geometry"],
)

schema(
    "region_shares",
    "Region shares (mapdiff regions, RegionShares.to_dict)",
    "Per oblast, raion or hromada and per map: the unit's area, the part the map covers, and per "
    "side the km² held and its share of the covered part (<SIDE>_km2, <SIDE>_share), the grey zone "
    "(null for a source without a grey class).",
    {
        "level": STR,
        "parent": NSTR,
        "sides": R("strings"),
        "licence": STR,
        "notes": R("strings"),
        "rows": ARR(
            {
                "type": "object",
                "required": ["source", "date", "id", "name", "area_km2", "covered_km2", "not_covered_km2"],
                "properties": {
                    "source": STR,
                    "date": R("date"),
                    "id": STR,
                    "name": STR,
                    "level": STR,
                    "oblast": STR,
                    "footprint_kind": STR,
                    "approximate": BOOL,
                    "area_km2": R("km2"),
                    "covered_km2": R("km2"),
                    "not_covered_km2": R("km2"),
                    "covered_share": R("share"),
                    "grey_km2": {"type": ["number", "null"], "minimum": 0},
                    "grey_share": R("share"),
                },
            }
        ),
    },
    ["level", "parent", "sides", "licence", "notes", "rows"],
)

schema(
    "admin_places",
    "Administrative places (mapdiff place --list --level LEVEL)",
    "The units of one level of Ukraine's administrative map (OpenStreetMap, ODbL): id, names, "
    "parents, KATOTTH code, population tag, geodesic areas of the shipped and of OSM's polygon.",
    {
        "level": {"enum": ["oblast", "raion", "hromada", "settlement"]},
        "parent": NSTR,
        "licence": STR,
        "places": ARR(
            {
                "type": "object",
                "required": ["id", "level", "name", "names", "parents", "area_km2"],
                "properties": {
                    "id": STR,
                    "level": STR,
                    "name": STR,
                    "names": R("strings"),
                    "parents": PARENTS,
                    "katotth": STR,
                    "population": STR,
                    "area_km2": R("km2"),
                    "area_km2_osm": R("km2"),
                    "source": STR,
                },
            }
        ),
    },
    ["level", "parent", "licence", "places"],
)

schema(
    "changes",
    "Changes (mapdiff changes, Changes.to_dict)",
    "Land gained and lost per side between two releases of one source, with the connected pieces "
    "named after the nearest place.",
    {
        "source": STR,
        "source_name": {"type": "string", "description": "what readers call the source"},
        "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
        "old": R("date"),
        "new": R("date"),
        "aoi": NSTR,
        "aoi_kind": {"type": ["string", "null"], "description": "footprint kind of the AOI"},
        "approximate": BOOL,
        "sides": SIDES_KM2,
        "components": ARR(
            {
                "type": "object",
                "required": ["side", "change", "area_km2", "place", "distance_km"],
                "properties": {
                    "side": STR,
                    "change": {"enum": ["gained", "lost"]},
                    "area_km2": R("km2"),
                    "place": NSTR,
                    "distance_km": R("number_or_null"),
                },
            }
        ),
        "places": {"type": "string", "description": "with --places: the set of places"},
        "threshold": {"type": "number", "description": "share at which a side holds a place"},
        "grey_threshold": {"type": "number", "description": "grey share at which a place is grey"},
        "places_changed": ARR(
            {
                "type": "object",
                "required": ["id", "name", "parents", "from", "to", "before", "after", "approximate"],
                "properties": {
                    "id": STR,
                    "name": STR,
                    "parents": R("strings"),
                    "from": {"type": "string", "description": "held:<SIDE>, contested, grey or not covered"},
                    "to": STR,
                    "before": {"type": "object", "description": "share per side and grey, before"},
                    "after": {"type": "object", "description": "share per side and grey, after"},
                    "approximate": BOOL,
                },
            }
        ),
    },
    ["source", "source_name", "lean", "old", "new", "sides", "components"],
)

schema(
    "share_series",
    "Share series (mapdiff history, ShareSeries.to_dict)",
    "A side's share of each place, release by release. mapdiff history adds given_as per place, "
    "first_crossing (first release at or above each --threshold, default 50% and 90%), crossings "
    "(each as a range: the last release below and the first at or above, with the gap in days), "
    "reversals (falls of at least --reversal-drop between consecutive releases) and "
    "duplicates_dropped.",
    {
        "side": STR,
        "policy": STR,
        "source": STR,
        "source_name": {"type": "string", "description": "what readers call the source"},
        "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
        "places": ARR(
            {
                "type": "object",
                "required": ["name", "footprint_kind", "approximate"],
                "properties": {"name": STR, "footprint_kind": STR, "approximate": BOOL, "given_as": STR},
            }
        ),
        "dates": ARR({"type": "string", "format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"}),
        "shares": {"type": "object", "additionalProperties": ARR(R("share"))},
        "first_crossing": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": R("date")},
        },
        "crossings": ARR(
            {
                "type": "object",
                "required": ["place", "threshold", "previous_date", "date", "gap_days", "already"],
                "properties": {
                    "place": STR,
                    "threshold": R("share"),
                    "previous_date": R("date"),
                    "date": R("date"),
                    "gap_days": {"type": ["integer", "null"], "minimum": 0},
                    "share_before": R("share"),
                    "share_at": R("share"),
                    "already": {"type": "boolean", "description": "at or above at the first release read"},
                },
            }
        ),
        "reversals": ARR(
            {
                "type": "object",
                "required": ["place", "from_date", "to_date", "share_from", "share_to", "drop"],
                "properties": {
                    "place": STR,
                    "from_date": R("date"),
                    "to_date": R("date"),
                    "share_from": R("share"),
                    "share_to": R("share"),
                    "drop": R("share"),
                },
            }
        ),
        "duplicates_dropped": {"type": "array"},
    },
    ["side", "policy", "source", "source_name", "lean", "places", "dates", "shares"],
)

schema(
    "change_table",
    "Change table (Releases.changes, ChangeTable.to_dict)",
    "Per-release gains and losses per side, with rolling averages.",
    {
        "source": STR,
        "aoi": NSTR,
        "window": {"type": "integer"},
        "sides": {"type": "object", "additionalProperties": {"type": "object"}},
        "rows": ARR(
            {
                "type": "object",
                "required": ["date", "previous"],
                "properties": {"date": R("date"), "previous": R("date")},
                "additionalProperties": {"type": ["number", "null", "string"]},
            }
        ),
    },
    ["source", "window", "sides", "rows"],
)

schema(
    "many_comparison",
    "Many maps compared (compare_many, ManyComparison.to_dict)",
    "Several maps over one area: km² by how many maps agree, and every pair's disagreement.",
    {
        "aoi_km2": R("km2"),
        "aoi": R("footprint_ref"),
        "approximate": {"type": "boolean", "description": "the AOI is an approximate footprint"},
        "sources": ARR(
            {
                "type": "object",
                "required": ["source", "as_of"],
                "properties": {"source": STR, "as_of": R("date")},
            }
        ),
        "agreement_km2": {"type": "object", "additionalProperties": NUM},
        "pairwise": ARR({"type": "object"}),
    },
    ["aoi_km2", "sources", "agreement_km2", "pairwise"],
)

schema(
    "source_lag",
    "Source lag (lag, SourceLag.to_dict)",
    "How many days one source shows a change after another, per place, with the crossing evidence. "
    "mapdiff lag adds a and b (the sources' names and leans), side, and brackets: per place and "
    "threshold each source's crossing as a range of releases and the lag they bracket.",
    {
        "leader": STR,
        "follower": STR,
        "window": ARR(R("date")),
        "places": {"type": "object"},
        "crossings": ARR({"type": "object"}),
        "a": STR,
        "b": STR,
        "side": STR,
        "brackets": ARR(
            {
                "type": "object",
                "required": ["place", "threshold", "a", "b", "lag_min_days", "lag_max_days"],
                "properties": {
                    "place": STR,
                    "threshold": R("share"),
                    "a": {"type": "object"},
                    "b": {"type": "object"},
                    "lag_min_days": {"type": ["integer", "null"]},
                    "lag_max_days": {"type": ["integer", "null"]},
                },
            }
        ),
    },
    ["leader", "follower", "places", "crossings"],
)

schema(
    "ledger",
    "Claims ledger (Ledger.to_dict)",
    "The claims of one ledger file, validated. kind is the kind of claim.",
    {
        "path": NSTR,
        "claims": ARR(
            {
                "type": "object",
                "required": ["who", "date", "place", "side", "kind"],
                "properties": {
                    "who": STR,
                    "date": R("date"),
                    "place": STR,
                    "side": STR,
                    "kind": STR,
                    "value": R("number_or_null"),
                },
            }
        ),
    },
    ["claims"],
)

schema(
    "claims_report",
    "Claims report (mapdiff claims, check_claims, ClaimChecks.to_dict)",
    "Each claim of a ledger checked against the release of its date in each source. kind is the kind "
    "of claim. mapdiff claims adds release_rule.",
    {
        "rows": ARR(CLAIM_ROW),
        "release_rule": {"type": "string", "description": "on_or_before or nearest"},
    },
    ["rows"],
)

release_meta = {
    "type": "object",
    "required": ["source", "as_of", "path", "sha256"],
    "properties": {"source": STR, "as_of": R("date"), "path": NSTR, "sha256": NSTR, "as_of_from": NSTR},
}
RELEASE_REPORT = {
    "old": release_meta,
    "new": release_meta,
    "days": {"type": ["integer", "null"]},
    "side": R("side"),
    "sides": SIDES_KM2,
    "areas": ARR(
        {
            "type": "object",
            "required": ["side", "change", "area_km2", "lon", "lat"],
            "properties": {
                "side": STR,
                "change": {"enum": ["gained", "lost"]},
                "area_km2": R("km2"),
                "lon": NUM,
                "lat": NUM,
            },
        }
    ),
    "places": ARR(
        {
            "type": "object",
            "required": ["place", "share_old", "share_new", "footprint_kind", "approximate"],
            "properties": {
                "place": STR,
                "share_old": R("share"),
                "share_new": R("share"),
                "change_pp": R("number_or_null"),
                "footprint_kind": STR,
                "approximate": BOOL,
            },
        }
    ),
    "claims": ARR(CLAIM_ROW),
    "settlements_changed": ARR(
        {
            "type": "object",
            "description": "a settlement whose status changed between the releases (changes --places rows)",
            "required": ["id", "name", "parents", "oblast", "from", "to", "before", "after", "approximate"],
            "properties": {
                "id": STR,
                "name": STR,
                "parents": R("strings"),
                "oblast": STR,
                "from": {"type": "string", "description": "held:<SIDE>, contested, grey or not covered"},
                "to": STR,
                "before": {"type": "object", "description": "share per side and grey, old release"},
                "after": {"type": "object", "description": "share per side and grey, new release"},
                "approximate": BOOL,
                "lon": NUM,
                "lat": NUM,
            },
        }
    ),
    "regions": ARR(
        {
            "type": "object",
            "description": "an oblast with land held by RU on either release: <SIDE>_share and grey_share "
            "on the new release (of the covered land), <SIDE>_change_pp and grey_change_pp since the old",
            "required": ["id", "name", "area_km2", "grey_share", "covered_share"],
            "properties": {
                "id": STR,
                "name": STR,
                "area_km2": R("km2"),
                "grey_share": R("share"),
                "grey_change_pp": R("number_or_null"),
                "covered_share": R("share"),
            },
            "additionalProperties": {"type": ["number", "null"]},
        }
    ),
    "ledger": {"type": ["string", "boolean", "null"]},
    "notes": R("strings"),
}
schema(
    "release_report",
    "Release report (mapdiff report's report.json, Report.to_dict)",
    "What a new release changed: gains and losses per side, the largest changed areas, the places "
    "whose share moved, and the ledger's claims checked on it.",
    RELEASE_REPORT,
    ["old", "new", "side", "sides", "areas", "places", "claims", "notes"],
)

schema(
    "report_written",
    "Report written (mapdiff report --json)",
    "Where the HTML report, its JSON and figures were written, and the report itself (a release_report).",
    {
        "html": STR,
        "json": STR,
        "figures": R("strings"),
        "report": {
            "type": "object",
            "required": ["schema_version", "type", "old", "new", "sides"],
            "properties": {"type": {"const": "release_report"}, **RELEASE_REPORT},
        },
    },
    ["html", "json", "figures", "report"],
)

schema(
    "update",
    "Site updated (mapdiff update --json)",
    "What one run of mapdiff update did: the releases processed per source (oldest first), what "
    "could not be had (the run is partial: exit code 5), whether the site was rewritten.",
    {
        "site": STR,
        "nothing_new": {**BOOL, "description": "no source had a release newer than the last run"},
        "rewritten": {**BOOL, "description": "the site's files were written (false: not a byte changed)"},
        "processed": {"type": "object", "additionalProperties": ARR(R("date"))},
        "failed": {
            "type": "object",
            "additionalProperties": ARR(
                {
                    "type": "object",
                    "required": ["date", "reason"],
                    "properties": {"date": R("date"), "reason": STR},
                }
            ),
        },
        "partial": {**BOOL, "description": "some source could not be reached or served a bad file"},
        "stale": {
            "type": "object",
            "description": "sources whose newest release could not be had: since their last good one",
            "additionalProperties": {
                "type": "object",
                "required": ["since", "reason"],
                "properties": {"since": R("date"), "reason": STR},
            },
        },
    },
    ["site", "nothing_new", "rewritten", "processed", "failed", "partial", "stale"],
)

tracking_statuses = list(STATUSES)  # the tracker's own list: one source of truth
INT = {"type": "integer"}
NINT = {"type": ["integer", "null"]}
schema(
    "tracking",
    "Claims tracking (mapdiff track, Tracking.to_dict)",
    "Every claim of a ledger against whole archives: per claim, source and footprint rung, the share "
    "on the claim's date, the first release showing the claimed state and the lead in days; with a "
    "summary per claimant and per source. kind is the kind of claim; rung the footprint kind.",
    {
        "threshold": {**NUM, "description": "share at which a place counts as captured"},
        "tolerance": NUM,
        "policy": {"enum": ["nobody", "half", "claimant", "excluded"]},
        "seconds": NUM,
        "sources": ARR(
            {
                "type": "object",
                "required": ["name", "releases", "seconds", "cache_hits", "cache_misses"],
                "properties": {
                    "name": STR,
                    "profile": NSTR,
                    "releases": INT,
                    "first": R("date"),
                    "last": R("date"),
                    "seconds": NUM,
                    "cache_hits": {**INT, "description": "releases answered by the cache"},
                    "cache_misses": {**INT, "description": "releases read and measured in this run"},
                },
            }
        ),
        "summary": ARR(
            {
                "type": "object",
                "required": ["group", "name", "source", "claims", "tracked", "never", "no_answer"],
                "properties": {
                    "group": {"enum": ["claimant", "source"]},
                    "name": STR,
                    "source": STR,
                    "claims": INT,
                    "tracked": INT,
                    "with_lead": INT,
                    "lead_median": R("number_or_null"),
                    "lead_q25": R("number_or_null"),
                    "lead_q75": R("number_or_null"),
                    "lead_min": R("number_or_null"),
                    "lead_max": R("number_or_null"),
                    "within_7d": R("share"),
                    "within_30d": R("share"),
                    "never": INT,
                    "no_answer": INT,
                },
            }
        ),
        "ladder_differences": ARR(
            {
                "type": "object",
                "required": ["date", "place", "kind", "source", "rungs"],
                "properties": {
                    "rungs": ARR(
                        {
                            "type": "object",
                            "required": ["rung", "status"],
                            "properties": {
                                "rung": STR,
                                "share": R("share"),
                                "status": {"enum": tracking_statuses},
                                "first_shown": R("date"),
                                "lead_days": NINT,
                            },
                        }
                    )
                },
            }
        ),
        "rows": ARR(
            {
                "type": "object",
                "required": ["date", "place", "side", "kind", "source", "rung", "primary", "status"],
                "properties": {
                    "row": NINT,
                    "who": STR,
                    "claimant": NSTR,
                    "date": R("date"),
                    "place": STR,
                    "side": STR,
                    "kind": {"enum": ["share", "captured", "encircled", "not_captured", "not_encircled"]},
                    "claimed": R("share"),
                    "source": STR,
                    "rung": {**STR, "description": "footprint kind of this row"},
                    "primary": {**BOOL, "description": "the place's default footprint"},
                    "approximate": BOOL,
                    "release": {**R("date"), "description": "the release on or before the claim"},
                    "gap_days": NINT,
                    "share": R("share"),
                    "status": {"enum": tracking_statuses},
                    "first_shown": R("date"),
                    "shown_after": R("date"),
                    "lead_days": {
                        **NINT,
                        "description": "first_shown minus the claim date (> 0: the claim ran ahead)",
                    },
                    "censored": BOOL,
                    "overturned": R("date"),
                    "checked_until": R("date"),
                    "rungs_differ": BOOL,
                    "note": STR,
                },
            }
        ),
    },
    ["sources", "summary", "rows"],
)

schema(
    "render",
    "Image written (mapdiff render --json)",
    "Where the disagreement map was written, at what size, of which maps and area.",
    {
        "out": STR,
        "dpi": {"type": "integer"},
        "size_in": ARR(NUM),
        "a": {
            "type": "object",
            "required": ["source", "as_of"],
            "properties": {"source": STR, "as_of": R("date")},
        },
        "b": {
            "type": "object",
            "required": ["source", "as_of"],
            "properties": {"source": STR, "as_of": R("date")},
        },
        "aoi": NSTR,
        "aoi_km2": R("km2"),
        "approximate_footprint": BOOL,
    },
    ["out", "dpi", "a", "b", "aoi_km2", "approximate_footprint"],
)

schema(
    "fetch",
    "Release fetched (mapdiff fetch --json)",
    "The archived release found in (or downloaded into) the verified cache.",
    {
        "source": STR,
        "date": STR,
        "path": STR,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "bytes": {"type": "integer", "minimum": 0},
    },
    ["source", "date", "path", "sha256", "bytes"],
)

schema(
    "error",
    "Error (any command with --json, exit code 2 or 3)",
    "Printed to stdout under --json when a command fails; the same message goes to stderr.",
    {
        "exit_code": {"enum": [2, 3]},
        "error": {"type": "string", "description": "the error's class"},
        "message": STR,
    },
    ["exit_code", "error", "message"],
)

schema(
    "gazetteer",
    "Gazetteer (mapdiff place --list --json)",
    "Every place of the gazetteer: oblast, the footprint kinds it has (best first), the default one "
    "and the area of each.",
    {
        "places": ARR(
            {
                "type": "object",
                "required": ["name", "oblast", "default_kind", "kinds", "area_km2"],
                "properties": {
                    "name": STR,
                    "oblast": STR,
                    "default_kind": STR,
                    "kinds": R("strings"),
                    "area_km2": {"type": "object", "additionalProperties": R("km2")},
                },
            }
        ),
    },
    ["places"],
)

schema(
    "claim_across_maps",
    "One claim on every map (check_claim_all, ClaimAcrossMaps.to_dict; mapdiff claim MAP MAP ...)",
    "A claim checked on each source's release on or before its date: the release used and the gap "
    "in days, the verdict and share per grey-zone policy, the grey zone (null where the source has "
    "no grey-zone class, with the sentence that says so), and the table source × policy × footprint.",
    {
        "place": STR,
        "side": STR,
        "kind": STR,
        "claimed": R("share"),
        "date": R("date"),
        "max_gap_days": {
            "type": ["integer", "null"],
            "description": "a release more than this many days before the date is stale",
        },
        "newest_releases": {
            "type": "boolean",
            "description": "no date was given: each source's newest release was used",
        },
        "notes": {
            "type": "array",
            "items": {"type": "string"},
            "description": "warnings every output states (stale releases, newest releases used)",
        },
        "methods": {"type": "string", "description": "the methods note: how every number was made"},
        "sources": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["source_name", "lean", "release", "gap_days", "stale", "verdict", "grey_note"],
                "properties": {
                    "source_name": {"type": "string", "description": "what readers call the source"},
                    "lean": {"type": "string", "description": "the source's lean ('' when unknown)"},
                    "release": R("date"),
                    "gap_days": {"type": ["integer", "null"]},
                    "stale": {"type": "boolean", "description": "release more than max_gap_days before"},
                    "verdict": STR,
                    "share": R("share"),
                    "policies": {"type": "object", "additionalProperties": R("share")},
                    "grey_km2": {"type": ["number", "null"], "minimum": 0},
                    "grey_note": NSTR,
                    "footprint_kind": STR,
                    "footprint_km2": R("km2"),
                },
            },
        },
        "missing": {"type": "object", "additionalProperties": STR},
        "rows": ARR({"type": "object"}),
    },
    ["place", "side", "kind", "date", "max_gap_days", "notes", "methods", "sources", "missing", "rows"],
)

schema(
    "consensus",
    "Consensus across sources (consensus, Consensus.to_dict)",
    "N maps over one area: km² per label said by k of the N sources, where a source stands alone, "
    "and the pairwise disagreement in km².",
    {
        "sources": R("strings"),
        "dates": ARR(R("date")),
        "aoi_km2": R("km2"),
        "aoi": R("footprint_ref"),
        "approximate": {"type": "boolean", "description": "the AOI is an approximate footprint"},
        "agreement": ARR(
            {
                "type": "object",
                "required": ["label", "k", "km2"],
                "properties": {"label": STR, "k": {"type": "integer", "minimum": 1}, "km2": R("km2")},
            }
        ),
        "alone": ARR(
            {
                "type": "object",
                "required": ["source", "label", "km2"],
                "properties": {"source": STR, "label": STR, "km2": R("km2")},
            }
        ),
        "pairwise_km2": {"type": "object", "additionalProperties": {"type": "object"}},
        "source_names": {
            "type": "object",
            "additionalProperties": STR,
            "description": "what readers call each source (mapdiff compare of several maps)",
        },
    },
    ["sources", "dates", "aoi_km2", "agreement", "alone", "pairwise_km2"],
)
