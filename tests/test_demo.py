"""``mapdiff demo`` (what ``make demo`` runs): offline, no arguments, numbers and images."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import pytest

import mapdiff


def test_demo_prints_the_numbers_and_writes_the_images(tmp_path, cli):
    r = cli("demo", "--out", tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    # 1. the comparison: its numbers are the library's
    a, b = (mapdiff.read_map(mapdiff.sample_path(d)) for d in ("2025-11-27", "2025-12-15"))
    c = mapdiff.compare(a, b)
    assert f"AOI {c.aoi_km2:,.1f} km²" in out
    assert f"real {c.disagreement_km2['real']:,.1f}" in out
    # 2. the share claim and 3. the encirclement claims
    chk = mapdiff.check_claim(a, "Pokrovsk", "RU", "70%")
    assert "Verdict: NOT SUPPORTED" in out and f"nobody {100 * chk.share:.1f}%" in out
    for place in ("Pokrovsk", "Myrnohrad"):
        e = mapdiff.encirclement(a, place, by="RU")
        assert f"{place}: {e.verdict}" in out
    # the files: a JSON claim check and three non-blank images
    d = json.loads((tmp_path / "claim_pokrovsk.json").read_text(encoding="utf-8"))
    assert d["share"] == pytest.approx(chk.share)
    for name in ("comparison.png", "claim_pokrovsk.png", "encirclement_myrnohrad.png"):
        img = plt.imread(tmp_path / name)[..., :3]
        assert img.shape[0] > 400 and img.std() > 0.1, name
        assert str(tmp_path / name) in out
    # 4. the release report page, with the numbers it printed
    page = (tmp_path / "report" / "index.html").read_text(encoding="utf-8")
    rep = json.loads((tmp_path / "report" / "report.json").read_text(encoding="utf-8"))
    s = rep["sides"]["RU"]
    assert f"RU gained {s['gained_km2']:,.2f} km², lost {s['lost_km2']:,.2f} km²" in out
    assert f"RU gained {s['gained_km2']:,.2f} km²" in page
    assert str(tmp_path / "report" / "index.html") in out
    # 5. the small site of `mapdiff update`
    site = tmp_path / "site"
    assert (site / "deepstate" / "2025-12-15" / "report.json").is_file() and (site / "state.json").is_file()
    assert "DeepStateMap" in (site / "index.html").read_text(encoding="utf-8")
