"""``mapdiff encircle`` in process: text, JSON, figure, exit codes."""

from __future__ import annotations

import json

import pytest

import mapdiff

SAMPLE = str(mapdiff.sample_path("2025-11-27"))


@pytest.fixture
def run(cli):
    return cli


def test_encircle_json_holds_enclosed_verdict_corridor(run):
    r = run("encircle", SAMPLE, "--place", "Мирноград", "--by", "RU", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["place"] == "Myrnohrad" and d["defender"] == "UA"
    assert d["enclosed"] is False and d["verdict"].startswith("open: corridor")
    assert d["corridor_km"] > 0
    # the same numbers as the library
    e = mapdiff.encirclement(mapdiff.read_map(SAMPLE), "Myrnohrad", by="RU")
    assert d["corridor_km"] == e.corridor_km and d["verdict"] == e.verdict


def test_encircle_text_fire_range_strict_and_figure(tmp_path, run):
    out = tmp_path / "pocket.png"
    r = run(
        "encircle",
        SAMPLE,
        "--place",
        "Myrnohrad",
        "--by",
        "RU",
        "--fire-range-km",
        "50",
        "--strict",
        "--out",
        str(out),
        "--dpi",
        "60",
    )
    assert r.returncode == 0, r.stderr  # closed under fire control: --strict is satisfied
    assert "Verdict: enclosed under fire control at 50 km" in r.stdout
    assert out.stat().st_size > 10_000 and f"Figure: {out}" in r.stdout
    r = run("encircle", SAMPLE, "--place", "Myrnohrad", "--by", "RU", "--strict")
    assert r.returncode == 1 and "Verdict: open" in r.stdout


def test_encircle_bad_input_exits_2_with_a_message(run):
    r = run("encircle", SAMPLE, "--place", "Myrnohrad", "--by", "XX")
    assert (
        r.returncode == 2
        and "side 'XX' is not on" in r.stderr
        and "its sides: RU, UA" in r.stderr
        and "Traceback" not in r.stderr
    )
    r = run("encircle", SAMPLE, "--place", "Atlantis", "--by", "RU")
    assert r.returncode == 2 and "Atlantis" in r.stderr
    r = run("encircle", SAMPLE, "--place", "Myrnohrad", "--by", "RU", "--rear", "1,x")
    assert r.returncode == 2 and "rear" in r.stderr


def test_claim_command_checks_an_encirclement_claim(run):
    r = run("claim", SAMPLE, "--place", "Myrnohrad", "--side", "RU", "--kind", "encircled", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["kind"] == "encircled" and d["verdict"] == "not supported"
    assert d["detail"]["enclosed"] is False
