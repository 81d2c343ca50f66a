"""Several accounts in the app: the sidebar's account selector, its URL, and every page in each scope.

The desk: the demo desk's main account plus a sub-account that is the main one at a
quarter of the size (tests/queries/fixture_desk.add_sub_account). Expected equity is read
from the account table directly, not through the app's queries.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from lib import format as fmt
from lib.demo import seed_client
from lib.demo.tables import ACCOUNT as MAIN
from queries.health import contract as contract_queries
from tests.queries.fixture_desk import SUB, K, add_sub_account, create_tables
from ui.shell.sidebar import ACCOUNT_KEY

# every test reads the same two-account desk (`desk`) as it is (tests/conftest.py, app)
pytestmark = pytest.mark.shared_caches

UTC = UTC
PAGES = [
    "pages/overview.py",
    "pages/positions.py",
    "pages/trades.py",
    "pages/tracking_error.py",
    "pages/system_health.py",
]


@pytest.fixture(scope="module")
def two_accounts(engine):
    tm = create_tables(engine, "pgacct")
    seed_client(engine, start=datetime(2025, 12, 1, tzinfo=UTC), end=datetime(2025, 12, 8, 12, tzinfo=UTC), tables=tm)
    add_sub_account(engine, tm)
    newest = engine.query(
        f"SELECT argMax(account_value, ts) FROM {tm.qualified('account')} WHERE account = {{a:String}}",
        parameters={"a": MAIN},
    ).result_rows[0][0]
    return {k: tm.qualified(k) for k in tm.tables}, newest


@pytest.fixture
def desk(two_accounts, monkeypatch):
    tables, newest_main_equity = two_accounts
    monkeypatch.setenv("DESK_TABLES", json.dumps(tables))
    contract_queries.forget()
    return newest_main_equity


def _equity(at) -> str:
    return next(m.value for m in at.metric if m.label == "Equity (AUM)")


def _captions(at) -> str:
    return "\n".join(c.value for c in at.caption)


def test_selector_lists_the_accounts_and_scopes_the_numbers(app, desk):
    at = app()
    assert not at.exception, [e.value for e in at.exception]
    box = at.sidebar.selectbox(key=ACCOUNT_KEY)
    assert box.options == ["All accounts (summed)", "0x7a3f…d0f3", "0x7a3f…d0f3 · sub1"]  # largest first
    assert box.value == "all"
    assert _equity(at) == fmt.usd(desk * (1 + K))
    assert "all accounts, summed" in _captions(at)

    box.set_value(SUB).run()
    assert not at.exception
    assert _equity(at) == fmt.usd(desk * K)
    assert at.query_params["account"] == SUB
    assert "account 0x7a3f…d0f3 · sub1" in _captions(at)

    at.sidebar.selectbox(key=ACCOUNT_KEY).set_value(MAIN).run()
    assert _equity(at) == fmt.usd(desk)

    at.sidebar.selectbox(key=ACCOUNT_KEY).set_value("all").run()
    assert _equity(at) == fmt.usd(desk * (1 + K)) and "account" not in at.query_params


def test_a_link_opens_the_account_and_a_wrong_one_says_so(app, desk):
    at = app(query={"account": SUB})
    assert at.sidebar.selectbox(key=ACCOUNT_KEY).value == SUB
    assert _equity(at) == fmt.usd(desk * K)

    at = app(query={"account": "0xnotours"})
    assert any("this desk has no account 0xnotours" in w.value for w in at.sidebar.warning)
    assert at.sidebar.selectbox(key=ACCOUNT_KEY).value == "all"

    at = app(query={"account": "x'; DROP TABLE t --"})
    assert any(
        "Ignored URL parameter `account`: account must be an account name" in w.value and "Using all" in w.value
        for w in at.warning
    )
    assert _equity(at) == fmt.usd(desk * (1 + K))


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("account", [None, SUB])
def test_every_page_in_every_scope(app, desk, page, account):
    at = app(page, query={"account": account} if account else None)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    words = "account 0x7a3f…d0f3 · sub1" if account else "all accounts, summed"
    assert words in _captions(at)
    if page.endswith("trades.py"):  # the fills list says whose fill each row is, with both accounts
        fills = next(df.value for df in at.dataframe if "coin" in df.value.columns and "tid" in df.value.columns)
        assert ("account" in fills.columns) == (account is None)
        if account is None:
            assert set(fills["account"]) <= {"0x7a3f…d0f3", "0x7a3f…d0f3 · sub1"}


def _synced(at, table: str) -> dict:
    """The synced-tables grid's row of `table` on System Health."""
    grid = next(df.value for df in at.dataframe if "Rows · last 1 d" in df.value.columns)
    return grid[grid["Table"] == table].iloc[0].to_dict()


def test_system_health_counts_every_accounts_rows_in_all_accounts(app, desk):
    """What the sync stored is the same rows whatever the scope: in "all accounts" the account table's rows and
    duplicates are the main account's plus the sub-account's, not one summed row a round."""
    seen = {}
    for account in (None, MAIN, SUB):
        at = app("pages/system_health.py", query={"account": account} if account else None)
        assert not at.exception, [e.value for e in at.exception]
        row = _synced(at, "account")
        seen[account] = (int(row["Rows · last 1 d"].replace(",", "")), row["Duplicated · last 1 d"].split(" ")[0])
    rows = {account: n for account, (n, _dup) in seen.items()}
    assert rows[MAIN] > 0 and rows[SUB] > 0
    assert rows[None] == rows[MAIN] + rows[SUB], seen
    duplicated = {account: int(d.replace(",", "")) for account, (_n, d) in seen.items()}
    assert duplicated[None] == duplicated[MAIN] + duplicated[SUB], seen
