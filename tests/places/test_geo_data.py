"""The shipped gazetteer (data/geo): provenance travels with every file, OSM ids and the
ODbL notice are kept, and no URL points anywhere but a primary source."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

from mapdiff._resources import data_dir

GEO = data_dir() / "geo"
PLACES_CODE = Path(__file__).resolve().parents[2] / "mapdiff" / "places"

#: Domains of primary sources: OpenStreetMap (the data and its copyright page), the ODbL
#: licence text, Wikidata (the OSM features' wikidata ids). Nothing else may be printed.
PRIMARY = ("openstreetmap.org", "osm.org", "opendatacommons.org", "wikidata.org")
#: mapdiff's own package page, named in the User-Agent of the Nominatim fetch (not a source)
OWN = ("pypi.org/project/mapdiff",)

URL = re.compile(r"https?://[^\s\"'<>),;\]]+")


def _urls(paths):
    for p in paths:
        for url in URL.findall(p.read_text(encoding="utf-8", errors="replace")):
            yield p.name, url


def _primary(url: str) -> bool:
    host = (urlparse(url).hostname or "").lower()
    if any(host == d or host.endswith("." + d) for d in PRIMARY):
        return True
    return any(url.split("://", 1)[1].startswith(o) for o in OWN)


def test_no_url_but_a_primary_source():
    files = [p for p in GEO.rglob("*") if p.is_file() and p.parent == GEO] + sorted(PLACES_CODE.glob("*.py"))
    bad = [(name, url) for name, url in _urls(files) if not _primary(url)]
    assert not bad, f"non-primary URLs: {bad}"


def test_the_url_check_catches_a_mirror(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text(
        "Lyman,https://wiki.studentb.eu/view_html.php?q=Lyman,https://www.openstreetmap.org/relation/1\n"
    )
    assert [u for _, u in _urls([p]) if not _primary(u)] == ["https://wiki.studentb.eu/view_html.php?q=Lyman"]
    assert _primary("http://nominatim.openstreetmap.org/search") and not _primary(
        "https://openstreetmap.org.evil.io/"
    )


def test_towns_csv_names_its_sources_as_articles():
    with open(GEO / "towns.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 30
    for r in rows:
        assert "http" not in r["source"] and "article" in r["source"].lower(), r["name_en"]
        assert r["oblast"] in {"Donetsk", "Kharkiv", "Zaporizhzhia", "Luhansk"}


def test_every_file_has_a_readme_row():
    readme = (GEO / "README.md").read_text(encoding="utf-8")
    for p in GEO.iterdir():
        if p.is_file() and p.name != "README.md":
            assert f"`{p.name}`" in readme, f"data/geo/README.md has no row for {p.name}"


@pytest.mark.parametrize(
    "name",
    ["city_limits.geojson", "osm_town_limits.geojson", "osm_hromadas.geojson", "ukraine_maritime.geojson"],
)
def test_osm_files_keep_ids_and_licence(name):
    feats = json.loads((GEO / name).read_text(encoding="utf-8"))["features"]
    assert feats
    for f in feats:
        p = f["properties"]
        if name != "ukraine_maritime.geojson":  # one outline, no object id in its source
            assert p.get("osm_id"), p
        assert "ODbL" in p.get("licence", ""), p
    notice = (GEO / "LICENSE-ODbL-1.0-NOTICE.txt").read_text(encoding="utf-8")
    assert name in notice and "© OpenStreetMap contributors" in notice and "ODbL" in notice
