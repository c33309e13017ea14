"""The release report's settlements that changed hands and region shares of the oblasts at
war (issue 23): the same numbers as ``changes --places`` and ``region_shares``, measured
another way; the page escapes names; the locator figure labels every settlement."""

from __future__ import annotations

import json

import pytest
from conftest import shared_file

from mapdiff import read_map
from mapdiff.draw.report import plot_settlements_changed, render_html
from mapdiff.history.regions import region_shares
from mapdiff.history.report import build_report


@pytest.fixture(scope="module")
def real_pair():
    a = shared_file("deepstate_api/deepstatemap_data_20251101_polygons.geojson")
    b = shared_file("deepstate_api/deepstatemap_data_20251215_polygons.geojson")
    old, new = read_map(a), read_map(b)
    return a, b, old, new, build_report(old, new, ledger=False).to_dict()


def test_settlements_equal_changes_places_on_a_real_pair(cli, real_pair):
    """The report measures only the settlements the changed land meets; ``changes --places``
    measures every settlement of Donetsk Oblast: the same settlements, statuses and shares."""
    a, b, _old, _new, d = real_pair
    moved = d["settlements_changed"]
    assert len({r["oblast"] for r in moved}) >= 3  # Donetsk, Kharkiv, Zaporizhzhia ... on this pair
    assert all(r["from"] != r["to"] for r in moved)
    r = cli("changes", str(a), str(b), "--places", "settlements of Donetsk Oblast", "--json")
    assert r.returncode == 0, r.stderr
    want = {x["id"]: x for x in json.loads(r.stdout)["places_changed"]}
    got = {x["id"]: x for x in moved if x["oblast"] == "Donetsk"}
    assert want and set(got) == set(want)
    for k, w in want.items():
        g = got[k]
        assert (g["from"], g["to"], g["name"], g["approximate"]) == (
            w["from"],
            w["to"],
            w["name"],
            w["approximate"],
        )
        for when in ("before", "after"):
            for s, v in w[when].items():
                assert g[when][s] == pytest.approx(v, abs=1e-6), (k, when, s)
    # sorted by oblast, then name; each with a point inside the oblasts at war's box
    assert [(x["oblast"], x["name"]) for x in moved] == sorted((x["oblast"], x["name"]) for x in moved)


def test_region_shares_equal_region_shares_on_a_real_pair(real_pair):
    """Every oblast with RU-held land on either release, with its shares and changes, as
    :func:`region_shares` measures them on both releases (every label cut by every oblast)."""
    _a, _b, old, new, d = real_pair
    f = region_shares([old, new], "oblast").frame
    fo, fn = (f[f["date"] == m.as_of.isoformat()].set_index("id") for m in (old, new))
    at_war = {i for i in fn.index if fn.loc[i, "RU_km2"] > 0 or fo.loc[i, "RU_km2"] > 0}
    rows = {r["id"]: r for r in d["regions"]}
    assert set(rows) == at_war and "oblast/donetska_oblast" in rows
    for i, r in rows.items():
        for s in ("RU", "UA", "grey"):
            assert r[f"{s}_share"] == pytest.approx(fn.loc[i, f"{s}_share"], abs=2e-6), (i, s)
            pp = 100 * (fn.loc[i, f"{s}_share"] - fo.loc[i, f"{s}_share"])
            assert r[f"{s}_change_pp"] == pytest.approx(pp, abs=1e-3), (i, s)
    page = render_html(d)
    assert "Region shares of the oblasts at war" in page and "Donetsk Oblast" in page


def _doc(name="Pokrovsk", oblast="Donetsk"):
    return {
        "type": "release_report",
        "old": {"source": "deepstate", "as_of": "2025-11-01"},
        "new": {"source": "deepstate", "as_of": "2025-12-15"},
        "side": "RU",
        "sides": {"RU": {"gained_km2": 1.0, "lost_km2": 0.0, "net_km2": 1.0}, "UA": {}},
        "settlements_changed": [
            {"id": "relation/2506125", "name": name, "oblast": oblast, "parents": ["Pokrovsk urban hromada"],
             "from": "grey", "to": "held:RU", "before": {"RU": 0.07, "UA": 0.1, "grey": 0.83},
             "after": {"RU": 0.62, "UA": 0.0, "grey": 0.38}, "approximate": False, "lon": 37.17,
             "lat": 48.28},
            {"id": "geonames/694403", "name": "Siversk", "oblast": oblast, "parents": [],
             "from": "held:UA", "to": "contested", "before": {"RU": 0.0}, "after": {"RU": 0.4},
             "approximate": True, "lon": 38.097, "lat": 48.863},
        ],
        "regions": [
            {"id": "oblast/donetska_oblast", "name": "Donetsk Oblast", "area_km2": 26527.6, "RU_share": 0.77,
             "RU_change_pp": 1.32, "UA_share": 0.21, "UA_change_pp": -1.39, "grey_share": 0.02,
             "grey_change_pp": 0.07, "covered_share": 1.0},
        ],
    }  # fmt: skip


def test_the_page_escapes_settlement_and_oblast_names():
    page = render_html(_doc(name='<img src=x onerror="alert(1)">', oblast="Don & <b>etsk</b>"))
    assert "<img src=x" not in page and "<b>etsk</b>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page and "Don &amp; &lt;b&gt;etsk" in page
    assert "held by RU" in page and "approximate footprint" in page and "+1.32 pp" in page


def test_the_locator_figure_labels_every_settlement():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = plot_settlements_changed(_doc())
    labels = sorted(t.get_text() for t in ax.texts if t.get_gid() == "settlement-label")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(ax.figure)
    assert labels == ["Pokrovsk", "Siversk *"]  # * approximate footprint
    assert legend == ["now held by RU", "now contested", "oblast"]
    with pytest.raises(ValueError, match="nothing to locate"):
        plot_settlements_changed({**_doc(), "settlements_changed": []})
