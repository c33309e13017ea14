"""Claims tracker (mapdiff.track / mapdiff track): statuses, first date shown, lead, summary,
figure, CLI; and, on the real DeepState archive, agreement with an independent loop."""

from __future__ import annotations

import bisect
import csv
import datetime as dt
import json
import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
import shapely

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from conftest import RU, SHARED_DATA, UA

import mapdiff
from mapdiff.claims.ledger import COLUMNS, Claim
from mapdiff.claims.tracker import track
from mapdiff.cli import main
from mapdiff.errors import MapdiffError
from mapdiff.model.normalisation import normalise
from mapdiff.places.footprints import footprint, footprint_from_geometry, sensitivity_footprints

SQUARE = shapely.box(37.0, 48.0, 37.2, 48.2)
SQ = footprint_from_geometry(SQUARE, "sq")
D = dt.date


def _series(shares: dict) -> mapdiff.Releases:
    """A release per date; RU holds the west ``share`` of the square (None: not covered)."""
    maps = []
    for day, f in shares.items():
        if f is None:  # a map that covers somewhere else
            cov = shapely.box(36.0, 47.0, 36.1, 47.1)
            maps.append(normalise([(RU, cov)], coverage=cov, background=UA, source="s", as_of=day))
            continue
        feats = [(RU, shapely.box(37.0, 48.0, 37.0 + 0.2 * f, 48.2))] if f > 0 else []
        maps.append(normalise(feats, coverage=SQUARE, background=UA, source="s", as_of=day))
    return mapdiff.Releases(maps)


SHARES = {
    D(2025, 1, 1): 0.2,
    D(2025, 1, 10): 0.5,
    D(2025, 1, 20): 0.8,
    D(2025, 2, 1): 1.0,
    D(2025, 2, 10): 1.0,
}


def _track(claims, shares=SHARES, **kw):
    kw.setdefault("buffers_km", ())
    return track(claims, {"s": _series(shares)}, cache=False, workers=1, quiet=True, **kw)


def _row(claim, shares=SHARES, **kw):
    return _track([claim], shares, **kw).to_frame().iloc[0]


def test_capture_confirmed_after_the_claim():
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "captured", claimant="RU MoD"))
    assert (r.release, r.gap_days, r.status) == ("2025-01-10", 2, "confirmed")
    assert r.share == pytest.approx(0.5, abs=1e-6)
    assert (r.first_shown, r.shown_after, r.lead_days) == ("2025-02-01", "2025-01-20", 20)
    assert not r.censored and r.checked_until == "2025-02-10"


def test_share_claim_counts_at_the_value_less_the_tolerance():
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "share", 0.84))
    assert (r.status, r.first_shown, r.lead_days) == ("confirmed", "2025-01-20", 8)  # 0.8 >= 0.84 - 0.05
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "share", 0.84), tolerance=0.0)
    assert r.first_shown == "2025-02-01"


def test_already_shown_starts_at_the_run_that_includes_the_claim():
    r = _row(Claim("A", D(2025, 2, 5), SQ, "RU", "captured"))
    assert (r.status, r.first_shown, r.shown_after, r.lead_days, r.censored) == (
        "already_shown",
        "2025-02-01",
        "2025-01-20",
        -4,
        False,
    )
    # a denial the map agrees with since its first release: censored, and overturned later
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "not_captured"))
    assert (r.status, r.first_shown, r.censored, r.overturned) == (
        "already_shown",
        "2025-01-01",
        True,
        "2025-02-01",
    )


