"""One result protocol (issue 24): every result class mapdiff exports has ``to_frame``,
``to_dict``, ``plot`` and ``summary() -> str``; one with geometry (``to_gdf``) also has
``to_file``, ``explore`` and ``__geo_interface__``. A new root class must be classified
here as a result or not, so a new result cannot forget the protocol."""

from __future__ import annotations

import inspect
import json

import pytest

import mapdiff
from mapdiff.io.write import read_provenance

#: Root classes that are not results of an analysis, and why.
NOT_RESULTS = {
    "ControlMap": "the map every analysis reads",
    "Footprint": "a place, the input of the claim and encirclement checks",
    "Claim": "one claim of a ledger (an input)",
    "Ledger": "the claims of a ledger file (an input)",
    "Provenance": "where a map came from",
    "Releases": "a source's archive of maps, the input of the history analyses",
    "MapdiffError": "the base of mapdiff's exceptions",
}
PROTOCOL = ("to_frame", "to_dict", "plot", "summary")
GEO = ("to_file", "explore", "__geo_interface__")
#: Results still missing part of the protocol, in modules other branches of issue 24 own.
#: When one is added, drop it here (the test fails until then, so this list only shrinks).
KNOWN_GAPS: dict = {}


def _root_classes() -> dict:
    return {n: getattr(mapdiff, n) for n in mapdiff.__all__ if inspect.isclass(getattr(mapdiff, n))}


def _results() -> list[str]:
    return sorted(n for n in _root_classes() if n not in NOT_RESULTS)


def test_every_root_class_is_a_result_or_said_not_to_be():
    classes = _root_classes()
    assert set(NOT_RESULTS) <= set(classes), set(NOT_RESULTS) - set(classes)
    assert {"ClaimCheck", "ClaimAcrossMaps", "ClaimChecks", "Consensus", "Tracking"} <= set(_results())


@pytest.mark.parametrize("name", _results())
def test_every_result_has_the_protocol(name):
    cls = _root_classes()[name]
    missing = [m for m in PROTOCOL if not callable(getattr(cls, m, None))]
    if hasattr(cls, "to_gdf"):
        missing += [m for m in GEO if not hasattr(cls, m)]
    known = sorted(m for (n, m) in KNOWN_GAPS if n == name)
    assert missing == known, f"{name} lacks {missing} (known gaps: {known})"
    if callable(getattr(cls, "summary", None)):
        assert inspect.signature(cls.summary).return_annotation in ("str", str), f"{name}.summary"


# --------------------------------------------------------------- on real results
@pytest.fixture(scope="module")
def maps():
    return [mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-20", "2025-11-27")]


@pytest.fixture(scope="module")
def results(maps):
    claim = mapdiff.Claim("someone", maps[1].as_of, "Pokrovsk", "RU", "share", 0.7)
    return {
        "ClaimCheck": mapdiff.check_claim(maps[1], "Pokrovsk", "RU", "70%"),
        "ClaimAcrossMaps": mapdiff.check_claim_all(maps, "Pokrovsk", "RU", "70%", date="2025-11-30"),
        "ClaimChecks": mapdiff.check_claims([claim], maps),
        "Consensus": mapdiff.consensus(maps, aoi="Pokrovsk"),
        "Tracking": mapdiff.track(
            [claim], {"deepstate": maps}, buffers_km=(), cache=False, workers=1, quiet=True
        ),
    }


@pytest.mark.parametrize("name", ["ClaimCheck", "ClaimAcrossMaps", "ClaimChecks", "Consensus", "Tracking"])
def test_claim_results_keep_the_protocol(results, name):
    r = results[name]
    text = r.summary()
    assert isinstance(text, str) and text and str(r) == text
    assert len(r.to_frame()) > 0
    json.dumps(r.to_dict())


@pytest.mark.parametrize("name", ["ClaimAcrossMaps", "Consensus"])
def test_claim_across_maps_and_consensus_write_files_with_their_provenance(results, maps, name, tmp_path):
    r = results[name]
    out = r.to_file(tmp_path / f"{name}.geojson")
    prov = read_provenance(out)
    assert prov["type"] == r.to_dict()["type"]
    assert prov["footprint"]["name"] == "Pokrovsk"
    assert {m["sha256"] for m in prov["maps"]} <= {m.provenance.sha256 for m in maps}
    assert len(r.__geo_interface__["features"]) == len(r.to_gdf())


def test_tracking_summary_is_text_and_its_rows_a_list(results):
    t = results["Tracking"]
    rows = t.summary_rows()
    assert isinstance(rows, list) and rows[0]["group"] == "claimant"
    assert t.to_dict()["summary"] == json.loads(json.dumps(rows))
    assert "lead_median" in t.summary()
