"""Profiles: built-ins, detection, labelling rules, dates, and user TOML errors."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from conftest import GREY, ROOT, RU, UA

import mapdiff
from mapdiff.errors import ProfileError, UnknownSourceError
from mapdiff.profiles import (
    available_profiles,
    detect_profile,
    get_profile,
    load_profile,
    register_profile,
)

RULE = '[[rules]]\nproperty = "a"\nvalues = ["b"]\nlabel = "contested"\n'


def test_builtins_load_with_backgrounds_and_scopes():
    assert {"deepstate", "nzz", "isw", "generic"} <= set(available_profiles())
    for name in ("deepstate", "nzz", "isw"):
        p = get_profile(name)
        assert p.background == UA and p.coverage == "ukraine" and p.attribution and p.scope
    assert get_profile("nzz").not_drawn == ("crimea", "pre2022")
    assert get_profile("DeepState") is get_profile("deepstate")


@pytest.mark.parametrize(
    "table, coll, expected",
    [
        (pd.DataFrame(index=[0]), "deepstatemap_data_20251127", "deepstate"),
        (
            pd.DataFrame({"name": ["Окупована\u00a0///\u00a0Occupied /// geoJSON.status.occupied\n"]}),
            None,
            "deepstate_raw",
        ),
        (pd.DataFrame({"name": ["Occupied", "CADR and CALR"]}), "x_polygons", "deepstate_api"),
        (pd.DataFrame({"style_url": ["#ru", "#ua"]}), None, "creamy_caprice"),
        (pd.DataFrame({"layer": ["areas"]}), "owlmaps UA Control Map", "owl"),
        (
            pd.DataFrame({"type": ["gains"], "_datefrom": ["2025-11-19"], "_dateto": ["2025-11-26"]}),
            None,
            "nzz",
        ),
        (pd.DataFrame({"layer": ["VIEW_RussiaCoTinUkraine_V3"]}), None, "isw"),
        (pd.DataFrame({"layer": ["ロシア軍支配エリア"]}), None, "isw"),
        (pd.DataFrame({"status": ["controlled"], "side": ["RU"]}), None, "generic"),
    ],
)
def test_detection_by_content(table, coll, expected):
    assert detect_profile(table, coll).name == expected


def test_nothing_detected():
    assert detect_profile(pd.DataFrame({"kind": ["x"]}), "my_map") is None


def test_deepstate_rules_on_trilingual_names():
    names = [
        "Окупована\u00a0///\u00a0Occupied\u00a0/// geoJSON.status.occupied\n",
        "Сіра /// Unknown /// geoJSON.status.unknown\n\n",
        "Звільнено /// Liberated 25.03 /// geoJSON.status.dismissed",
        "Крим /// Crimea /// geoJSON.territories.crimea",
        "ОРДЛО /// ORDLO /// geoJSON.territories.ordlo",
        "Тузла /// Tuzla /// geoJSON.territories.tuzla",
        "Штаб /// HQ /// geoJSON.icons.headquarter",
        None,
        "",
    ]
    labels = get_profile("deepstate").label_features(pd.DataFrame({"name": names}))
    assert labels == [RU, GREY, UA, RU, RU, RU, None, RU, RU]


def test_isw_rules_and_precedence():
    layers = [
        "VIEW_RussiaCoTinUkraine_V3",
        "MDS_AssessedRussianAdvanceInUkraine_view",
        "VIEW_ClaimedRussianTerritoryinUkraine_V2",
        "VIEW_ClaimedUkrainianCounteroffensives_V2",
        "ロシア軍侵攻エリア",
        "something else",
    ]
    p = get_profile("isw")
    labels = p.label_features(pd.DataFrame({"layer": layers}))
    assert [str(x) if x else None for x in labels] == [
        "controlled:RU",
        "advanced:RU",
        "claimed:RU",
        "claimed:UA",
        "advanced_or_claimed:RU",
        None,
    ]
    order = p.order(reversed(labels))
    assert [str(x) for x in order] == [
        "controlled:RU",
        "advanced:RU",
        "advanced_or_claimed:RU",
        "claimed:UA",
        "claimed:RU",
    ]


def test_generic_status_columns_and_wildcard_precedence():
    p = get_profile("generic")
    t = pd.DataFrame(
        {
            "status": ["controlled", "contested", "encircled", None, " "],
            "side": ["RU", None, "UA", "RU", "UA"],
        }
    )
    labels = p.label_features(t)
    assert labels == [RU, GREY, mapdiff.labels.Label("encircled", "UA"), None, None]
    # "controlled" without a side in the precedence list matches every side
    assert p.order([RU, UA, GREY]) == [GREY, RU, UA]


def test_as_of_sources():
    nzz = get_profile("nzz")
    t = pd.DataFrame({"_dateto": ["2025-11-20", "2025-11-26"]})
    assert nzz.find_as_of(t) == dt.date(2025, 11, 26)
    ds = get_profile("deepstate")
    assert ds.find_as_of(pd.DataFrame(), file_name="deepstatemap_data_20251127.geojson") == dt.date(
        2025, 11, 27
    )
    assert ds.find_as_of(pd.DataFrame(), top_level={"datetime": "2025-11-27T09:30:00Z"}) == dt.date(
        2025, 11, 27
    )
    assert get_profile("isw").find_as_of(pd.DataFrame(), file_name="20230521.geojson") == dt.date(2023, 5, 21)
    assert ds.find_as_of(pd.DataFrame(), file_name="map.geojson") is None


def test_user_profile_from_toml(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(
        'name = "mine"\nbackground = "controlled:UA"\nprecedence = ["contested"]\n'
        '[[rules]]\nproperty = "kind"\nvalues = ["theirs"]\nlabel = "controlled:RU"\n'
        '[[rules]]\nproperty = "kind"\npattern = "(?i)grey"\nlabel = "contested"\n'
        '[[rules]]\nproperty = "kind"\nmissing = true\nlabel = "drop"\n',
        encoding="utf-8",
    )
    p = register_profile(path)
    assert "mine" in available_profiles() and get_profile("mine") is p
    assert get_profile(str(path)).name == "mine"
    labels = p.label_features(pd.DataFrame({"kind": ["theirs", "Grey zone", None, "other"]}))
    assert labels == [RU, GREY, None, None]


def test_example_kml_profile_ships_in_docs():
    p = load_profile(ROOT / "docs" / "profiles" / "handmade_kml.toml")
    t = pd.DataFrame(
        {
            "folder": ["Front/Grey zone", None, None],
            "fill": ["#ff0000", "#ff0000", "#0288d1"],
            "name": ["a", "b", "c"],
        }
    )
    assert p.label_features(t) == [GREY, RU, UA]


@pytest.mark.parametrize(
    "text, match",
    [
        ('name = "x"\n', "at least one"),
        (
            'name = "x"\ncolour = "red"\n[[rules]]\nproperty = "a"\nvalues = ["b"]\nlabel = "contested"\n',
            "unknown key",
        ),
        ('name = "x y"\n[[rules]]\nproperty = "a"\nvalues = ["b"]\nlabel = "contested"\n', "identifier"),
        ('name = "x"\n[[rules]]\nproperty = "a"\npattern = "("\nlabel = "contested"\n', "regular expression"),
        ('name = "x"\n[[rules]]\nproperty = "a"\nlabel = "contested"\n', "exactly one"),
        ('name = "x"\n[[rules]]\nproperty = "a"\nvalues = ["b"]\nlabel = 3\n', "label"),
        (
            'name = "x"\nprecedence = "contested"\n' + RULE,
            "list of strings",
        ),
        (
            'name = "x"\n[[detect]]\nproperty = "a"\n' + RULE,
            "no pattern",
        ),
        ("name = \n", "not a valid TOML"),
    ],
)
def test_bad_profiles_say_what_is_wrong(tmp_path, text, match):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ProfileError, match=match) as err:
        load_profile(path)
    assert "bad.toml" in str(err.value)


def test_missing_profile_file_and_unknown_name(tmp_path):
    with pytest.raises(ProfileError, match="no such profile"):
        load_profile(tmp_path / "none.toml")
    with pytest.raises(UnknownSourceError, match=r"known: .*deepstate"):
        get_profile("liveuamap")


def test_drop_mostly_outside_per_source(tmp_path):
    assert get_profile("deepstate").drop_mostly_outside
    assert not get_profile("nzz").drop_mostly_outside and not get_profile("isw").drop_mostly_outside
    path = tmp_path / "p.toml"
    path.write_text('name = "p"\ndrop_mostly_outside = "no"\n' + RULE, encoding="utf-8")
    with pytest.raises(ProfileError, match="true or false"):
        load_profile(path)
