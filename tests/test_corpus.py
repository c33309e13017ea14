"""Issue 26, real-corpus half: defects the real archives showed, each with a synthetic test
that always runs and a real-data test on a few releases (skipped when ../shared/data is absent)."""

from __future__ import annotations

import json
import shutil

import geopandas as gpd
import pytest
import shapely
from conftest import shared_file

import mapdiff
from mapdiff import read_map
from mapdiff.io.read import _clip_by_rect

BOX = shapely.box(37.1, 48.0, 37.2, 48.1)


def _one(geom) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"status": ["controlled"], "side": ["RU"]}, geometry=[geom], crs=4326)


# a front drawn west of the box, with a spike (a ring doubling back on itself) into it
SPIKE_3 = shapely.Polygon(
    [(37.0, 48.0), (37.05, 48.0), (37.05, 48.05), (37.15, 48.05), (37.05, 48.05), (37.05, 48.1), (37.0, 48.1)]
)
SPIKE_FLAG = shapely.Polygon(
    [
        (37.0, 48.0),
        (37.05, 48.0),
        (37.05, 48.05),
        (37.15, 48.05),
        (37.15, 48.06),
        (37.15, 48.05),
        (37.05, 48.05),
        (37.05, 48.1),
        (37.0, 48.1),
    ]
)


def test_clipped_read_of_a_box_the_map_draws_nothing_in_is_its_background():
    """Pieces cut to the box without area (a collapsed spike) leave the box to the background:
    an empty map of it, not 'no polygon with area is left' (issue 26: 92 DeepState releases)."""
    for geom in (SPIKE_FLAG, SPIKE_3):
        m = read_map(_one(geom), as_of="2025-11-27", clip=BOX)
        assert m.labels == ()
        assert m.report.n_used == 0


def test_clip_by_rect_repairs_what_geos_refuses():
    """GEOS refuses to cut a ring that collapses to 3 points in the rectangle: repaired, not raised."""
    import numpy as np

    pieces = _clip_by_rect(
        np.asarray([SPIKE_3, shapely.box(37.15, 48.0, 37.3, 48.1)], dtype=object), *BOX.bounds
    )
    assert pieces[0].area == 0.0
    assert abs(pieces[1].area - 0.05 * 0.1) < 1e-12


def test_history_of_two_towns_reads_releases_that_draw_nothing_there(tmp_path):
    """The README's history command on releases that failed it (deepstate, owl)."""
    from mapdiff import Releases

    files = [
        shared_file("deepstate/deepstatemap_data_20241012.geojson"),
        shared_file("deepstate/deepstatemap_data_20241013.geojson"),
    ]
    shares = Releases(files).shares(["Pokrovsk", "Myrnohrad"], side="RU", cache=False)
    frame = shares.frame
    assert len(frame) == 2
    assert ((frame >= 0) & (frame <= 1)).all().all()
    owl = Releases([shared_file("owl/20250115.json"), shared_file("owl/20250415.json")])
    got = owl.shares(["Pokrovsk", "Myrnohrad"], side="RU", cache=False)
    assert ((got.frame >= 0) & (got.frame <= 1)).all().all()


@pytest.mark.parametrize("named", [True, False])
def test_claim_on_one_folder_of_releases(tmp_path, cli, named):
    """``claim deepstate=DIR`` (or DIR) with one folder: every release on or before --date,
    not 'no such file' (issue 26)."""
    folder = tmp_path / "ds"
    folder.mkdir()
    for p in mapdiff.sample_paths():
        shutil.copy(p, folder / p.name)
    arg = f"deepstate={folder}" if named else str(folder)
    r = cli(
        "claim",
        arg,
        "--place",
        "Pokrovsk",
        "--side",
        "RU",
        "--claimed",
        "70%",
        "--date",
        "2025-11-28",
        "--json",
    )
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    (check,) = d["sources"].values()
    assert check["release"] == "2025-11-27" and check["gap_days"] == 1
    assert 0.0 <= check["share"] <= 1.0
    single = cli("claim", str(mapdiff.sample_path("2025-11-27")), "--place", "Pokrovsk", "--side", "RU")
    assert single.returncode == 2 and "claimed value" in single.stderr


