"""The shipped claims ledger and the rules of a curated ledger (validate_ledger), and how
check_claims picks a claim's release (on or before / nearest, the gap warning)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import warnings

import pytest
import shapely

import mapdiff
from mapdiff.claims.ledger import (
    ARCHIVE_START,
    CLAIMANTS,
    COLUMNS,
    LEDGER_KINDS,
    check_claims,
    pick_release,
    read_ledger,
    shipped_ledger_path,
    validate_ledger,
)
from mapdiff.errors import LedgerError, MapdiffError, StaleReleaseWarning, UnknownPlaceError
from mapdiff.labels import Label
from mapdiff.model.normalisation import normalise
from mapdiff.places.footprints import footprint_from_geometry, place_names

RU, UA = Label("controlled", "RU"), Label("controlled", "UA")

SQUARE = shapely.box(37.0, 48.0, 37.2, 48.2)


def _rows() -> list[dict]:
    text = shipped_ledger_path().read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


# ------------------------------------------------------------------ the shipped ledger
def test_shipped_ledger_schema():
    text = shipped_ledger_path().read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert tuple(header) == COLUMNS
    rows = _rows()
    assert len(rows) >= 40
    assert all(len(r) == len(COLUMNS) and None not in r for r in rows)  # no ragged row


def test_shipped_ledger_rows_follow_the_rules():
    rows = _rows()
    led = validate_ledger(shipped_ledger_path())  # raises on any broken rule
    assert len(led) == len(rows)
    today = dt.date.today()
    known = set(place_names())
    for r, c in zip(rows, led, strict=True):
        d = dt.date.fromisoformat(r["date"])  # ISO, exactly
        assert r["date"] == d.isoformat()
        assert ARCHIVE_START <= d <= today
        assert r["place"] in known, r["place"]  # the canonical gazetteer name, not an alias
        assert r["kind"] in LEDGER_KINDS and r["side"] in ("RU", "UA")
        assert r["claimant"] in CLAIMANTS and r["language"] in ("ru", "uk", "en")
        assert r["source"] and r["source_url"].startswith(("https://", "http://"))
        assert r["quote"]
        assert (r["kind"] == "share") == bool(r["value"])
        assert c.place == r["place"]


def test_shipped_ledger_covers_the_towns_asked_for():
    places = {r["place"] for r in _rows()}
    assert {"Pokrovsk", "Myrnohrad", "Toretsk", "Lyman"} <= places
    sides = {r["side"] for r in _rows()}
    assert sides == {"RU", "UA"}


# ------------------------------------------------------------------ bad ledgers fail
GOOD = {
    "who": "Ministry of Defence of Russia",
    "claimant": "RU MoD",
    "date": "2025-11-27",
    "place": "Pokrovsk",
    "side": "RU",
    "kind": "captured",
    "value": "",
    "quote": "Krasnoarmeysk was liberated",
    "language": "ru",
    "source": "An agency, a report, 2025-11-27",
    "source_url": "https://example.org/report",
}


def _write(tmp_path, **change) -> object:
    path = tmp_path / "claims.csv"
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerow(GOOD)
    w.writerow({**GOOD, **change})
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_a_good_ledger_passes(tmp_path):
    assert len(validate_ledger(_write(tmp_path))) == 2


@pytest.mark.parametrize(
    "change, match",
    [
        ({"source": ""}, "row 3: no source"),
        ({"source_url": ""}, "row 3: source_url '' is not an http"),
        ({"source_url": "news.ru/item"}, "row 3: source_url 'news.ru/item' is not an http"),
        ({"source_url": "https://web.archive.org/web/2025/https://x.org"}, "row 3: .*is a copy"),
        ({"date": "2024-06-30"}, "row 3: date 2024-06-30 is before 2024-07-01, the earliest date the"),
        ({"date": "2023-05-20"}, "row 3: date 2023-05-20 is before"),
        ({"date": (dt.date.today() + dt.timedelta(days=1)).isoformat()}, "row 3: .*after today"),
        ({"side": "Wagner"}, "row 3: side 'Wagner'"),
        ({"claimant": "Telegram"}, "row 3: claimant 'Telegram'"),
        ({"language": "de"}, "row 3: language 'de'"),
        ({"quote": ""}, "row 3: the quote is empty"),
    ],
)
def test_a_bad_row_fails_naming_row_and_rule(tmp_path, change, match):
    path = _write(tmp_path, **change)
    with pytest.raises(LedgerError, match=match):
        validate_ledger(path)
    with pytest.raises(MapdiffError):  # one hierarchy: also a MapdiffError and a ValueError
        validate_ledger(read_ledger(path))


@pytest.mark.parametrize(
    "change, err, match",
    [
        ({"place": "Atlantis"}, UnknownPlaceError, "row 3: no place 'Atlantis' in the gazetteer"),
        ({"place": "Pokrovs"}, UnknownPlaceError, "row 3: .*did you mean Pokrovsk"),
        ({"date": "27.11.2025"}, MapdiffError, "row 3: bad date '27.11.2025'; write YYYY-MM-DD"),
        ({"date": "2025-02-30"}, MapdiffError, "row 3: bad date"),
        ({"kind": "liberated"}, MapdiffError, "row 3: unknown kind 'liberated'"),
        ({"kind": "share", "value": ""}, MapdiffError, "row 3: a share claim needs a value"),
    ],
)
def test_read_ledger_refuses_unknown_places_dates_and_kinds(tmp_path, change, err, match):
    with pytest.raises(err, match=match):
        read_ledger(_write(tmp_path, **change))


def test_the_archive_start_can_be_moved(tmp_path):
    path = _write(tmp_path, date="2023-05-20")
    assert len(validate_ledger(path, since=dt.date(2022, 2, 24))) == 2
    with pytest.raises(LedgerError, match="after today"):
        validate_ledger(_write(tmp_path), today=dt.date(2025, 1, 1))


# ------------------------------------------------------------------ which release (issue 14 item 11)
def _maps(days_and_edges, source="s"):
    return [
        normalise(
            [(RU, shapely.box(37.0, 48.0, e, 48.2))], coverage=SQUARE, background=UA, source=source, as_of=d
        )
        for d, e in days_and_edges
    ]


def test_pick_release_rules():
    rel = [(dt.date(2025, 11, 1),), (dt.date(2025, 11, 24),)]
    day = dt.date(2025, 11, 20)
    assert pick_release(rel, day)[0] == dt.date(2025, 11, 1)
    assert pick_release(rel, day, "nearest")[0] == dt.date(2025, 11, 24)
    assert pick_release(rel, dt.date(2025, 10, 1)) is None
    assert pick_release(rel, dt.date(2025, 10, 1), "nearest")[0] == dt.date(2025, 11, 1)
    tie = [(dt.date(2025, 11, 18),), (dt.date(2025, 11, 22),)]
    assert pick_release(tie, day, "nearest")[0] == dt.date(2025, 11, 18)
    with pytest.raises(MapdiffError, match="unknown release rule 'latest'"):
        pick_release(rel, day, "latest")


def test_check_claims_warns_on_a_stale_release_and_offers_nearest():
    maps = _maps([(dt.date(2025, 11, 1), 37.05), (dt.date(2025, 11, 24), 37.18)])
    sq = footprint_from_geometry(SQUARE, "sq")
    claim = mapdiff.Claim("A", dt.date(2025, 11, 20), sq, "RU", "share", 0.8)
    msg = r"19 d before the claim; a release 4 d after it \(2025-11-24\)"
    with pytest.warns(StaleReleaseWarning, match=msg):
        old = check_claims([claim], maps).to_frame().iloc[0]
    assert (old.release, old.gap_days, old.verdict) == ("2025-11-01", 19, "not supported")
    assert "19 d before the claim" in old.note
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 4 days: within the default threshold, no warning
        near = check_claims([claim], maps, release="nearest").to_frame().iloc[0]
    assert (near.release, near.gap_days, near.verdict) == ("2025-11-24", -4, "supported")
    assert near.share == pytest.approx(0.9, abs=1e-6)
    rep = check_claims([claim], maps, release="nearest")
    assert "4 d after: supported" in str(rep)
    # the threshold is an option; None never warns
    with pytest.warns(StaleReleaseWarning, match="4 d after the claim"):
        check_claims([claim], maps, release="nearest", max_gap_days=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_claims([claim], maps, max_gap_days=None)
        check_claims([claim], maps, max_gap_days=30)


@pytest.mark.parametrize(
    "kwargs, match",
    [({"release": "latest"}, "unknown release rule 'latest'"), ({"max_gap_days": -1}, "max_gap_days")],
)
def test_check_claims_refuses_bad_release_options(kwargs, match):
    maps = _maps([(dt.date(2025, 11, 1), 37.05)])
    sq = footprint_from_geometry(SQUARE, "sq")
    claim = mapdiff.Claim("A", dt.date(2025, 11, 2), sq, "RU", "share", 0.5)
    with pytest.raises(MapdiffError, match=match):
        check_claims([claim], maps, **kwargs)


# ------------------------------------------------------------------ the same through the CLI
def test_cli_claims_states_the_gap_and_offers_nearest(tmp_path, capsys):
    from conftest import ROOT

    from mapdiff.cli import main

    ledger = ROOT / "tests" / "data" / "bad" / "ledger_stale_release.csv"
    samples = str(mapdiff.sample_paths()[0].parent)
    assert main(["claims", str(ledger), "--maps", f"deepstate={samples}"]) == 0
    out = capsys.readouterr()
    assert "deepstate 2025-11-01, 14 d before: not supported" in out.out
    assert "warning: Pokrovsk 2025-11-15: the deepstate release used (2025-11-01) is 14 d before" in out.err
    assert "a release 5 d after it (2025-11-20) was supplied" in out.err
    assert (
        main(["claims", str(ledger), "--maps", f"deepstate={samples}", "--release", "nearest", "--json"]) == 0
    )
    out = capsys.readouterr()
    d = json.loads(out.out)
    assert (d["release_rule"], d["rows"][0]["release"], d["rows"][0]["gap_days"]) == (
        "nearest",
        "2025-11-20",
        -5,
    )
    assert d["rows"][0]["verdict"] == "supported" and not out.err
    # the threshold is an option; --strict exits 1 on a claim not supported
    args = ["claims", str(ledger), "--maps", f"deepstate={samples}", "--max-gap-days", "30", "--strict"]
    assert main(args) == 1 and not capsys.readouterr().err
    assert main(["claims", str(ledger), "--maps", f"deepstate={samples}", "--max-gap-days", "-1"]) == 2
    assert "--max-gap-days -1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["claims", str(ledger), "--maps", f"deepstate={samples}", "--release", "latest"])


# ------------------------------------------------------------------ reading and checking
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
    with pytest.raises(mapdiff.errors.FormatError, match="lacks the column"):
        read_ledger(path)
    with pytest.raises(mapdiff.errors.FormatError, match="cannot read ledger"):
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
    with pytest.warns(StaleReleaseWarning, match=r"\(2025-11-01\) is 9 d before the claim"):
        rep = check_claims(path, maps + other)  # B's release is 9 days old: said, and warned
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
    with pytest.warns(StaleReleaseWarning):
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
    df = check_claims([claim], [m], max_gap_days=None).to_frame()
    assert df.iloc[0].verdict == "not covered" and "does not cover Kharkiv" in df.iloc[0].note


class _FakeSeries:
    """Duck-typed release series (like mapdiff.Releases): dates, source, lazy indexing."""

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