def test_never_before_after_archive_not_covered_not_applicable():
    r = _row(Claim("A", D(2025, 1, 2), SQ, "UA", "captured"))
    assert (r.status, r.lead_days, r.first_shown) == ("never", None, None)
    r = _row(Claim("A", D(2024, 12, 1), SQ, "RU", "captured"))
    assert (r.status, r.release, r.share) == ("before_archive", None, None)
    assert "archive starts 2025-01-01" in r.note
    r = _row(Claim("A", D(2025, 3, 1), SQ, "UA", "captured"))
    assert r.status == "after_archive" and r.gap_days == 19
    assert "19 d old" in r.note
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "captured"), {D(2025, 1, 10): None, D(2025, 1, 20): 1.0})
    assert r.status == "not_covered" and r.share is None
    r = _row(Claim("A", D(2025, 1, 12), SQ, "RU", "encircled"))
    assert r.status == "not_applicable" and r.share == pytest.approx(0.5, abs=1e-6)


def test_recapture_is_the_other_sides_capture():
    shares = {D(2025, 1, 1): 1.0, D(2025, 1, 5): 0.6, D(2025, 1, 9): 0.02}
    r = _row(Claim("A", D(2025, 1, 4), SQ, "UA", "captured"), shares)
    assert (r.status, r.first_shown, r.lead_days) == ("confirmed", "2025-01-09", 5)


def test_footprint_ladder_rows_and_rungs_differ():
    # RU holds land west of the square: the 2 km rung sees it before the square does
    big = shapely.box(36.9, 47.9, 37.3, 48.3)
    maps = [
        normalise([(RU, shapely.box(36.9, 47.9, e, 48.3))], coverage=big, background=UA, source="s", as_of=d)
        for d, e in ((D(2025, 1, 1), 37.0), (D(2025, 1, 10), 37.1))
    ]
    claims = [Claim("A", D(2025, 1, 2), SQ, "RU", "share", 0.1)]
    t = track(claims, {"s": mapdiff.Releases(maps)}, buffers_km=(2.0,), cache=False, workers=1, quiet=True)
    all_rows = t.to_frame(rungs="all")
    assert list(all_rows.rung) == ["user", "user+2km"] and list(all_rows.primary) == [True, False]
    assert list(all_rows.status) == ["confirmed", "already_shown"]
    assert list(all_rows.first_shown) == ["2025-01-10", "2025-01-01"]
    assert all_rows.share.iloc[0] == pytest.approx(0.0, abs=1e-9) and 0.05 < all_rows.share.iloc[1] < 0.25
    assert all_rows.rungs_differ.all()
    assert len(t.to_frame()) == 1
    (d,) = t.ladder_differences()
    assert [g["rung"] for g in d["rungs"]] == ["user", "user+2km"]
    assert "user: confirmed 2025-01-10 (+8 d) | user+2km: already_shown 2025-01-01 (-1 d)" in str(t)
    # without buffers: one rung, nothing differs
    t1 = track(claims, {"s": mapdiff.Releases(maps)}, buffers_km=(), cache=False, workers=1, quiet=True)
    assert not t1.ladder_differences() and len(t1.to_frame(rungs="all")) == 1
    with pytest.raises(MapdiffError, match="rungs='some'"):
        t.to_frame(rungs="some")


def test_summary_per_claimant_and_source():
    claims = [
        Claim("A", D(2025, 1, 12), SQ, "RU", "captured", claimant="RU MoD"),  # lead 20
        Claim("B", D(2025, 1, 18), SQ, "RU", "share", 0.8, claimant="RU MoD"),  # lead 2
        Claim("C", D(2025, 1, 2), SQ, "UA", "captured", claimant="UA Armed Forces"),  # never
        Claim("D", D(2025, 1, 2), SQ, "RU", "encircled", claimant="UA Armed Forces"),  # n/a
    ]
    t = _track(claims)
    s = {(x["group"], x["name"]): x for x in t.summary_rows()}
    assert [(x["group"], x["name"], x["source"]) for x in t.summary_rows()] == [
        ("claimant", "RU MoD", "s"),
        ("claimant", "UA Armed Forces", "s"),
        ("source", "s", "s"),
    ]
    mod = s["claimant", "RU MoD"]
    assert (mod["tracked"], mod["with_lead"], mod["lead_median"], mod["lead_min"], mod["lead_max"]) == (
        2,
        2,
        11.0,
        2,
        20,
    )
    assert (mod["within_7d"], mod["within_30d"], mod["never"]) == (0.5, 1.0, 0)
    ua = s["claimant", "UA Armed Forces"]
    assert (ua["tracked"], ua["never"], ua["no_answer"], ua["lead_median"]) == (1, 1, 1, None)
    src = s["source", "s"]
    assert (src["claims"], src["tracked"], src["never"]) == (4, 3, 1)
    assert src["within_30d"] == pytest.approx(2 / 3)
    d = json.loads(json.dumps(t.to_dict()))
    assert d["type"] == "tracking" and d["schema_version"] == mapdiff.claims.ledger.SCHEMA_VERSION
    assert d["summary"][0]["name"] == "RU MoD" and len(d["rows"]) == 4
    assert d["sources"][0]["releases"] == 5
    text = str(t)
    assert "s: 5 releases 2025-01-01..2025-02-10" in text and "RU MoD" in text
    assert "<script>" not in t._repr_html_()


