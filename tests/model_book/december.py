"""Build the December 2025 demo desks and record what the product says about them (run in its own process).

    python -m tests.model_book.december OUT_DIR

chdb binds one database path per process and the test session's engine holds the short test desk, so the
whole of December lives in a database of its own, built here: the plain demo desk (2025-11-01 .. 2026-01-01
03:00 UTC, the default table names) and a variant whose live book underperforms (the same desk with ten times
the exchange's fees, tables prefixed `var_`). Written to OUT_DIR:

* raw/<table>.parquet — every row of the plain desk's tables as stored (synced duplicates included)
* product.json — the product's answers: `python -m cli shortfall --json` for December with and without the
  model's fees, the model book's daily and hourly rows, and the model_band alert on both desks
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

START = datetime(2025, 11, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
AS_OF = END  # the data's now for the answers (the desk ends here)
RANGE = (date(2025, 12, 1), date(2025, 12, 31))
VARIANT_FEE_FACTOR = 10.0
RAW_TABLES = ("trades", "account", "positions", "funding", "ledger", "targets", "klines")


def _var_tables() -> dict[str, str]:
    from lib import config

    return {name: f"var_{db}.{tbl}" for name, (db, tbl) in config.DEFAULT_TABLES.items()}


def _seed(path: Path) -> None:
    import clickhouse_connect

    from lib import config, demo
    from lib.demo.simulation import book

    client = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    demo.seed_client(client, start=START, end=END)
    taker, maker = book.TAKER_FEE, book.MAKER_FEE
    book.TAKER_FEE, book.MAKER_FEE = taker * VARIANT_FEE_FACTOR, maker * VARIANT_FEE_FACTOR
    try:
        demo.seed_client(client, start=START, end=END, tables=config.table_map(_var_tables()))
    finally:
        book.TAKER_FEE, book.MAKER_FEE = taker, maker
    client.close()


def _use_tables(tables: dict[str, str] | None) -> None:
    import streamlit as st

    from lib.clickhouse.client import reset_default_client

    if tables is None:
        os.environ.pop("DESK_TABLES", None)
    else:
        os.environ["DESK_TABLES"] = json.dumps(tables)
    st.cache_data.clear()
    reset_default_client()


def _alert(t: dict) -> dict:
    from answers import alert_inputs
    from lib.alerting import rules

    band = alert_inputs.model_book_band(AS_OF)
    result = rules.model_band(band, t)[0]
    return {
        "status": result.status,
        "state_at_as_of": rules.state_of(result, AS_OF),
        "state_a_day_later": rules.state_of(result, datetime(2026, 1, 2, 3, 0, tzinfo=UTC)),
        "since": result.since.isoformat() if result.since else None,
        "subject": result.subject,
        "detail": result.detail,
        "sigma_bp": band.sigma_bp,
        "cumulative_bp": band.cumulative_bp[band.last] if band.last is not None else None,
        "first_day": band.days[0].isoformat() if band.days else None,
    }


def _frame_rows(df) -> list[dict]:
    from lib import format as fmt

    return [fmt.json_value(r) for r in df.to_dicts()]


def main(out: Path) -> dict:
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    path = out / "december.chdb"
    _seed(path)
    seeded_s = time.perf_counter() - t0
    os.environ["CLICKHOUSE_URL"] = f"chdb://{path}"
    import clickhouse_connect

    from answers import shortfall
    from cli import shortfall as shortfall_cli
    from lib import config
    from lib.alerting import rules

    raw = out / "raw"
    raw.mkdir(exist_ok=True)
    reader = clickhouse_connect.get_client(dsn=f"chdb://{path}")
    for name in RAW_TABLES:
        reader.query_df(f"SELECT * FROM {config.table_map().qualified(name)}").to_parquet(raw / f"{name}.parquet")
    reader.close()

    _use_tables(None)
    product: dict = {}
    for fees in (False, True):
        answer = shortfall.shortfall(*RANGE, fees=fees, as_of=AS_OF)
        product[f"shortfall_fees_{int(fees)}"] = shortfall_cli.to_json(answer)
    book = shortfall.model_book(*RANGE, hourly=True, as_of=AS_OF)
    product["model_days"] = _frame_rows(book.days)
    product["model_curve"] = _frame_rows(book.curve)
    product["band_sigma_bp"] = book.band.sigma_bp
    t = rules.thresholds()
    product["alert_plain"] = _alert(t)
    _use_tables(_var_tables())
    product["alert_variant"] = _alert(t)
    product["seconds"] = {"seed": round(seeded_s, 2), "total": round(time.perf_counter() - t0, 2)}
    (out / "product.json").write_text(json.dumps(product, allow_nan=False))
    return product


if __name__ == "__main__":
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    main(Path(sys.argv[1]))
