"""mapdiff.ledger: reading and validating a claims ledger, and check_claims over maps and series."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import shapely
from conftest import RU, UA

import mapdiff
from mapdiff import (
    MapdiffError,
    check_claims,
    normalise,
    read_ledger,
)
from mapdiff.ledger import shipped_ledger_path
from mapdiff.places.footprints import footprint_from_geometry

SQUARE = shapely.box(37.0, 48.0, 37.2, 48.2)


# ------------------------------------------------------------------ ledger
def test_shipped_ledger():
    led = read_ledger(shipped_ledger_path())
    assert len(led) >= 40
    putin = [c for c in led if c.date == dt.date(2025, 11, 27) and c.place != "Kupiansk"]
    c = putin[0]
    assert (c.date, c.place, c.side, c.kind, c.value) == (
        dt.date(2025, 11, 27),
        "Pokrovsk",
        "RU",
        "share",
        0.7,
    )
    assert [(x.place, x.kind, x.value) for x in putin[1:]] == [
        ("Pokrovsk", "encircled", None),
        ("Myrnohrad", "encircled", None),
    ]
    assert all(x.source_url.startswith("http") and x.source and x.claimant for x in led)
    assert "Putin" in c.who
    assert list(led.to_frame().columns)[:11] == [
        "who",
        "claimant",
        "date",
        "place",
        "side",
        "kind",
        "value",
        "quote",
        "language",
        "source",
        "source_url",
    ]


HEADER = "who,date,place,side,kind,value,quote,source_url\n"


@pytest.mark.parametrize(
    "row, match",
    [
        ("A,2025-13-01,Pokrovsk,RU,share,70%,,", "row 2: bad date '2025-13-01'"),
        ("A,27.11.2025,Pokrovsk,RU,share,70%,,", "row 2: bad date"),
        ("A,2025-11-27,Pokrovsk,RU,share,170%,,", "row 2: .*over 100%"),
        ("A,2025-11-27,Pokrovsk,RU,share,,,", "row 2: a share claim needs a value"),
        ("A,2025-11-27,Pokrovsk,RU,liberated,,,", "row 2: unknown kind"),
        ("A,2025-11-27,Pokrovsk,,share,70,,", "row 2: the side is empty"),
        ("A,2025-11-27,Pokrovs,RU,share,70,,", "row 2: .*did you mean Pokrovsk"),
    ],
)
def test_ledger_validation_names_the_row(tmp_path, row, match):
    path = tmp_path / "claims.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(MapdiffError, match=match):
        read_ledger(path)


def test_ledger_missing_column_and_file(tmp_path):
    path = tmp_path / "claims.csv"
    path.write_text("who,date,place\nA,2025-11-27,Pokrovsk\n")
    with pytest.raises(mapdiff.FormatError, match="lacks the column"):
        read_ledger(path)
    with pytest.raises(mapdiff.FormatError, match="cannot read ledger"):
        read_ledger(tmp_path / "none.csv")


def test_check_claims_picks_the_release_on_or_before_the_date(tmp_path):
    maps = [
        normalise(
            [(RU, shapely.box(37.0, 48.0, e, 48.2))], coverage=SQUARE, background=UA, source="s", as_of=d
        )
        for e, d in ((37.08, dt.date(2025, 11, 1)), (37.15, dt.date(2025, 11, 20)))
    ]
    other = [
        normalise(
            [(RU, shapely.box(37.0, 48.0, 37.19, 48.2))],
            coverage=SQUARE,
            background=UA,
            source="t",
            as_of=dt.date(2025, 11, 30),
        )
    ]
    path = tmp_path / "claims.csv"
    path.write_text(
        HEADER + "A,2025-11-27,square.geojson,RU,share,70%,q,\nB,2025-11-10,square.geojson,RU,captured,,q,\n",
        encoding="utf-8",
    )
    (tmp_path / "square.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {"type": "Feature", "properties": {}, "geometry": json.loads(shapely.to_geojson(SQUARE))}
                ],
            }
        )
    )
    rep = check_claims(path, maps + other)
    df = rep.to_frame()
    assert len(df) == 4
    a = df[(df.who == "A") & (df.source == "s")].iloc[0]
    assert (a.release, a.gap_days, a.verdict) == ("2025-11-20", 7, "supported")
    assert a.share == pytest.approx(0.75, abs=1e-6)
    b = df[(df.who == "B") & (df.source == "s")].iloc[0]
    assert (b.release, b.gap_days, b.verdict) == ("2025-11-01", 9, "not supported")
    t = df[df.source == "t"]
    assert (t.verdict == "no release").all() and t.release.isna().all()
    assert "no t release on or before" in t.iloc[0].note
    # mapping source -> maps gives the same table
    assert check_claims(path, {"s": maps, "t": other}).to_frame().equals(df)
    assert json.loads(json.dumps(rep.to_dict()))["schema_version"] == 1
    assert "2025-11-20, 7 d before: supported" in str(rep)
    assert rep.plot() is not None


def test_check_claims_not_covered_row():
    m = normalise(
        [(RU, shapely.box(37.0, 48.0, 37.1, 48.2))],
        coverage=SQUARE,
        background=UA,
        source="s",
        as_of=dt.date(2025, 11, 1),
    )
    claim = mapdiff.Claim("A", dt.date(2025, 11, 27), "Kharkiv", "RU", "share", 0.5)
    df = check_claims([claim], [m]).to_frame()
    assert df.iloc[0].verdict == "not covered" and "does not cover Kharkiv" in df.iloc[0].note


class _FakeSeries:
    """Duck-typed release series (like mapdiff.Series): dates, source, lazy indexing."""

    def __init__(self, maps):
        self.maps, self.source, self.reads = maps, maps[0].source, []
        self.dates = [m.as_of for m in maps]

    def __getitem__(self, i):
        self.reads.append(i)
        return self.maps[i]

    def __len__(self):
        return len(self.maps)


def test_check_claims_reads_a_series_lazily():
    maps = [
        normalise(
            [(RU, shapely.box(37.0, 48.0, e, 48.2))],
            coverage=SQUARE,
            background=UA,
            source="s",
            as_of=dt.date(2025, 11, d),
        )
        for e, d in ((37.05, 1), (37.1, 10), (37.15, 20))
    ]
    series = _FakeSeries(maps)
    claims = [
        mapdiff.Claim("A", dt.date(2025, 11, 12), footprint_from_geometry(SQUARE, "sq"), "RU", "share", 0.5),
        mapdiff.Claim("B", dt.date(2025, 11, 15), footprint_from_geometry(SQUARE, "sq"), "RU", "share", 0.6),
    ]
    df = check_claims(claims, series).to_frame()
    assert list(df.release) == ["2025-11-10", "2025-11-10"] and list(df.gap_days) == [2, 5]
    assert list(df.verdict) == ["supported", "not supported"]
    assert series.reads == [1]  # one release read, once
    assert list(df.place) == ["sq", "sq"]
