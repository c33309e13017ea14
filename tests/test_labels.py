"""Labels: parsing, coercion, holding statuses, errors that say what to give."""

from __future__ import annotations

import pytest

from mapdiff.errors import MapdiffError, UnknownLabelError
from mapdiff.labels import GREY, NOT_COVERED, Label, as_label


def test_parse_and_str_round_trip():
    for text in ("controlled:RU", "contested", "encircled:UA", "advanced:RU", "not_covered"):
        assert str(Label.parse(text)) == text
    assert Label.parse(" controlled : RU ") == Label("controlled", "RU")


def test_as_label_forms():
    assert as_label(("controlled", "UA")) == Label("controlled", "UA")
    assert as_label("contested") == GREY
    lab = Label("encircled", "UA")
    assert as_label(lab) is lab


@pytest.mark.parametrize("value", [42, None, ("a", "b", "c"), ["controlled", "RU"]])
def test_as_label_refuses_other_things(value):
    with pytest.raises(UnknownLabelError, match="status:side"):
        as_label(value)


@pytest.mark.parametrize(
    "status, side", [("", None), ("  ", "RU"), (None, "RU"), ("controlled", ""), ("controlled", 5)]
)
def test_bad_status_or_side(status, side):
    with pytest.raises(MapdiffError):
        Label(status, side)


def test_holds():
    assert Label("controlled", "RU").holds
    assert Label("encircled", "UA").holds
    assert not GREY.holds
    assert not Label("claimed", "RU").holds
    assert not NOT_COVERED.holds


def test_hashable_ordered_and_frozen():
    labels = {Label("controlled", "RU"), Label.parse("controlled:RU"), GREY}
    assert len(labels) == 2
    assert sorted([Label("controlled", "UA"), Label("contested", None)])[0].status == "contested"
    with pytest.raises(AttributeError):
        GREY.status = "controlled"


def test_to_dict_and_repr():
    assert Label("controlled", "RU").to_dict() == {"status": "controlled", "side": "RU"}
    assert repr(GREY) == "Label('contested', None)"
    with pytest.raises(UnknownLabelError) as err:
        as_label(3.5)
    assert "status:side" in str(err.value)
