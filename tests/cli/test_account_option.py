"""`--account` on the commands that read the desk: one account, all of them summed, or a clear refusal.

Two desks on the session engine: the demo's main account alone, and the same account with a
sub-account that is it at a quarter of the size (tests/queries/fixture_desk.add_sub_account).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

import cli as command_line
from lib.demo import seed_client
from lib.demo.tables import ACCOUNT as MAIN
from queries.health import contract as contract_queries
from tests.queries.fixture_desk import SUB, add_sub_account, create_tables

UTC = UTC
SPAN = (datetime(2025, 11, 28, tzinfo=UTC), datetime(2025, 12, 8, 12, tzinfo=UTC))


@pytest.fixture(scope="module")
def desks(engine):
    out = {}
    for prefix in ("climain", "clitwo"):
        tm = create_tables(engine, prefix)
        seed_client(engine, start=SPAN[0], end=SPAN[1], tables=tm)
        if prefix == "clitwo":
            add_sub_account(engine, tm)
        out[prefix] = json.dumps({k: tm.qualified(k) for k in tm.tables})
    return out


@pytest.fixture
def cli(desk_client, desks, fresh_caches, capsys, monkeypatch):
    def run(desk: str, *argv: str):
        monkeypatch.setenv("DESK_TABLES", desks[desk])
        contract_queries.forget()
        import streamlit as st

        from lib.clickhouse.client import reset_default_client

        st.cache_data.clear()
        reset_default_client()  # the client reads the table map once
        code = command_line.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_one_account_reads_what_its_own_desk_reads(cli):
    args = ("report", "--date", "2025-12-06", "--json")
    code, alone, err = cli("climain", *args)
    assert code == 0, err
    code, main, err = cli("clitwo", *args, "--account", MAIN)
    assert code == 0, err
    assert json.loads(main) == json.loads(alone)
    code, sub, err = cli("clitwo", *args, "--account", SUB)
    assert code == 0, err
    assert json.loads(sub)["te"] == pytest.approx(json.loads(alone)["te"], rel=1e-9)  # same book, 1/4 size


def test_all_accounts_is_the_book_of_both(cli):
    """The sub-account holds the main book at a quarter of the size: summed, every weight and TE is the same."""
    args = ("lag", "--from", "2025-12-05", "--to", "2025-12-07", "--json")
    code, alone, err = cli("climain", *args)
    assert code == 0, err
    code, both, err = cli("clitwo", *args)
    assert code == 0, err
    a, b = json.loads(alone)["days"], json.loads(both)["days"]
    assert [d["best_lag"] for d in b] == [d["best_lag"] for d in a] == [2, 2, 2]
    for x, y in zip(a, b):
        assert y["te_by_lag"] == pytest.approx(x["te_by_lag"], rel=1e-9)


def test_an_account_the_desk_lacks_is_refused(cli):
    code, out, err = cli("clitwo", "lag", "--from", "2025-12-05", "--to", "2025-12-07", "--account", "0xnotours")
    assert code == 2 and out == ""
    assert "this desk has no account '0xnotours'" in err and MAIN in err and SUB in err
    code, out, err = cli("clitwo", "report", "--date", "2025-12-06", "--account", "x'; DROP TABLE t --")
    assert code == 2 and "--account" in err
