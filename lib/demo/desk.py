"""Deterministic demo desk: fills an embedded ClickHouse (chdb) with a realistic
Hyperliquid crypto desk so the dashboard runs without a server.

    python -m cli demo [--path P] [--end T] [--days N] [--coins N] [--seed S] [--force]

What is generated (see lib/demo/market.py, book.py and tables.py):

* binance.klines_1h - hourly candles for every model coin (correlated returns,
  50-100% vol, BTC ~92k on 2025-12-05), a few missing hours;
* maicro_logs.positions_jianan_v6 - the model's daily long/short weights;
* maicro_monitors.* - one account's fills, orders, funding, ledger, 5-minute
  account and hourly position snapshots, monitor heartbeats and the sync log,
  with ~0.5% of synced rows delivered twice (left unmerged).

The book follows the model under T+2 with small, realistic errors and a few
scripted mistakes; on 2025-12-05/06/07 its 02:00 UTC snapshot reproduces the
tracking-error playbook's diagnoses (exactly with the default 60 coins and a
span that starts by 2025-12-03). Same arguments -> identical data (the only
wall-clock input is the default `end`). Pure Python: no streamlit here.

Conventions worth knowing when reading the data:
* `coins` counts ordinary coins; kPEPE and kBONK (priced from 1000PEPEUSDT /
  1000BONKUSDT) are always added to the model, and PURR (no Binance candle
  ever) is held by hand on a few days -> 60 coins = 62 model names.
* `start` is floored to its UTC midnight (deposit at 00:00:00, first
  rebalance ~00:00:45); `end` is floored to the minute; nothing after it.
* Prices: candle k has open = P(k), close = P(k+1); between hours the mark is
  linear. Fills are priced off the candle open of their hour +- slippage.
* account_snapshots: equity as of each 5-minute mark, ts = mark + 1-4 s.
  positions_snapshots: as of hh:59:30, ts = mark + 0-1.5 s. Funding: at each
  whole hour on the position held then.
* chdb binds one database path per process: `seed()` opens `path`; inside a
  process that already has an engine open, use `seed_client()` (optionally
  with a TableMap pointing at other database names).
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pyarrow as pa

from lib.config import DEFAULT_DEMO_PATH, TableMap, table_map
from lib.demo.book import REF_SPECS, Sim, ledger_events
from lib.demo.market import (
    HOUR_MS,
    MODEL_SPECIALS,
    UNPRICED_COIN,
    build_universe,
    funding_rates,
    ms_of,
    model_weights,
    price_grid,
)
from lib.demo.tables import (
    ACCOUNT,
    SYNCED,
    Ctx,
    Timeline,
    account_rows,
    attach_sync,
    extra_heartbeats,
    funding_rows,
    heartbeat_sql,
    kline_rows,
    ledger_rows,
    order_ids,
    order_rows,
    outages,
    position_rows,
    sync_log_rows,
    sync_runs,
    target_rows,
    trade_rows,
)
from lib.demo.contract import create_all

__all__ = ["ACCOUNT", "DEFAULT_START", "seed", "seed_client", "is_seeded", "resolve_span"]

DEFAULT_START = datetime(2025, 11, 1, tzinfo=timezone.utc)
Progress = Callable[[float, str], None]
# Time column per logical table (partition key of the synced tables).
# The ledger is not partitioned: it goes in as one insert (one part).
_TIME_COL = {"trades": "time", "orders": "time", "funding": "time", "account": "ts", "positions": "ts",
             "heartbeat": "ts", "sync_log": "started_at"}


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=timezone.utc) if t.tzinfo is None else t.astimezone(timezone.utc)


def resolve_span(start: datetime | None, end: datetime | None) -> tuple[date, int]:
    """(first day, end in ms). end defaults to now, floored to the minute; start to 2025-11-01
    and is floored to its UTC day (the desk starts trading at that midnight)."""
    end = _utc(end) if end is not None else datetime.now(timezone.utc)
    end = end.replace(second=0, microsecond=0)
    start_day = _utc(start if start is not None else DEFAULT_START).date()
    if ms_of(end) - ms_of(start_day) < 2 * HOUR_MS:
        raise ValueError(f"the span {start_day} 00:00 .. {end:%Y-%m-%d %H:%M} UTC is shorter than two hours")
    return start_day, ms_of(end)


def _exists(client: Any, qualified: str) -> bool:
    return int(client.command(f"EXISTS TABLE {qualified}")) == 1


def is_seeded(client: Any, tables: TableMap | None = None) -> bool:
    """True when the account table exists and has rows."""
    q = (tables or table_map()).qualified("account")
    try:
        return _exists(client, q) and int(client.command(f"SELECT count() FROM {q}")) > 0
    except Exception:  # noqa: BLE001 - database missing etc.
        return False


def _insert(client: Any, qualified: str, table: pa.Table, time_col: str | None) -> None:
    """Insert without collapsing duplicates; one insert per month so every partition
    is a single part (nothing for a background merge to collapse)."""
    settings = {"optimize_on_insert": 0, "max_insert_block_size": 50_000_000}
    if time_col is None or table.num_rows == 0:
        if table.num_rows:
            client.insert_arrow(qualified, table, settings=settings)
        return
    t = table.column(time_col).cast(pa.int64()).to_numpy()
    if table.schema.field(time_col).type.unit == "s":
        t = t * 1000
    order = np.argsort(t, kind="stable")
    table, t = table.take(pa.array(order)), t[order]
    month = t.astype("datetime64[ms]").astype("datetime64[M]")
    cuts = np.r_[0, np.nonzero(month[1:] != month[:-1])[0] + 1, len(t)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        client.insert_arrow(qualified, table.slice(a, b - a), settings=settings)


def seed_client(client: Any, *, start: datetime | None = None, end: datetime | None = None, coins: int = 60,
                seed: int = 7, progress: Progress | None = None, tables: TableMap | None = None,
                force: bool = False) -> dict:
    """Generate the demo desk into an open clickhouse-connect client. Returns a summary."""
    t_start = time.perf_counter()
    say = progress or (lambda f, m: None)
    tables = tables or table_map()
    start_day, end_ms = resolve_span(start, end)
    if is_seeded(client, tables) and not force:
        return {"seeded": False, "reason": "already seeded", "tables": {}, "seconds": 0.0}
    if force:
        for db, tbl in tables.tables.values():
            client.command(f"DROP TABLE IF EXISTS `{db}`.`{tbl}`")
    create_all(client, tables)
    for name in tables.tables:
        if int(client.command(f"SELECT count() FROM {tables.qualified(name)}")) > 0:
            raise RuntimeError(f"{tables.qualified(name)} already has rows; seed with force=True to replace them")

    say(0.02, "market: universe, model weights, prices")
    uni = build_universe(coins)
    end_day = datetime.fromtimestamp((end_ms - 1) / 1000, timezone.utc).date()
    n_days = (end_day - start_day).days + 1
    wdates, W = model_weights(uni, start_day - timedelta(days=2), end_day, seed)
    P = price_grid(uni, start_day, n_days + 1, seed, (wdates, W.copy()))
    rates = funding_rates(uni, start_day, n_days + 1, seed)
    grid_ms = ms_of(start_day)

    say(0.10, f"book: simulating {n_days} days of execution")
    sim = Sim(uni, P, rates, grid_ms, start_day, n_days, wdates, W, seed, ledger_events(grid_ms, end_ms), end_ms)
    book = sim.run()
    f = book.fills
    keep = f["time"] <= end_ms
    book.fills = {k: v[keep] for k, v in f.items()}
    keep = np.maximum(book.orders["t_open"], book.orders["t_final"]) <= end_ms
    book.orders = {k: v[keep] for k, v in book.orders.items()}
    keep = book.funding["time"] <= end_ms
    book.funding = {k: v[keep] for k, v in book.funding.items()}

    ctx = Ctx(uni=uni, P=P, book=book, wdates=wdates, W=W, grid_ms=grid_ms, start_ms=grid_ms, end_ms=end_ms,
              seed=seed, tables=tables)
    ctx.outages = outages(ctx)
    say(0.25, "rows: account and position snapshots")
    tl = Timeline(ctx)
    synced_raw = {"account": account_rows(ctx, tl), "positions": position_rows(ctx, tl)}
    say(0.45, "rows: fills, orders, funding, ledger")
    oid, cloid, txh = order_ids(ctx)
    synced_raw["trades"] = trade_rows(ctx, oid, cloid, txh)
    synced_raw["orders"], n_untracked = order_rows(ctx, oid, cloid)
    synced_raw["funding"] = funding_rows(ctx)
    synced_raw["ledger"] = ledger_rows(ctx)
    runs = sync_runs(ctx)
    g = np.random.default_rng([seed, 19, 92])
    out: dict[str, pa.Table] = {}
    for j, name in enumerate(SYNCED):
        out[name] = attach_sync(ctx, runs, j, synced_raw[name], g)
    say(0.55, "rows: candles, model weights, sync log")
    out["klines"] = kline_rows(ctx)
    out["targets"] = target_rows(ctx, start_day - timedelta(days=2), end_day - timedelta(days=1))
    out["sync_log"] = sync_log_rows(ctx, runs)
    hb_extra = extra_heartbeats(ctx, runs)

    counts: dict[str, int] = {}
    steps = list(out.items())
    for k, (name, table) in enumerate(steps):
        say(0.6 + 0.3 * k / len(steps), f"insert {tables.qualified(name)} ({table.num_rows:,} rows)")
        _insert(client, tables.qualified(name), table, _TIME_COL.get(name))
        counts[name] = table.num_rows
    say(0.92, f"insert {tables.qualified('heartbeat')} (SQL)")
    ft = book.funding["time"]
    n_held = int(np.median(np.bincount(np.searchsorted(np.unique(ft), ft)))) if len(ft) else 0
    client.command(heartbeat_sql(ctx, tables.qualified("heartbeat"), uni.n_model, n_held))
    _insert(client, tables.qualified("heartbeat"), hb_extra, None)
    counts["heartbeat"] = int(client.command(f"SELECT count() FROM {tables.qualified('heartbeat')}"))

    dups = {name: out[name].num_rows - _unique_rows(out[name], name) for name in SYNCED}
    seconds = round(time.perf_counter() - t_start, 2)
    say(1.0, f"done in {seconds:.1f} s")
    return {
        "seeded": True,
        "account": ACCOUNT,
        "start": start_day.isoformat(),
        "end": datetime.fromtimestamp(end_ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M"),
        "coins": list(uni.coins),
        "model_coins": uni.n_model,
        "unpriced_coin": UNPRICED_COIN,
        "specials": list(MODEL_SPECIALS),
        "tables": counts,
        "duplicates": dups,
        "untracked_fill_orders": n_untracked,
        "reference_days": [d.isoformat() for d in REF_SPECS if start_day <= d <= end_day],
        "anomalies": book.anomalies,
        "outages": [{"monitor": m, "start": _fmt(a), "end": _fmt(b)} for m, a, b in ctx.outages],
        "seconds": seconds,
    }


_KEYS = {"trades": ["tid"], "orders": ["oid", "status"], "funding": ["time", "coin"], "ledger": ["time", "hash"],
         "account": ["ts"], "positions": ["ts", "coin"]}


def _unique_rows(table: pa.Table, name: str) -> int:
    return table.group_by(_KEYS[name]).aggregate([]).num_rows


def _fmt(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def seed(path: str | Path = DEFAULT_DEMO_PATH, *, start: datetime | None = None, end: datetime | None = None,
         coins: int = 60, seed: int = 7, progress: Progress | None = None, tables: TableMap | None = None,
         force: bool = False) -> dict:
    """Open (create) the embedded database at `path` and seed it. One chdb path per process."""
    import clickhouse_connect

    resolve_span(start, end)  # refuse a bad span before creating anything
    p = Path(path).expanduser().resolve()
    p.parent.mkdir(parents=True, exist_ok=True)
    client = clickhouse_connect.get_client(dsn=f"chdb://{p}")
    try:
        return seed_client(client, start=start, end=end, coins=coins, seed=seed, progress=progress,
                           tables=tables, force=force)
    finally:
        client.close()