def test_html_escapes_ledger_text():
    t = _track([Claim("<script>x</script>", D(2025, 1, 12), SQ, "RU", "captured", claimant="<b>me</b>")])
    assert "<b>me</b>" not in t._repr_html_() and "&lt;b&gt;me&lt;/b&gt;" in t._repr_html_()


def test_bad_arguments():
    c = [Claim("A", D(2025, 1, 12), SQ, "RU", "captured")]
    with pytest.raises(MapdiffError, match="mapping source"):
        track(c, [_series(SHARES)])
    with pytest.raises(MapdiffError, match="unknown policy"):
        _track(c, policy="most")
    with pytest.raises(MapdiffError, match="threshold"):
        _track(c, threshold=1.5)
    with pytest.raises(MapdiffError, match="no claim"):
        _track([])


def test_figure_marks_the_claims_and_the_curves():
    claims = [
        Claim("A", D(2025, 1, 12), SQ, "RU", "captured", claimant="RU MoD"),
        Claim("B", D(2025, 1, 14), SQ, "RU", "not_captured", claimant="UA General Staff"),
    ]
    t = _track(claims)
    fig = t.plot()
    ax = fig.axes[0]
    assert ax.get_title(loc="left") == "sq (footprint: user)"  # a user polygon: not approximate
    curve = next(ln for ln in ax.get_lines() if ln.get_label().startswith("s: share held by RU"))
    assert list(curve.get_ydata()) == pytest.approx([20, 50, 80, 100, 100], abs=1e-4)
    vlines = [
        ln for ln in ax.get_lines() if len(ln.get_xdata()) == 2 and ln.get_xdata()[0] == ln.get_xdata()[1]
    ]
    colours = {matplotlib.colors.to_hex(ln.get_color()) for ln in vlines}
    assert colours == {"#d55e00", "#0072b2"}  # one claim by each side
    arrows = [a for a in ax.texts if isinstance(a, matplotlib.text.Annotation)]
    assert len(arrows) == 1  # the capture claim, confirmed 2025-02-01
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "captured threshold 95%" in legend and "capture denied" in legend
    fig.canvas.draw()
    px = np.asarray(fig.canvas.buffer_rgba())[..., :3]
    assert (px < 250).any(axis=-1).mean() > 0.01
    plt.close(fig)
    with pytest.raises(MapdiffError, match="no share curve for Atlantis"):
        t.plot(places=["Atlantis"])


def test_approximate_footprints_are_said():
    t = track(
        [Claim("A", D(2025, 11, 20), "Pokrovsk", "RU", "share", 0.3, claimant="Kremlin")],
        {"deepstate": mapdiff.Releases(mapdiff.sample_paths())},
        buffers_km=(),
        cache=False,
        workers=1,
        quiet=True,
    )
    r = t.to_frame().iloc[0]
    fp = footprint("Pokrovsk", kind=r.rung)
    if fp.approximate:
        assert "approximate footprints" in str(t) and r.approximate
        fig = t.plot()
        assert "approximate footprint" in fig.axes[0].get_title(loc="left")
        plt.close(fig)
    assert r.release == "2025-11-20" and r.status == "already_shown"


