"""regional.lead_lag: per settlement that changed hands on two sources, the first release
showing it on each and the days between (issue 23), on a designed pair of ledgers."""

from __future__ import annotations

import pandas as pd
import pytest

from mapdiff.errors import ArgumentError
from mapdiff.history.regions import changed_hands, lead_lag, status_changes


def _hands(seqs):
    rows = [
        {"date": pd.Timestamp(d), "place": p, "share": 0.0, "grey_share": 0.0, "status": st}
        for p, seq in seqs.items()
        for d, st in seq
    ]
    return changed_hands(status_changes(pd.DataFrame(rows)))


def test_lead_lag_on_a_designed_pair():
    x = _hands(
        {
            "V1": [("2025-01-01", "held:UA"), ("2025-01-05", "grey"), ("2025-01-10", "held:RU")],
            "V2": [("2025-01-01", "held:UA"), ("2025-02-02", "held:RU")],
            "V3": [("2025-01-01", "held:UA"), ("2025-01-20", "held:RU")],  # only x shows it
            "V4": [("2025-01-01", "held:UA"), ("2025-01-03", "held:RU"), ("2025-01-08", "held:UA")],
        }
    )
    y = _hands(
        {
            "V1": [("2025-01-01", "held:UA"), ("2025-01-14", "held:RU")],
            "V2": [("2025-01-01", "held:UA"), ("2025-01-30", "held:RU")],
            "V3": [("2025-01-01", "held:UA"), ("2025-03-01", "held:UA")],
            "V4": [("2025-01-01", "held:UA"), ("2025-01-03", "held:RU"), ("2025-01-09", "held:UA")],
        }
    )
    got = lead_lag({"x": x, "y": y})
    rows = {(r["place"], r["to"]): r for r in got.to_dict("records")}
    assert set(rows) == {("V1", "held:RU"), ("V2", "held:RU"), ("V4", "held:RU"), ("V4", "held:UA")}
    v1 = rows[("V1", "held:RU")]
    assert (v1["days"], v1["leader"]) == (4, "x")
    assert (v1["x_date"], v1["x_previous"]) == (pd.Timestamp("2025-01-10"), pd.Timestamp("2025-01-05"))
    assert (v1["y_date"], v1["y_previous"]) == (pd.Timestamp("2025-01-14"), pd.Timestamp("2025-01-01"))
    assert (rows[("V2", "held:RU")]["days"], rows[("V2", "held:RU")]["leader"]) == (-3, "y")
    assert rows[("V4", "held:RU")]["leader"] == "same release date"
    assert (rows[("V4", "held:UA")]["days"], rows[("V4", "held:UA")]["leader"]) == (1, "x")
    # swapping the sources swaps the sign
    back = lead_lag({"y": y, "x": x}).set_index(["place", "to"])["days"]
    assert back[("V1", "held:RU")] == -4 and back[("V2", "held:RU")] == 3


def test_lead_lag_takes_exactly_two_sources():
    with pytest.raises(ArgumentError, match="exactly two sources"):
        lead_lag({"x": pd.DataFrame()})
