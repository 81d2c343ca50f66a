"""The status words of System Health's lazy tabs (lib/health/checks.py), on hand-made frames."""

from __future__ import annotations

import polars as pl

from lib.clickhouse import contract
from lib.health import checks
from lib.health.checks import FAIL, OK, UNKNOWN, WARN, CheckStatus, ContractSummary


def _check(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    """Contract rows (qualified table, status, note)."""
    return pl.DataFrame(
        {"qualified": [r[0] for r in rows], "status": [r[1] for r in rows], "note": [r[2] for r in rows]},
        schema={"qualified": pl.String, "status": pl.String, "note": pl.String},
    )


def test_contract_summary_counts_broken_columns_absent_tables_and_drift():
    check = _check(
        [
            ("db.trades", contract.PRESENT, ""),
            ("db.trades", contract.MISSING, ""),  # a missing column of a table that exists: broken
            ("db.positions", contract.WRONG_TYPE, ""),
            ("db.account", contract.NORMALISED, ""),
            ("db.account", contract.NORMALISED, ""),
            ("db.sync_log", contract.MISSING, contract.NO_TABLE),  # the table is absent: not a broken column
            ("db.sync_log", contract.MISSING, contract.NO_TABLE),
            ("db.klines", contract.EXTRA, ""),
        ]
    )
    assert checks.contract_summary(check) == ContractSummary(broken=2, absent_tables=("db.sync_log",), normalised=2)
    assert checks.contract_summary(_check([])) == ContractSummary(0, (), 0)


def test_odd_row_count_adds_future_stray_and_empty_key_rows():
    future = pl.DataFrame({"table_key": ["trades", "account"], "n_future": [3, None]})
    stray = pl.DataFrame({"table_key": ["account"], "n_stray": [1]})
    null_keys = [  # per table: '' is "any key column NULL" (the row count), the others per column
        {"table_key": "trades", "key_column": "", "n_null": 5},
        {"table_key": "trades", "key_column": "tid", "n_null": 5},
        {"table_key": "account", "key_column": "", "n_null": 2},
        {"table_key": "account", "key_column": "account", "n_null": 2},
    ]
    assert checks.odd_row_count(future, stray, null_keys) == 3 + 1 + 5 + 2
    assert checks.odd_row_count(None, None, None) is None
    assert checks.odd_row_count(future.head(0), None, []) == 0


def test_prices_status():
    assert checks.prices_status(0, 0) == CheckStatus(OK, "OK")
    assert checks.prices_status(2, 1) == CheckStatus(WARN, "3 problems")
    assert checks.prices_status(0, 1) == CheckStatus(WARN, "1 problem")
    assert checks.prices_status(None, 4) == CheckStatus(WARN, "4 problems")  # a known problem is said
    assert checks.prices_status(None, 0) == CheckStatus(UNKNOWN, "partly checked")  # never OK on half a check
    assert checks.prices_status(None, None) == CheckStatus(UNKNOWN, "not available")
    assert checks.prices_status(None, None, failed=True) == CheckStatus(FAIL, "failed")
    assert checks.prices_status(None, 2, failed=True) == CheckStatus(FAIL, "2 problems")


def test_data_quality_status():
    clean = ContractSummary(0, (), 0)
    assert checks.data_quality_status(clean, 0) == CheckStatus(OK, "OK")
    assert checks.data_quality_status(ContractSummary(0, (), 6), 0) == CheckStatus(WARN, "schema drift")
    assert checks.data_quality_status(clean, 12) == CheckStatus(WARN, "12 odd rows")
    assert checks.data_quality_status(ContractSummary(2, (), 3), 1) == CheckStatus(FAIL, "2 columns broken · 1 odd row")
    assert checks.data_quality_status(ContractSummary(0, ("db.sync_log",), 0), 0) == CheckStatus(
        WARN, "1 table missing"
    )
    assert checks.data_quality_status(None, 0) == CheckStatus(UNKNOWN, "partly checked")
    assert checks.data_quality_status(None, None) == CheckStatus(UNKNOWN, "not available")
    assert checks.data_quality_status(None, None, failed=True) == CheckStatus(FAIL, "check failed")
    assert checks.data_quality_status(clean, 1, failed=True) == CheckStatus(FAIL, "check failed · 1 odd row")


def test_clickhouse_status():
    assert checks.clickhouse_status(True, False, False) == CheckStatus(OK, "OK")
    assert checks.clickhouse_status(True, True, False) == CheckStatus(WARN, "untested version")
    assert checks.clickhouse_status(True, True, True) == CheckStatus(WARN, "on secondary · untested version")
    assert checks.clickhouse_status(False, True, True) == CheckStatus(FAIL, "not answering")


def test_a_stale_panel_says_so():
    assert checks.marked_stale(CheckStatus(OK, "OK")) == CheckStatus(WARN, "stale")
    assert checks.marked_stale(CheckStatus(UNKNOWN, "not available")) == CheckStatus(WARN, "stale")
    assert checks.marked_stale(CheckStatus(WARN, "3 problems")) == CheckStatus(WARN, "3 problems · stale")
    assert checks.marked_stale(CheckStatus(FAIL, "2 columns broken")) == CheckStatus(FAIL, "2 columns broken · stale")
