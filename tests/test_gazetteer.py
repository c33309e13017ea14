"""The one index of named points (mapdiff.places.gazetteer): nearest by the geodesic distance,
checked against a brute force over every place; the drawing layer's ``large`` flag."""

from __future__ import annotations

import csv
import json

import numpy as np

from mapdiff._resources import data_dir
from mapdiff.places.gazetteer import LARGE_POPULATION, towns


def test_a_town_is_large_with_100000_inhabitants_or_shipped_city_limits():
    geo = data_dir() / "geo"
    with open(geo / "towns.csv", encoding="utf-8", newline="") as fh:
        pop = {r["name_en"]: float(r["population_2022"] or 0) for r in csv.DictReader(fh)}
    cities = {
        f["properties"]["name_en"] for f in json.loads((geo / "city_limits.geojson").read_text())["features"]
    }
    idx = towns()
    want = [pop.get(n, 0) >= LARGE_POPULATION or n in cities for n in idx.names]
    assert idx.large.tolist() == want
    assert idx.large.any() and not idx.large.all()
    assert np.isnan(idx.population[[n not in pop for n in idx.names]]).all()
