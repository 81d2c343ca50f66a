"""A metric's delta keeps the desk's minus and still points and colours by its sign (ui.layout.delta)."""

from __future__ import annotations

import pytest

from lib import format as fmt
from ui import layout


@pytest.mark.parametrize(
    ("text", "inverse", "expected"),
    [
        ("−$5,926", False, ("−$5,926", "down", "red")),  # a loss: down, red, shown with the desk's minus
        ("-0.88%", False, ("−0.88%", "down", "red")),  # an ASCII hyphen is shown as the desk's minus
        ("+$8,869", False, ("+$8,869", "up", "green")),
        ("−2.73 pp", True, ("−2.73 pp", "down", "green")),  # less TE is better
        ("+1.14 pp", True, ("+1.14 pp", "up", "red")),
        ("+0.00%", False, ("+0.00%", "off", "gray")),  # no change: no arrow, grey
        ("+$0", True, ("+$0", "off", "gray")),
    ],
)
def test_delta_sign_arrow_and_colour(text: str, inverse: bool, expected: tuple[str, str, str]) -> None:
    got = layout.delta(text, inverse=inverse)
    assert (got["delta"], got["delta_arrow"], got["delta_color"]) == expected


@pytest.mark.parametrize("text", [None, fmt.MISSING])
def test_no_number_no_delta(text: str | None) -> None:
    assert layout.delta(text) == {"delta": None}


def test_the_formatters_signs_round_trip() -> None:
    assert layout.delta(fmt.usd(-5926.4, signed=True))["delta"] == fmt.usd(-5926.4, signed=True)
    assert layout.delta(fmt.pct(-0.0088, signed=True))["delta_arrow"] == "down"
