"""The account selector's URL value and label (lib.inputs.parse_account, lib.format.account_label)."""

import pytest

from lib import format as fmt
from lib.inputs import InputError, parse_account

MAIN = "0x7a3f5c1e9b2d4f60a8c3e7b1d5f9a2c4e6b8d0f3"


def test_parse_account():
    assert parse_account("all") is None and parse_account(" ALL ") is None
    assert parse_account(MAIN) == MAIN
    assert parse_account(f" {MAIN}:sub1 ") == f"{MAIN}:sub1"
    for bad in ("x'; DROP TABLE t --", "a b", "", "-x", "é", "0x" + "f" * 200, "{desk_account:String}"):
        with pytest.raises(InputError):
            parse_account(bad)


def test_account_label():
    assert fmt.account_label(None) == "All accounts (summed)"
    assert fmt.account_label(MAIN) == "0x7a3f…d0f3"
    assert fmt.account_label(f"{MAIN}:sub1") == "0x7a3f…d0f3 · sub1"
    assert fmt.account_label("desk-b") == "desk-b"  # not an address: as the tables spell it
