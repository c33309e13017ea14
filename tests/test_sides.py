"""One vocabulary of sides: aliases accepted, a side the map lacks is an error naming its sides."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from conftest import RU

import mapdiff
from mapdiff.errors import UnknownSideError
from mapdiff.labels import canonical_side, resolve_side
from mapdiff.places.footprints import as_footprint


@pytest.mark.parametrize("alias", ["RU", "ru", "Russia", "RUS", "Russian Federation", " russia "])
def test_russian_aliases(alias):
    assert canonical_side(alias) == "RU"


@pytest.mark.parametrize("alias", ["UA", "ua", "Ukraine", "UKR", "ukrainian"])
def test_ukrainian_aliases(alias):
    assert canonical_side(alias) == "UA"


def test_unknown_side_lists_the_sides():
    with pytest.raises(UnknownSideError, match="its sides: RU, UA") as err:
        resolve_side("XX", ["RU", "UA"])
    assert isinstance(err.value, ValueError) and isinstance(err.value, mapdiff.MapdiffError)


def test_check_claim_with_an_alias_equals_the_canonical_side():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    ru = mapdiff.check_claim(m, "Pokrovsk", "RU", claimed="70%")
    alias = mapdiff.check_claim(m, "Pokrovsk", side="Russia", claimed="70%")
    assert alias.share == pytest.approx(ru.share) and alias.share > 0.1 and alias.side == "RU"
    with pytest.raises(UnknownSideError, match="RU, UA"):
        mapdiff.check_claim(m, "Pokrovsk", side="XX", claimed="70%")
    with pytest.raises(UnknownSideError, match="RU, UA"):
        mapdiff.check_claim(m, "Myrnohrad", side="XX", kind="encircled")


def test_encirclement_with_an_alias():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    assert mapdiff.encirclement(m, "Myrnohrad", by="Russia").by == "RU"
    with pytest.raises(UnknownSideError, match="RU, UA"):
        mapdiff.encirclement(m, "Myrnohrad", by="XX")


def test_shares_with_an_alias_and_an_unknown_side():
    s = mapdiff.Releases(mapdiff.sample_paths())
    a = s.shares("Pokrovsk", side="Russia", quiet=True, cache=False, workers=1)
    b = s.shares("Pokrovsk", side="RU", quiet=True, cache=False, workers=1)
    assert a.side == "RU" and a.frame.equals(b.frame)
    with pytest.raises(UnknownSideError, match="RU, UA"):
        s.shares("Pokrovsk", side="XX", quiet=True, cache=False, workers=1)


def test_generic_side_column_aliases_become_one_vocabulary():
    gdf = gpd.GeoDataFrame(
        {"status": ["controlled"], "side": ["Russia"]},
        geometry=[shapely.box(37.0, 48.0, 37.2, 48.2)],
        crs=4326,
    )
    m = mapdiff.read_map(gdf, as_of="2025-11-27")
    assert m.labels == (RU,)


def test_cli_unknown_side_exits_2_naming_the_sides(cli):
    path = mapdiff.sample_path("2025-11-27")
    args = ["claim", path, "--place", "Pokrovsk", "--claimed", "70%"]
    bad = cli(*args, "--side", "XX")
    assert bad.returncode == 2 and "its sides: RU, UA" in bad.stderr
    ok = cli(*args, "--side", "Russia")
    assert ok.returncode == 0 and "Claim: RU holds 70.0% of Pokrovsk" in ok.stdout


def test_share_series_carries_the_grey_share_or_says_there_is_none():
    import datetime as dt

    from conftest import GREY, UA

    cov = shapely.box(37.0, 48.0, 37.2, 48.2)
    maps = [
        mapdiff.normalise(
            [(RU, shapely.box(37.0, 48.0, east, 48.2)), (GREY, shapely.box(east, 48.0, east + 0.05, 48.2))],
            coverage=cov,
            background=UA,
            source="synthetic",
            as_of=dt.date(2025, 11, day),
        )
        for east, day in ((37.05, 1), (37.1, 2))
    ]
    s = mapdiff.Releases(maps).shares([as_footprint(cov)], side="RU", quiet=True, cache=False, workers=1)
    place = s.places[0]
    assert list(s.frame[place].round(3)) == [0.25, 0.5]
    assert list(s.grey[place].round(3)) == [0.25, 0.25] and s.grey_note is None
    assert s.to_dict()["grey_shares"][place] == [0.25, 0.25]
    ax = s.plot()
    assert f"{place}: grey zone" in [t.get_text() for t in ax.get_legend().get_texts()]
    # the DeepState archive has no grey-zone class: no grey series, and a sentence instead
    d = mapdiff.Releases(mapdiff.sample_paths()).shares(
        "Pokrovsk", side="RU", quiet=True, cache=False, workers=1
    )
    assert d.grey is None and "no grey-zone class" in d.grey_note
    assert d.to_dict()["grey_shares"] is None


def test_map_figure_legend_states_the_grey_zone_or_its_absence(square_map):
    import matplotlib.pyplot as plt
    from conftest import UA

    texts = [t.get_text() for t in square_map.plot().get_legend().get_texts()]
    grey_km2 = square_map.areas()[mapdiff.labels.GREY]
    assert f"contested: {grey_km2:,.1f} km²" in texts
    assert "no grey-zone class in this source" not in texts
    no_grey = mapdiff.normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2))],
        coverage=shapely.box(37.0, 48.0, 37.2, 48.2),
        background=UA,
        source="plain",
    )
    texts = [t.get_text() for t in no_grey.plot().get_legend().get_texts()]
    assert "no grey-zone class in this source" in texts and not any(t.startswith("contested") for t in texts)
    plt.close("all")
