"""End-to-end smoke test of the foundation on the embedded sample."""

import mapdiff


def test_sample_reads_as_deepstate():
    m = mapdiff.read_map(mapdiff.sample_path("2025-11-27"))
    assert m.source == "deepstate"
    assert m.as_of.isoformat() == "2025-11-27"
    areas = m.areas()
    total = sum(areas.values())
    assert abs(total - mapdiff.area_km2(m.coverage)) < 1e-6 * total
    assert areas[mapdiff.labels.Label("controlled", "RU")] > 0
