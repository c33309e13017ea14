"""mapdiff regions: per unit x map, km² and share held by each side (issue 23)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
from conftest import ROOT, geodesic_km2, shared_file

from mapdiff import read_map
from mapdiff.errors import ArgumentError
from mapdiff.history.regions import region_shares

SAMPLE = ROOT / "data" / "samples" / "deepstatemap_data_20251127_pokrovsk.geojson"


def test_rows_add_up_and_name_their_units():
    res = region_shares([read_map(SAMPLE)], "raion", parent="Donetsk Oblast")
    f = res.frame
    assert len(f) == 8 and set(f["id"]) >= {"relation/11984324"}
    row = f.set_index("id").loc["relation/11984324"]
    assert row["RU_km2"] + row["UA_km2"] == pytest.approx(row["covered_km2"], rel=1e-9)
    assert row["covered_km2"] + row["not_covered_km2"] == pytest.approx(row["area_km2"], rel=1e-9)
    assert pd.isna(row["grey_km2"])  # the deepstate file has no grey class: null, not 0
    # an uncovered unit has no share: null, not 0 %
    mariupol = f.set_index("id").loc["relation/11958110"]
    assert mariupol["covered_km2"] == 0 and pd.isna(mariupol["RU_share"])


def test_a_level_the_map_does_not_cover_is_an_error(cli):
    with pytest.raises(ArgumentError, match="covers none"):
        region_shares([read_map(SAMPLE)], "hromada", parent="Volyn Oblast")
    r = cli("regions", str(SAMPLE), "--level", "hromada", "--parent", "Volyn Oblast")
    assert r.returncode == 2 and "covers none" in r.stderr


@pytest.mark.realdata
def test_oblast_shares_on_every_map_match_geodesic_figures(cli, tmp_path):
    """DeepState 2025-12-15: Donetsk Oblast's UA share is DeepState's published 22.6 %, and
    every oblast at war within 0.1 pp of pyproj.Geod on the raw polygons."""
    ds = shared_file("deepstate/deepstatemap_data_20251215.geojson")
    api = shared_file("deepstate_api/deepstatemap_data_20251215_polygons.geojson")
    out = tmp_path / "o.csv"
    r = cli("regions", str(ds), str(api), "--level", "oblast", "--csv", str(out), "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = {(x["source"], x["id"]): x for x in doc["rows"]}
    assert len(rows) == 50 and out.is_file()
    donetsk = rows[("deepstate", "oblast/donetska_oblast")]
    assert round(donetsk["UA_share"] * 100, 1) == 22.6
    # the API's grey zone is separate: held + grey = the file's UA share
    a = rows[("deepstate_api", "oblast/donetska_oblast")]
    assert a["UA_share"] + a["grey_share"] == pytest.approx(donetsk["UA_share"], abs=0.001)
    from test_admin_places import _raw_feature

    occupied = shapely.from_geojson(ds.read_text(encoding="utf-8"))
    occupied = shapely.make_valid(shapely.union_all(shapely.get_parts(occupied)))
    from mapdiff.places.regions import region

    # a map drawing one side speaks of Ukraine's land outline and of what it draws: shares
    # are of that part (Zaporizhzhia: 99.4 % of the oblast; the Kakhovka reservoir is not land)
    speaks = shapely.union(region("ukraine"), occupied)
    for slug in ("donetska_oblast", "luhanska_oblast", "zaporizka_oblast", "kharkivska_oblast"):
        raw, _ = _raw_feature("oblast", f"oblast/{slug}")
        covered = geodesic_km2(shapely.intersection(raw, speaks))
        expected = geodesic_km2(shapely.intersection(raw, occupied)) / covered
        assert rows[("deepstate", f"oblast/{slug}")]["RU_share"] == pytest.approx(expected, abs=0.001), slug


@pytest.mark.realdata
@pytest.mark.slow
def test_changes_places_settlements_matches_an_independent_computation(cli):
    """changes --places: the settlement polygons of Donetsk Oblast whose status changed
    between DeepState's API releases of 1 Nov and 15 Dec 2025, against pyproj.Geod on the raw
    polygons (RU: occupied classes; grey: 'Unknown status'; UA: the rest of the land)."""
    from test_admin_places import OSM_ADMIN

    from mapdiff.places.regions import region

    a = shared_file("deepstate_api/deepstatemap_data_20251101_polygons.geojson")
    b = shared_file("deepstate_api/deepstatemap_data_20251215_polygons.geojson")
    r = cli("changes", str(a), str(b), "--places", "settlements of Donetsk Oblast", "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    got = {x["id"]: (x["from"], x["to"]) for x in doc["places_changed"] if x["id"].startswith("relation/")}

    def classes(path):
        feats = json.loads(path.read_text(encoding="utf-8"))["features"]
        ru = [f for f in feats if f["properties"]["name"].startswith(("Occupied", "CADR"))]
        grey = [f for f in feats if f["properties"]["name"].startswith("Unknown status")]

        def union(fs):
            gs = [shapely.make_valid(shapely.from_geojson(json.dumps(f["geometry"]))) for f in fs]
            return shapely.union_all(gs)

        ru, grey = union(ru), union(grey)
        grey = shapely.difference(grey, ru)
        # where the map speaks: Ukraine's land, what it draws held and grey (once per release)
        return ru, grey, shapely.union_all([region("ukraine"), ru, grey])

    def status(poly, ru, grey, speaks_on):
        speaks = shapely.intersection(poly, speaks_on)
        cov = geodesic_km2(speaks)
        r_, g_ = geodesic_km2(shapely.intersection(poly, ru)), geodesic_km2(shapely.intersection(poly, grey))
        u_ = cov - r_ - g_
        if cov < 0.5 * geodesic_km2(poly):
            return "not covered"
        if r_ >= 0.5 * cov:
            return "held:RU"
        if u_ >= 0.5 * cov:
            return "held:UA"
        return "grey" if g_ >= 0.5 * cov else "contested"

    ca, cb = classes(a), classes(b)
    want = {}
    feats = json.loads((OSM_ADMIN / "osm_settlements.geojson").read_text(encoding="utf-8"))["features"]
    for f in feats:
        if f["properties"]["oblast_slug"] != "donetska_oblast":
            continue
        poly = shapely.make_valid(shapely.from_geojson(json.dumps(f["geometry"])))
        sa, sb = status(poly, *ca), status(poly, *cb)
        if sa != sb:
            want[f["properties"]["osm_id"]] = (sa, sb)
    assert want and got == want
    assert all(x["parents"] for x in doc["places_changed"])


def test_claim_places_gives_a_verdict_per_place(cli):
    args = ["claim", str(SAMPLE), "--places", "raions of Donetsk Oblast", "--side", "RU", "--claimed", "50%"]
    r = cli(*args, "--json")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    rows = {x["id"]: x for x in doc["rows"]}
    assert len(rows) == 8 and doc["claim"]["claimed"] == 0.5
    pok = rows["relation/11984324"]
    assert pok["verdict"] == ("supported" if pok["RU_share"] >= 0.5 else "not supported")
    assert rows["relation/11958110"]["verdict"] == "not covered"  # Mariupol raion: not on this clip
    r = cli(
        "claim",
        str(SAMPLE),
        "--places",
        "raions of Donetsk Oblast",
        "--side",
        "RU",
        "--claimed",
        "50%",
        "--strict",
    )
    assert r.returncode == 1


def _series(frame, grey=None):
    from mapdiff.history.releases import ShareSeries

    frame.index = pd.to_datetime(frame.index)
    if grey is not None:
        grey.index = frame.index
    return ShareSeries(frame, "RU", "nobody", "demo", grey=grey)


def test_ledger_statuses_and_first_release_of_each_change():
    from mapdiff.history.regions import changed_hands, ledger_from_shares, status_changes

    f = pd.DataFrame(
        {"A": [0.1, 0.3, 0.6, 0.7], "B": [0.0, 0.0, 0.0, float("nan")]},
        index=["2025-01-01", "2025-01-03", "2025-01-05", "2025-01-09"],
    )
    g = pd.DataFrame({"A": [0.0, 0.6, 0.1, 0.0], "B": [0.0, 0.0, 0.0, 0.0]})
    led = ledger_from_shares(_series(f, g))
    st = led.set_index(["place", "date"])["status"]
    assert list(st["A"]) == ["held:UA", "grey", "held:RU", "held:RU"]
    assert st["B"].iloc[-1] == "not covered"
    ch = status_changes(led)
    assert [(r["from"], r["to"], r["date"].day, r["previous_date"].day) for r in ch.to_dict("records")] == [
        ("held:UA", "grey", 3, 1),
        ("grey", "held:RU", 5, 3),
    ]
    hands = changed_hands(ch)
    assert list(hands["to"]) == ["held:RU"]
    # thresholds are options
    led = ledger_from_shares(_series(f, g), threshold=0.75)
    assert set(led[led["place"] == "A"]["status"]) == {"held:UA", "grey", "contested"}


def test_monthly_counts_and_disagreements_between_sources():
    from mapdiff.history.regions import changed_hands, disagreements, monthly_counts, status_changes

    def hands(dates_a):
        rows = [
            {"date": pd.Timestamp(d), "place": p, "share": s, "grey_share": 0.0, "status": st}
            for p, seq in dates_a.items()
            for d, s, st in seq
        ]
        return changed_hands(status_changes(pd.DataFrame(rows)))

    x = hands(
        {
            "V1": [("2025-01-01", 0.1, "held:UA"), ("2025-01-10", 0.9, "held:RU")],
            "V2": [("2025-01-01", 0.1, "held:UA"), ("2025-02-02", 0.9, "held:RU")],
        }
    )
    y = hands(
        {
            "V1": [("2025-01-01", 0.1, "held:UA"), ("2025-01-14", 0.9, "held:RU")],
            "V2": [("2025-01-01", 0.1, "held:UA"), ("2025-02-02", 0.9, "held:RU")],
        }
    )
    counts = monthly_counts({"x": x, "y": y}, {"V1": "Donetsk", "V2": "Donetsk"})
    assert counts[counts["source"] == "x"].set_index("month")["places"].to_dict() == {
        "2025-01": 1,
        "2025-02": 1,
    }
    dis = disagreements({"x": x, "y": y})
    assert list(dis["place"]) == ["V1"] and dis["spread_days"].iloc[0] == 4


def test_track_places_keeps_the_claims_about_the_set(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("MAPDIFF_CACHE_DIR", str(tmp_path))
    maps = f"deepstate={ROOT / 'data' / 'samples' / '*.geojson'}"
    ledger = str(ROOT / "data" / "claims" / "claims.csv")
    args = ["track", ledger, "--maps", maps, "--quiet", "--workers", "1", "--json"]
    every = json.loads(cli(*args).stdout)
    some = json.loads(cli(*args, "--places", "settlements in Pokrovsk urban hromada").stdout)
    places = {r["place"] for r in some["rows"]}
    assert places and places <= {"Pokrovsk", "Rodynske"} and len(some["rows"]) < len(every["rows"])
    r = cli("track", ledger, "--maps", maps, "--places", "hromadas of Volyn Oblast")
    assert r.returncode == 2 and "no claim" in r.stderr


# THE LOOP (reference): ledger_from_shares and status_changes as they were before they
# took every release and place at once (issue 28); the vectorised ones must give the same frames.
def _ledger_loop(shares, threshold=0.5, grey_threshold=0.5):
    side = shares.side
    other = "UA" if side == "RU" else "RU"
    f = shares.frame
    g = shares.grey if shares.grey is not None else f * 0.0
    rows = []
    for date, r in f.iterrows():
        gr = g.loc[date]
        for place, v in r.items():
            gv = 0.0 if pd.isna(gr[place]) else float(gr[place])
            if pd.isna(v):
                st = "not covered"
            elif v >= threshold:
                st = f"held:{side}"
            elif 1.0 - v - gv >= threshold:
                st = f"held:{other}"
            elif gv >= grey_threshold:
                st = "grey"
            else:
                st = "contested"
            rows.append({"date": date, "place": place, "share": v, "grey_share": gv, "status": st})
    return pd.DataFrame(rows)


def _changes_loop(ledger):
    out = []
    led = ledger[ledger["status"] != "not covered"].sort_values(["place", "date"])
    for place, grp in led.groupby("place", sort=False):
        prev = None
        for r in grp.itertuples(index=False):
            if prev is not None and r.status != prev.status:
                out.append(
                    {
                        "place": place,
                        "from": prev.status,
                        "to": r.status,
                        "date": r.date,
                        "previous_date": prev.date,
                        "share_before": prev.share,
                        "share_after": r.share,
                    }
                )
            prev = r
    cols = ["place", "from", "to", "date", "previous_date", "share_before", "share_after"]
    return pd.DataFrame(out, columns=cols)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("with_grey", [True, False])
def test_ledger_and_changes_match_the_loop(seed, with_grey):
    from mapdiff.history.regions import ledger_from_shares, place_changes, status_changes

    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-01-01", periods=40, freq="3D").strftime("%Y-%m-%d")
    names = [f"relation/{i} Place" for i in range(25)] + ["Same name", "Same name 2"]
    # shares on a coarse grid (ties with the thresholds), some NaN (not covered)
    v = rng.integers(0, 9, size=(len(days), len(names))) / 8.0
    v[rng.random(v.shape) < 0.1] = np.nan
    f = pd.DataFrame(v, index=list(days), columns=names)
    g = None
    if with_grey:
        gv = rng.integers(0, 9, size=v.shape) / 8.0 * (1 - np.nan_to_num(v))
        gv[rng.random(v.shape) < 0.05] = np.nan
        g = pd.DataFrame(gv, columns=names)
    for kw in ({}, {"threshold": 0.75, "grey_threshold": 0.25}):
        s = _series(f.copy(), None if g is None else g.copy())
        led = ledger_from_shares(s, **kw)
        pd.testing.assert_frame_equal(led, _ledger_loop(s, **kw), check_exact=True)
        pd.testing.assert_frame_equal(status_changes(led), _changes_loop(led), check_exact=True)
        shuffled = led.sample(frac=1.0, random_state=seed)  # any order of rows
        pd.testing.assert_frame_equal(status_changes(shuffled), _changes_loop(shuffled), check_exact=True)
        numbered = shuffled.assign(place=shuffled["place"].str.len() % 3)  # not text: pandas' sort
        pd.testing.assert_frame_equal(status_changes(numbered), _changes_loop(numbered), check_exact=True)
        # the changes straight from the shares (history --places): the same frame
        pd.testing.assert_frame_equal(
            place_changes(s, **kw), _changes_loop(_ledger_loop(s, **kw)), check_exact=True
        )
    backwards = _series(f.iloc[::-1].copy(), None if g is None else g.iloc[::-1].copy())  # dates unsorted
    pd.testing.assert_frame_equal(
        place_changes(backwards), _changes_loop(_ledger_loop(backwards)), check_exact=True
    )
    # no change at all: the same empty frame
    flat = _series(pd.DataFrame({"A": [0.9, 0.9]}, index=["2025-01-01", "2025-01-02"]))
    led = ledger_from_shares(flat)
    pd.testing.assert_frame_equal(status_changes(led), _changes_loop(led))
