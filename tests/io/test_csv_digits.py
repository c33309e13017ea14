"""csv_text's fixed-point cells (history --csv): made in numpy from the rounded integer's
digits, the same bytes as ``float_format % value`` and as pandas' own writer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mapdiff.io import write


def _shares(rng, rows, cols, decimals):
    v = rng.random((rows, cols)) * rng.choice([1.0, 9.4, 1e-3, 1e-7], size=(rows, cols))
    v[rng.random(v.shape) < 0.1] = np.nan
    flat = v.reshape(-1)
    k = min(flat.size, 30)
    # products that lie on or near a half: the cells the % operator itself must round
    flat[:k] = rng.integers(0, 10**decimals, k) / 10**decimals + 0.5 / 10**decimals
    flat[k : k + 6] = [0.0, 1.0, 0.125, 0.0078125, 9.4999999999, 1 / 3][: max(0, min(6, flat.size - k))]
    return v


@pytest.mark.parametrize("decimals", range(1, 10))
def test_fixed_rows_are_what_percent_gives(decimals):
    rng = np.random.default_rng(decimals)
    for rows, cols in ((40, 30), (3, 30_000), (70, 1)):
        v = _shares(rng, rows, cols, decimals)
        fmt = f"%.{decimals}f"
        want = [",".join("" if x != x else fmt % x for x in row) + "\n" for row in v.tolist()]
        assert write._fixed_rows(v, decimals) == want


@pytest.mark.parametrize("fmt", ["%.6f", "%.3f", "%.9f"])
def test_csv_of_shares_is_what_pandas_writes(fmt, monkeypatch):
    rng = np.random.default_rng(7)
    v = _shares(rng, 60, 25, int(fmt[2]))
    cols = [f'relation/{i} Hromada, "{i}"' if i % 4 else f"=P{i}" for i in range(25)]
    f = pd.DataFrame(v, index=[f"2025-01-{i % 28 + 1:02d}" for i in range(60)], columns=cols)
    f.index.name = "date"
    fast = write.csv_text(f, float_format=fmt)
    monkeypatch.setattr(write, "_plain_floats", lambda *a: False)  # pandas' own writer
    assert fast == write.csv_text(f, float_format=fmt)


def test_values_outside_shares_take_the_percent_path():
    for bad in (-0.0, -0.5, np.inf, 9.5, 12.0):
        v = np.full((300, 400), 0.25)
        v[-1, -1] = bad  # in the last block of rows
        assert write._fixed_rows(v, 6) is None
    assert write._fixed_rows(np.zeros((0, 3)), 6) is None
