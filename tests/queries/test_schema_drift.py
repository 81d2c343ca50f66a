"""Schema drift: a remote whose columns have compatible other types gives the same numbers.

Each case seeds the demo desk into tables whose columns drifted (DateTime instead of
DateTime64(3, 'UTC'), other timezones, Nullable, Decimal, Enum, UInt8 for Bool, Date32),
copies the rows into tables of the contract's types (the same instants and values), and
runs every page's queries on both: every frame must be identical, column types included.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lib.clickhouse import contract
from lib.demo import seed_client
from queries.book import overview, positions, risk, trades
from queries.engine.run import use_client
from queries.health import contract as contract_queries
from queries.health import health, odd_data
from queries.tracking import tracking_error
from tests.queries.fixture_desk import create_tables, fixture_client, table_map_for

UTC = UTC
S, E = date(2025, 12, 4), date(2025, 12, 8)
SPAN = (datetime(2025, 11, 28, tzinfo=UTC), datetime(2025, 12, 8, 12, tzinfo=UTC))
END = SPAN[1]
KOLKATA = "'Asia/Kolkata'"

CALLS = [
    ("data_as_of", health.data_as_of, ()),
    ("monitor_status", health.monitor_status, ()),
    ("heartbeat_buckets", health.heartbeat_buckets, (datetime(2025, 12, 8, tzinfo=UTC), END, 300)),
    *[(f"sync_stats {n}", health.sync_stats, (n, END)) for n in health.SYNCED_TABLES],
    *[(f"rows_per_hour {n}", health.rows_per_hour, (n, END, 48)) for n in health.SYNCED_TABLES],
    ("sync_summary", health.sync_summary, (END,)),
    ("sync_failures", health.sync_failures, (END, 50)),
    ("sync_durations", health.sync_durations, (END, 24)),
    ("latest_account_risk", risk.latest_account_risk, ()),
    ("position_risk", risk.position_risk, ()),
    ("headline_pnl", overview.headline_pnl, ()),
    ("latest_exposure", overview.latest_exposure, ()),
    ("pnl_window", overview.pnl_window, (S, E)),
    ("equity_series day", overview.equity_series, (S, E, 86400)),
    ("equity_series hour", overview.equity_series, (S, E, 3600)),
    ("flows_list", overview.flows_list, (S, E)),
    ("exposure_series", overview.exposure_series, (S, E, 3600)),
    ("timeline", tracking_error.timeline, (S, E, 2)),
    ("exchange_positions_at", positions.exchange_positions_at, (date(2025, 12, 6), 2)),
    ("fills_summary", trades.fills_summary, (S, E)),
    ("fill_facets", trades.fill_facets, (S, E)),
    ("fills_page", trades.fills_page, (S, E)),
    ("daily_execution", trades.daily_execution, (S, E)),
    ("coin_execution", trades.coin_execution, (S, E)),
    ("untracked_fills", trades.untracked_fills, (S, E)),
    ("coin_fills", trades.coin_fills, ("BTC", S, E)),
    ("coin_prices", trades.coin_prices, ("BTC", S, E, 3600)),
    ("unconverted_fees", trades.unconverted_fees, (S, E)),
    ("future_rows", odd_data.future_rows, ()),
]

EMPTY_OK = {
    "sync_failures",
    "untracked_fills",
    "rows_per_hour ledger",
    "flows_list",
    "unconverted_fees",
}  # the demo span has none
TIME_COLUMNS = [
    "account.ts",
    "positions.ts",
    "heartbeat.ts",
    "trades.time",
    "funding.time",
    "ledger.time",
    "orders.time",
    "sync_log.started_at",
]
CASES = {
    # the cases: account_snapshots.ts / monitor_heartbeat.ts / trades.time as DateTime
    "DateTime without timezone": {
        **{c: "DateTime" for c in TIME_COLUMNS},
        "sync_log.finished_at": "Nullable(DateTime)",
        "trades.ingested_at": "DateTime",
        "trades.synced_at": "DateTime",
    },
    "other timezones": {
        **{c: f"DateTime64(3, {KOLKATA})" for c in TIME_COLUMNS},
        "klines.open_time": f"DateTime({KOLKATA})",
        "positions.synced_at": "DateTime64(3, 'America/New_York')",
    },
    "Decimal and Nullable numbers": {
        "trades.px": "Decimal(18, 8)",
        "trades.sz": "Nullable(Decimal(18, 8))",
        "trades.fee": "Nullable(Float64)",
        "trades.closed_pnl": "Decimal(18, 8)",
        "trades.start_position": "Decimal(18, 8)",
        "klines.close": "Nullable(Decimal(20, 8))",
        "klines.open": "Decimal(20, 8)",
        "account.account_value": "Nullable(Decimal(18, 6))",
        "positions.szi": "Decimal(18, 8)",
        "positions.position_value": "Nullable(Decimal(18, 6))",
        "funding.usdc": "Nullable(Float64)",
        "ledger.usdc": "Decimal(18, 6)",
        "targets.weight": "Float32",
    },
    "Enum, String, UInt8 and Date32": {
        "heartbeat.status": "Enum8('ok' = 1, 'error' = 2)",
        "sync_log.status": "Enum8('ok' = 1, 'error' = 2)",
        "orders.status": "String",
        "trades.side": "Enum8('B' = 1, 'A' = 2)",
        "trades.crossed": "UInt8",
        "trades.coin": "String",
        "targets.date": "Date32",
        "heartbeat.duration_ms": "UInt64",
    },
}


def _seed(engine, prefix: str, types: dict[str, str]):
    tm = create_tables(engine, prefix, types)
    seed_client(engine, start=SPAN[0], end=SPAN[1], tables=tm)
    return tm


def _copy(engine, src_prefix: str, dst_prefix: str) -> None:
    """The same rows in tables of the contract's types (the reference the drifted remote must match)."""
    src, dst = table_map_for(src_prefix), create_tables(engine, dst_prefix)
    for name in dst.tables:
        engine.command(
            f"INSERT INTO {dst.qualified(name)} SELECT * FROM {src.qualified(name)}", settings={"optimize_on_insert": 0}
        )