# ---------------------------------------------------------------- GEOS topology errors (1b)
def test_overlay_falls_back_to_valid_then_snapped_inputs(monkeypatch):
    """A set operation GEOS refuses (TopologyException) is retried on valid inputs, then
    snap-rounded on a fine grid: the answer, never the GEOS error."""
    from mapdiff.encircle import _geometry as encircle

    calls = []

    def fussy(a, b, **kw):  # GEOS refusing the operation unless it snaps to a grid
        calls.append(kw)
        if "grid_size" not in kw:
            raise shapely.errors.GEOSException("TopologyException: side location conflict at 0 0")
        return shapely.intersection(a, b, **kw)

    bowtie = shapely.Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # invalid: made valid first
    got = encircle._overlay(fussy, bowtie, shapely.box(0, 0, 2, 1))
    assert len(calls) == 3 and calls[-1]["grid_size"] > 0
    assert got.is_valid and abs(got.area - 1.0) < 1e-6  # the two triangles' halves below y=1
    monkeypatch.setattr(shapely, "union_all", lambda arr, **kw: fussy(arr[0], arr[1], **kw))
    calls.clear()
    got = encircle.union([shapely.box(0, 0, 1, 1), shapely.box(0.5, 0, 2, 1)])
    assert len(calls) == 3


def test_encircle_kupiansk_by_ua_on_a_real_release():
    """DeepState API 2025-12-12: Kupiansk encircled by UA with the grey zone passable raised
    GEOS 'side location conflict' (exit 3; it killed a whole claims ledger run)."""
    m = read_map(shared_file("deepstate_api/deepstatemap_data_20251212_polygons.geojson"))
    for grey in ("passable", "blocking"):
        e = mapdiff.encirclement(m, "Kupiansk", by="UA", grey=grey)
        assert e.verdict and (e.corridor_km is None or e.corridor_km >= 0)


def test_claims_ledger_keeps_every_other_row_when_one_check_fails(monkeypatch, cli, tmp_path):
    """One claim failing with an internal error: its row says 'error', the rest stand, and
    the command line prints them all and exits 3."""
    import datetime as dt

    from mapdiff.claims import ledger

    real = ledger.check_claim

    def broken_on_myrnohrad(m, place, *a, **kw):
        if "Myrnohrad" in str(place):
            raise RuntimeError("boom")
        return real(m, place, *a, **kw)

    monkeypatch.setattr(ledger, "check_claim", broken_on_myrnohrad)
    maps = [read_map(p) for p in mapdiff.sample_paths()]
    claims = [
        mapdiff.Claim("A", dt.date(2025, 11, 27), "Pokrovsk", "RU", "share", 0.7),
        mapdiff.Claim("B", dt.date(2025, 11, 27), "Myrnohrad", "RU", "share", 0.7),
    ]
    rep = mapdiff.check_claims(claims, maps)
    verdicts = [r["verdict"] for r in rep.rows]
    assert verdicts[0] in ("supported", "not supported", "within tolerance")
    assert verdicts[1] == "error" and "RuntimeError: boom" in rep.rows[1]["note"]

    folder = tmp_path / "ds"
    folder.mkdir()
    for p in mapdiff.sample_paths():
        shutil.copy(p, folder / p.name)
    led = tmp_path / "ledger.csv"
    led.write_text(
        "who,date,place,side,kind,value\nA,2025-11-27,Pokrovsk,RU,share,70%\nB,2025-11-27,Myrnohrad,RU,share,70%\n",
        encoding="utf-8",
    )
    r = cli("claims", led, "--maps", f"deepstate={folder}", "--json")
    assert r.returncode == 3
    rows = json.loads(r.stdout)["rows"]
    assert [x["verdict"] for x in rows][1] == "error" and rows[0]["share"] is not None
    assert "1 of 2 rows failed" in r.stderr


def test_claim_shares_stay_in_0_1_when_held_and_grey_fill_the_town():
    """held + grey measured apart can exceed the footprint by a rounding error (Toretsk on
    DeepState API 2025-11-26: claimant share 1 + 4e-9)."""
    from mapdiff.claims.check import _shares

    got = _shares({"held": 0.7, "grey": 0.3 + 4e-9, "covered": 1.0})
    assert got["claimant"] == 1.0 and 0.0 <= got["excluded"] <= 1.0 and got["nobody"] == 0.7
    assert (
        _shares({"held": 0.0, "grey": 0.0, "covered": 0.0})["nobody"]
        != _shares({"held": 0.0, "grey": 0.0, "covered": 0.0})["nobody"]
    )