def _ledger(tmp_path, rows):
    path = tmp_path / "claims.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS)
        w.writeheader()
        for r in rows:
            w.writerow(
                {
                    "who": "someone",
                    "claimant": r.get("claimant", "RU MoD"),
                    "date": r["date"],
                    "place": "Pokrovsk",
                    "side": "RU",
                    "kind": r["kind"],
                    "value": r.get("value", ""),
                    "quote": "q",
                    "language": "ru",
                    "source": "s",
                    "source_url": "https://example.org",
                }
            )
    return path


def test_cli(tmp_path, capsys):
    ledger = _ledger(tmp_path, [{"date": "2025-11-02", "kind": "share", "value": "30%"}])
    samples = str(mapdiff.sample_paths()[0].parent)
    out = tmp_path / "fig.png"
    rc = main(
        ["track", str(ledger), "--maps", f"deepstate={samples}", "--no-cache", "--quiet", "--out", str(out)]
    )
    text = capsys.readouterr().out
    assert rc == 0 and out.stat().st_size > 0
    assert "deepstate: 5 releases 2025-10-01..2025-12-15" in text and "RU MoD" in text
    rc = main(["track", str(ledger), "--maps", f"deepstate={samples}", "--no-cache", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["type"] == "tracking" and d["rows"][0]["first_shown"] == "2025-11-20"
    ladder = [f.kind for f in sensitivity_footprints(footprint("Pokrovsk"))]
    assert sorted(r["rung"] for r in d["rows"]) == sorted(ladder)  # every rung of the ladder
    (prim,) = [r for r in d["rows"] if r["primary"]]
    assert prim["rung"] == footprint("Pokrovsk").kind  # the default footprint, never the hromada
    rc = main(["track", str(ledger), "--maps", f"deepstate={samples}", "--no-cache", "--csv", "--no-buffer"])
    lines = capsys.readouterr().out.splitlines()
    assert rc == 0 and lines[0].startswith("row,who,claimant,date,place") and len(lines) == 2
    assert main(["track", str(ledger), "--maps", "deepstate"]) == 2
    assert "--maps NAME=DIR" in capsys.readouterr().err


# ------------------------------------------------------------------ acceptance on real data
def _independent_first_shown(place_geom, claim_day: dt.date, kind: str, claimed, window=(10, 45)):
    """First DeepState release after ``claim_day`` showing the claimed state, from the raw files:
    json + shapely + pyproj.Geod, no mapdiff code. Returns (share on the claim's release, first date)."""
    import pyproj

    geod = pyproj.Geod(ellps="WGS84")

    def area(g):
        return abs(geod.geometry_area_perimeter(shapely.orient_polygons(g))[0]) if not g.is_empty else 0.0

    total = area(place_geom)
    box = shapely.box(*place_geom.bounds)
    files = sorted((SHARED_DATA / "deepstate").glob("deepstatemap_data_*.geojson"))
    dated = [(dt.datetime.strptime(p.stem.rsplit("_", 1)[1], "%Y%m%d").date(), p) for p in files]
    lo, hi = claim_day - dt.timedelta(days=window[0]), claim_day + dt.timedelta(days=window[1])
    dated = [(d, p) for d, p in dated if lo <= d <= hi]
    days = [d for d, _ in dated]
    k = bisect.bisect_right(days, claim_day) - 1
    assert k >= 0, "the window holds no release on or before the claim"

    def share(path):
        raw = json.loads(path.read_text())
        parts = []
        for f in raw["features"]:
            parts.extend(shapely.get_parts(shapely.geometry.shape(f["geometry"])))
        parts = np.asarray(parts, dtype=object)
        near = parts[shapely.intersects(parts, box)]
        if not near.size:
            return 0.0
        held = shapely.union_all(shapely.make_valid(near))
        return area(shapely.intersection(held, place_geom)) / total

    def shows(s):
        if kind == "captured":
            return s >= 0.95
        return s >= claimed - 0.05  # share

    on_day = share(dated[k][1])
    assert not shows(on_day), "pick claims the map did not already show"
    for d, p in dated[k + 1 :]:
        if shows(share(p)):
            return on_day, d
    return on_day, None


# (ledger row, place, date, kind, claimed): captures and a share claim, 2024-09 .. 2025-12
ACCEPTANCE = [
    (15, "Vuhledar", D(2024, 10, 3), "captured", None),
    (17, "Kurakhove", D(2025, 1, 6), "captured", None),
    (50, "Krasnohorivka", D(2024, 9, 10), "captured", None),
    (34, "Siversk", D(2025, 12, 11), "captured", None),
    (2, "Pokrovsk", D(2025, 11, 27), "share", 0.7),
]


@pytest.mark.realdata
@pytest.mark.slow
def test_tracker_first_shown_matches_an_independent_loop():
    if not (SHARED_DATA / "deepstate").is_dir():
        pytest.skip(f"real data not available: {SHARED_DATA / 'deepstate'} is absent (needs ../shared/data)")
    led = mapdiff.read_ledger(mapdiff.claims.ledger.shipped_ledger_path())
    by_row = {c.row: c for c in led}
    claims = []
    for row, place, day, kind, claimed in ACCEPTANCE:
        c = by_row[row]
        assert (c.place, c.date, c.kind, c.value) == (place, day, kind, claimed)  # the ledger row
        claims.append(c)
    # the tracker reads the same windows as the loop (the releases 10 days before to 45 days
    # after each claim): the first release showing a claim lies inside its window
    files = sorted((SHARED_DATA / "deepstate").glob("deepstatemap_data_*.geojson"))
    in_window = [
        f
        for f in files
        if any(
            -10 <= (dt.datetime.strptime(f.stem[-8:], "%Y%m%d").date() - c.date).days <= 45 for c in claims
        )
    ]
    t = track(claims, {"deepstate": mapdiff.Releases(in_window)}, buffers_km=(), quiet=True)
    df = t.to_frame()
    assert len(df) == 5
    for (_, place, day, kind, claimed), (_, r) in zip(ACCEPTANCE, df.iterrows(), strict=True):
        geom = footprint(place, kind=r.rung).geometry  # the place's outline: the loop's only input
        on_day, first = _independent_first_shown(geom, day, kind, claimed)
        assert r.share == pytest.approx(on_day, abs=0.001), place
        assert first is not None, f"{place}: not shown within the window"
        assert r.status == "confirmed"
        assert r.first_shown == first.isoformat(), place
        assert r.lead_days == (first - day).days
    src = t.sources[0]
    assert src["releases"] == len(in_window) and src["cache_hits"] + src["cache_misses"] == src["releases"]
    assert not math.isnan(src["seconds"])


def test_json_follows_its_schema():
    import jsonschema
    from conftest import ROOT

    schema = json.loads((ROOT / "mapdiff" / "schemas" / "tracking.schema.json").read_text(encoding="utf-8"))
    claims = [
        Claim("A", D(2025, 1, 12), SQ, "RU", "captured", claimant="RU MoD"),
        Claim("B", D(2024, 12, 1), SQ, "RU", "not_captured", claimant="UA General Staff"),
        Claim("C", D(2025, 1, 12), SQ, "RU", "encircled", claimant="Kremlin"),
        Claim("D", D(2025, 1, 12), SQ, "RU", "share", 0.5, claimant="Kremlin"),
    ]
    d = json.loads(json.dumps(_track(claims, buffers_km=(1.0,)).to_dict()))
    jsonschema.validate(d, schema)
    from mapdiff.claims.tracker import STATUSES

    # the shipped schema lists exactly the tracker's statuses
    assert schema["properties"]["rows"]["items"]["properties"]["status"]["enum"] == list(STATUSES)
    d["rows"][0]["status"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(d, schema)


def test_two_places_of_one_name_are_kept_apart():
    west = footprint_from_geometry(shapely.box(37.0, 48.0, 37.05, 48.2), "town")
    east = footprint_from_geometry(shapely.box(37.15, 48.0, 37.2, 48.2), "town")
    claims = [
        Claim("A", D(2025, 1, 12), west, "RU", "captured"),
        Claim("B", D(2025, 1, 12), east, "RU", "captured"),
    ]
    df = _track(claims).to_frame()
    assert list(df.place) == ["town #1", "town #2"]
    # RU holds the west half on 10 January: the west strip is captured, the east one is not yet
    assert list(df.status) == ["already_shown", "confirmed"]
    assert list(df.share) == pytest.approx([1.0, 0.0], abs=1e-9)


def test_an_alias_is_tracked_as_its_place():
    claims = [Claim("A", D(2025, 11, 20), "Krasnoarmeysk", "RU", "share", 0.3)]
    t = track(
        claims,
        {"ds": mapdiff.Releases(mapdiff.sample_paths())},
        buffers_km=(),
        cache=False,
        workers=1,
        quiet=True,
    )
    assert t.to_frame().place.tolist() == ["Pokrovsk"] and t.curves[0]["place"] == "Pokrovsk"


def test_each_release_read_once_and_the_cache_use_stated(tmp_path):
    claims = [
        Claim("A", D(2025, 11, 20), "Pokrovsk", "RU", "share", 0.3),
        Claim("B", D(2025, 11, 20), "Myrnohrad", "RU", "captured"),
    ]
    maps = {"deepstate": mapdiff.Releases(mapdiff.sample_paths())}
    first = track(claims, maps, workers=1, quiet=True, cache_dir=tmp_path)
    (src,) = first.sources
    assert (src["releases"], src["cache_hits"], src["cache_misses"]) == (5, 0, 5)
    again = track(claims, maps, workers=1, quiet=True, cache_dir=tmp_path)
    (src,) = again.sources
    assert (src["cache_hits"], src["cache_misses"]) == (5, 0)
    assert again.to_frame(rungs="all").equals(first.to_frame(rungs="all"))
    assert "5 from the cache, 0 read" in str(again)


def test_a_side_the_maps_do_not_draw_is_said_not_zero():
    maps = [
        normalise([(RU, shapely.box(37.0, 48.0, 37.1, 48.2))], coverage=SQUARE, source="s", as_of=d)
        for d in (D(2025, 1, 1), D(2025, 1, 10))
    ]
    claims = [
        Claim("A", D(2025, 1, 5), SQ, "UA", "captured"),
        Claim("B", D(2025, 1, 5), SQ, "RU", "share", 0.5),
    ]
    df = track(
        claims, {"s": mapdiff.Releases(maps)}, buffers_km=(), cache=False, workers=1, quiet=True
    ).to_frame()
    ua, ru = df.iloc[0], df.iloc[1]
    assert (
        ua.status == "side_not_drawn" and pd.isna(ua.share) and "draw no side UA (their sides: RU)" in ua.note
    )
    assert ru.status == "already_shown" and ru.share == pytest.approx(0.5, abs=1e-9)


def test_cli_never_writes_over_an_input(tmp_path, capsys):
    ledger = _ledger(tmp_path, [{"date": "2025-11-02", "kind": "share", "value": "30%"}])
    before = ledger.read_bytes()
    samples = mapdiff.sample_paths()[0].parent
    release = sorted(samples.glob("*.geojson"))[0]
    release_bytes = release.read_bytes()
    for opt, target in (("--csv", ledger), ("--out", release), ("--csv", release)):
        rc = main(["track", str(ledger), "--maps", f"deepstate={samples}", "--no-cache", opt, str(target)])
        assert rc == 2 and "is an input of this run" in capsys.readouterr().err
    assert ledger.read_bytes() == before and release.read_bytes() == release_bytes