def _run_all(desk_url: str, prefix: str) -> dict[str, pl.DataFrame]:
    client = fixture_client(desk_url, prefix)
    out = {}
    with use_client(client):
        for name, fn, args in CALLS:
            fn.clear()
            out[name] = fn(*args).drop("server_now", strict=False)
    return out


@pytest.mark.parametrize("case", list(CASES))
def test_drifted_remote_gives_identical_frames(engine, desk_url, case):
    types = CASES[case]
    _seed(engine, "drift_x", types)
    _copy(engine, "drift_x", "drift_ref")
    contract_queries.forget()
    want, got = _run_all(desk_url, "drift_ref"), _run_all(desk_url, "drift_x")
    assert {n for n, df in want.items() if df.height == 0} <= EMPTY_OK  # the comparison compares something
    for name, *_ in CALLS:
        assert got[name].schema == want[name].schema, (case, name)
        # ties in a query's ORDER BY may come back in either order: compare the rows as a set; float sums
        # (the chained log-returns of headline_pnl) may add up in another order: equal to 1e-12
        assert_frame_equal(
            got[name].sort(got[name].columns),
            want[name].sort(want[name].columns),
            check_exact=False,
            rel_tol=1e-12,
            abs_tol=1e-12,
        )
    # the drifted tables are named on the contract table, none as broken
    with use_client(fixture_client(desk_url, "drift_x")):
        contract_queries.contract_check.clear()
        check = contract_queries.contract_check()
    status = {f"{r['table']}.{r['column']}": r["status"] for r in check.iter_rows(named=True)}
    for col in types:
        assert status[col] == contract.NORMALISED, (case, col)
    assert not set(check["status"].to_list()) & set(contract.BROKEN)


def test_conforming_remote_reads_tables_unchanged(desk_client, desk_url):
    """No drift, no rewrite: the statements (and their use of the primary key) stay as written."""
    client = fixture_client(desk_url, "drift_none")
    create_tables(desk_client, "drift_none")
    contract_queries.forget()
    assert contract_queries.drift_casts(client) == {}
    sql = "SELECT max(ts) FROM {account_db:Identifier}.{account_tbl:Identifier}"
    assert contract.rewrite(sql, client.tables.params(), contract_queries.drift_casts(client)) == sql


def test_drifted_read_keeps_the_primary_key_range(engine, desk_url):
    """The CAST wrapper lets ClickHouse use the key for a time range (toDateTime64() would not)."""
    tm = create_tables(engine, "drift_key", {"account.ts": "DateTime"})
    engine.command(
        f"INSERT INTO {tm.qualified('account')} (ts, account, account_value) "
        "SELECT toDateTime('2025-01-01 00:00:00', 'UTC') + number * 60, 'a', 1. FROM numbers(20000)",
        settings={"optimize_on_insert": 0},
    )
    client = fixture_client(desk_url, "drift_key")
    contract_queries.forget()
    casts = contract_queries.drift_casts(client)
    assert casts == {tuple(tm.tables["account"]): {"ts": "CAST(`ts` AS DateTime64(3, 'UTC'))"}}
    sql = contract.rewrite(
        "SELECT count() FROM {account_db:Identifier}.{account_tbl:Identifier} "
        "WHERE ts >= toDateTime64('2025-01-13 00:00:00', 3, 'UTC')",
        client.tables.params(),
        casts,
    )
    plan = engine.command(
        "EXPLAIN indexes = 1 "
        + sql.replace("{account_db:Identifier}.{account_tbl:Identifier}", tm.qualified("account"))
    )
    text = plan if isinstance(plan, str) else "\n".join(map(str, plan))
    assert "Condition: (CAST(ts" in text, text  # the primary key condition is on ts, not `true`
    plain = engine.command(
        "EXPLAIN indexes = 1 SELECT count() FROM "
        + tm.qualified("account")
        + " WHERE toDateTime64(ts, 3, 'UTC') >= toDateTime64('2025-01-13 00:00:00', 3, 'UTC')"
    )
    assert "Condition: (CAST(ts" not in str(plain)  # what a toDateTime64() wrapper would have cost
