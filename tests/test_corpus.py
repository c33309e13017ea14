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
    from mapdiff import Series

    files = [
        shared_file("deepstate/deepstatemap_data_20241012.geojson"),
        shared_file("deepstate/deepstatemap_data_20241013.geojson"),
    ]
    shares = Series(files).shares(["Pokrovsk", "Myrnohrad"], side="RU", cache=False)
    frame = shares.frame
    assert len(frame) == 2
    assert ((frame >= 0) & (frame <= 1)).all().all()
    owl = Series([shared_file("owl/20250115.json"), shared_file("owl/20250415.json")])
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
