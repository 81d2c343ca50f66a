"""Deterministic demo desk: fills an embedded ClickHouse (chdb) with a realistic
Hyperliquid crypto desk so the dashboard runs without a server.

    python -m cli demo [--path P] [--end T] [--days N] [--coins N] [--seed S] [--accounts N] [--force]

What is generated (see lib/demo/simulation/market.py, book.py and tables.py):

* hyperliquid.asset_meta - the exchange's size decimals and max leverage per coin, every 6 hours;
* binance.klines_1h - hourly candles for every model coin (correlated returns,
  50-100% vol, BTC ~92k on 2025-12-05), a few missing hours;
* maicro_logs.positions_jianan_v6 - the model's daily long/short weights;
* maicro_monitors.* - the account's fills, orders, funding, ledger, 5-minute
  account and hourly position snapshots, monitor heartbeats and the sync log,
  with ~0.5% of synced rows delivered twice (left unmerged). With accounts=2 a
  smaller sub-account (lib/demo/accounts.py) has its own rows in every table
  that carries `account`; the main account's rows stay exactly the same.

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
* account_snapshots: equity as of each 5-minute mark, ts = mark + 1-4 s (a
  sub-account's 0.3-1.2 s after the main account's: one monitor round).
  positions_snapshots: as of hh:59:30, ts = mark + 0-1.5 s. Funding: at each
  whole hour on the position held then.
* chdb binds one database path per process: `seed()` opens `path`; inside a
  process that already has an engine open, use `seed_client()` (optionally
  with a TableMap pointing at other database names).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from lib.config import DEFAULT_DEMO_PATH, TableMap, table_map
from lib.demo.accounts import SUB_ACCOUNTS, account_names
from lib.demo.contract import create_all
from lib.demo.simulation.book import REF_SPECS, Book, FollowerSim, Sim, ledger_events
from lib.demo.simulation.market import (
    HOUR_MS,
    MODEL_SPECIALS,
    UNPRICED_COIN,
    build_universe,
    funding_rates,
    model_weights,
    ms_of,
    price_grid,
)
from lib.demo.tables import (
    ACCOUNT,
    NEVER,
    SYNCED,
    Ctx,
    Timeline,
    account_rows,
    asset_meta_rows,
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
    untracked_orders,
)

__all__ = [
    "ACCOUNT",
    "DEFAULT_START",
    "DeskModel",
    "DeskState",
    "GENERATOR_VERSION",
    "insert_window",
    "is_seeded",
    "read_state",
    "resolve_span",
    "seed",
    "seed_client",
]

DEFAULT_START = datetime(2025, 11, 1, tzinfo=UTC)
# Bump when the generator's output changes: a desk built by another version is rebuilt, not extended.
GENERATOR_VERSION = 3  # 3: the exchange's asset metadata (hyperliquid.asset_meta)
MAIN_BOOK_STREAM = 50  # the main account's book draws (book.Sim rng_stream); sub-account k uses this + k
STATE_TABLE = "demo_desk_state"  # in the account table's database; only demo desks have it
Progress = Callable[[float, str], None]
# Time column per logical table (partition key of the synced tables).
# The ledger is not partitioned: it goes in as one insert (one part).
_TIME_COL = {
    "trades": "time",
    "orders": "time",
    "funding": "time",
    "account": "ts",
    "positions": "ts",
    "heartbeat": "ts",
    "sync_log": "started_at",
    "asset_meta": "updated_at",
}
_INSERT_SETTINGS = {"optimize_on_insert": 0, "max_insert_block_size": 50_000_000}


def _utc(t: datetime) -> datetime:
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def resolve_span(start: datetime | None, end: datetime | None) -> tuple[date, int]:
    """(first day, end in ms). end defaults to now, floored to the minute; start to 2025-11-01
    and is floored to its UTC day (the desk starts trading at that midnight)."""
    end = _utc(end) if end is not None else datetime.now(UTC)
    end = end.replace(second=0, microsecond=0)
    start_day = _utc(start if start is not None else DEFAULT_START).date()
    if ms_of(end) - ms_of(start_day) < 2 * HOUR_MS:
        raise ValueError(f"the span {start_day} 00:00 .. {end:%Y-%m-%d %H:%M} UTC is shorter than two hours")
    return start_day, ms_of(end)


# The seeder's own statements take their table names as bound identifiers (`db`, `tbl`), as the app's queries do.
def _table(db: str, tbl: str) -> dict[str, str]:
    return {"db": db, "tbl": tbl}


def _exists(client: Any, table: dict[str, str]) -> bool:
    return int(client.command("EXISTS TABLE {db:Identifier}.{tbl:Identifier}", parameters=table)) == 1


def _count(client: Any, table: dict[str, str]) -> int:
    return int(client.command("SELECT count() FROM {db:Identifier}.{tbl:Identifier}", parameters=table))


def is_seeded(client: Any, tables: TableMap | None = None) -> bool:
    """True when the account table exists and has rows."""
    account = _table(*(tables or table_map()).tables["account"])
    try:
        return _exists(client, account) and _count(client, account) > 0
    except Exception:  # noqa: BLE001 - database missing etc.
        return False


# --- the desk's state row (how far it extends, and what built it) -------------------


@dataclass(frozen=True)
class DeskState:
    end_ms: int
    generator: int
    seed: int
    coins: int
    start: date
    accounts: int = 1  # the main account and accounts - 1 sub-accounts

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_ms / 1000, UTC)


def _state_table(tables: TableMap) -> dict[str, str]:
    return _table(tables.tables["account"][0], STATE_TABLE)


_READ_STATE = (
    "SELECT end_ms, generator, seed, coins, start, accounts FROM {db:Identifier}.{tbl:Identifier} "
    "ORDER BY end_ms DESC LIMIT 1"
)
# a state table written before desks had several accounts has no `accounts`: those desks have one
_READ_OLD_STATE = (
    "SELECT end_ms, generator, seed, coins, start, toUInt32(1) FROM {db:Identifier}.{tbl:Identifier} "
    "ORDER BY end_ms DESC LIMIT 1"
)


def read_state(client: Any, tables: TableMap | None = None) -> DeskState | None:
    """The newest state row of a demo desk; None for a desk without one (another generator) or none."""
    state = _state_table(tables or table_map())
    if not _exists(client, state):
        return None
    statement = _READ_STATE if "accounts" in _columns(client, state) else _READ_OLD_STATE
    rows = client.query(statement, parameters=state)
    if not rows.result_rows:
        return None
    end_ms, gen, sd, coins, start, n_accounts = rows.result_rows[0]
    return DeskState(int(end_ms), int(gen), int(sd), int(coins), start, int(n_accounts))


def _columns(client: Any, table: dict[str, str]) -> set[str]:
    return {
        row[0] for row in client.query("DESCRIBE TABLE {db:Identifier}.{tbl:Identifier}", parameters=table).result_rows
    }


def write_state(client: Any, tables: TableMap, state: DeskState) -> None:
    table = _state_table(tables)
    client.command(
        "CREATE TABLE IF NOT EXISTS {db:Identifier}.{tbl:Identifier} (end_ms Int64, generator UInt32, seed Int64, "
        "coins UInt32, start Date, written_at DateTime64(3, 'UTC'), accounts UInt32 DEFAULT 1) "
        "ENGINE = MergeTree ORDER BY end_ms",
        parameters=table,
    )
    # an older desk's table
    client.command(
        "ALTER TABLE {db:Identifier}.{tbl:Identifier} ADD COLUMN IF NOT EXISTS accounts UInt32 DEFAULT 1",
        parameters=table,
    )
    client.insert_arrow(
        table["tbl"],
        database=table["db"],
        arrow_table=pa.table(
            {
                "end_ms": pa.array([state.end_ms], pa.int64()),
                "generator": pa.array([state.generator], pa.uint32()),
                "seed": pa.array([state.seed], pa.int64()),
                "coins": pa.array([state.coins], pa.uint32()),
                "start": pa.array([state.start], pa.date32()),
                "written_at": pa.array([int(time.time() * 1000)], pa.timestamp("ms", tz="UTC")),
                "accounts": pa.array([state.accounts], pa.uint32()),
            }
        ),
    )


# --- the model: everything that does not depend on the window ------------------------


@dataclass(frozen=True)
class AccountBook:
    """One account of the desk: its name, its index (0 = main), its book and what is derived from it."""

    name: str
    acct: int
    book: Book
    timeline: Timeline
    ids: tuple[np.ndarray, np.ndarray, np.ndarray]  # oid, cloid, tx hash per order index


class DeskModel:
    """Market, books, ids and scenario of a desk from `start_day` through `through_day`.

    `rows(lo, hi)` gives the rows that become visible in (lo, hi] (hi before the
    end of `through_day`). Every day's data depends only on the days before it,
    so a model built through a later day gives the same rows for an earlier
    window: that is what lets the feeder extend a desk and stay equal to a fresh one.
    """

    def __init__(
        self,
        start_day: date,
        through_day: date,
        coins: int = 60,
        seed: int = 7,
        tables: TableMap | None = None,
        accounts: int = 1,
    ):
        names = account_names(accounts)  # refuses a count the desk cannot build
        self.start_day, self.through_day, self.coins, self.seed = start_day, through_day, coins, seed
        self.tables = tables or table_map()
        self.uni = build_universe(coins)
        n_days = (through_day - start_day).days + 1
        self.wdates, self.W = model_weights(self.uni, start_day - timedelta(days=2), through_day, seed)
        self.P = price_grid(self.uni, start_day, n_days + 1, seed, (self.wdates, self.W.copy()))
        rates = funding_rates(self.uni, start_day, n_days + 1, seed)
        self.grid_ms = ms_of(start_day)
        self.through_ms = ms_of(through_day + timedelta(days=1))  # rows() covers times before this
        sim = Sim(
            self.uni,
            self.P,
            rates,
            self.grid_ms,
            start_day,
            n_days,
            self.wdates,
            self.W,
            seed,
            ledger_events(self.grid_ms, self.through_ms),
            self.through_ms,
            rng_stream=MAIN_BOOK_STREAM,
        )
        self.book = sim.run()  # settles the weights (the reference days write theirs): sub-accounts read them after
        self.outages, self.quiet = outages(seed, self.grid_ms, self.through_ms)
        self.timeline = Timeline(self.uni, self.book)
        self.ids = order_ids(seed, self.grid_ms, self.book)
        self.accounts = [AccountBook(names[0], 0, self.book, self.timeline, self.ids)]
        for k, spec in enumerate(SUB_ACCOUNTS[: accounts - 1], start=1):
            book = FollowerSim(
                self.uni,
                self.P,
                rates,
                self.grid_ms,
                start_day,
                n_days,
                self.wdates,
                self.W,
                seed,
                ledger_events(self.grid_ms, self.through_ms, spec.initial_deposit, spec.ledger),
                self.through_ms,
                rng_stream=MAIN_BOOK_STREAM + k,
                coins=spec.coins,
                gross=spec.gross,
                cap=spec.cap,
            ).run()
            self.accounts.append(
                AccountBook(
                    spec.name, k, book, Timeline(self.uni, book), order_ids(seed, self.grid_ms, book, k, self.ids[0])
                )
            )
        # rows of the positions monitor's beats: about the number of coins the book holds
        self.n_held = max(self.uni.n_model - 4, 1)

    def covers(self, t_ms: int) -> bool:
        return self.grid_ms <= t_ms < self.through_ms

    def ctx(self, lo_ms: int, hi_ms: int) -> Ctx:
        if hi_ms >= self.through_ms:
            raise ValueError(f"the model ends at {self.through_day}; it cannot give rows up to {hi_ms}")
        return Ctx(
            uni=self.uni,
            P=self.P,
            book=self.book,
            wdates=self.wdates,
            W=self.W,
            grid_ms=self.grid_ms,
            start_ms=self.grid_ms,
            end_ms=hi_ms,
            seed=self.seed,
            tables=self.tables,
            outages=self.outages,
            lo_ms=lo_ms,
            quiet=self.quiet,
        )

    def rows(self, lo_ms: int, hi_ms: int) -> dict[str, pa.Table]:
        """Rows visible in (lo, hi] for every table; the heartbeats of the 7 polling monitors
        come from `heartbeat_statement` (generated in SQL: millions of rows for a long desk)."""
        ctx = self.ctx(lo_ms, hi_ms)
        parts: dict[str, list[pa.Table]] = {name: [] for name in SYNCED}
        for a in self.accounts:
            c = ctx if a.acct == 0 else replace(ctx, book=a.book, account=a.name, acct=a.acct)
            oid, cloid, txh = a.ids
            for name, table in (
                ("account", account_rows(c, a.timeline)),
                ("positions", position_rows(c, a.timeline)),
                ("trades", trade_rows(c, oid, cloid, txh)),
                ("orders", order_rows(c, oid, cloid)),
                ("funding", funding_rows(c)),
                ("ledger", ledger_rows(c)),
            ):
                parts[name].append(table)
        raw = {name: _concat(tables) for name, tables in parts.items()}
        runs = sync_runs(ctx)
        out = {name: attach_sync(ctx, runs, j, raw[name]) for j, name in enumerate(SYNCED)}
        out["klines"] = kline_rows(ctx)
        out["targets"] = target_rows(ctx)
        out["asset_meta"] = asset_meta_rows(ctx)
        out["sync_log"] = sync_log_rows(ctx, runs)
        out["heartbeat"] = extra_heartbeats(ctx, runs)
        return out

    def heartbeat_statement(self, lo_ms: int, hi_ms: int) -> str:
        return heartbeat_sql(self.ctx(lo_ms, hi_ms), self.uni.n_model, self.n_held)


def _concat(tables: list[pa.Table]) -> pa.Table:
    """One table from the accounts' (a single account's table untouched; the account column's dictionaries merged)."""
    if len(tables) == 1:
        return tables[0]
    return pa.concat_tables(tables).unify_dictionaries().combine_chunks()


def _insert(client: Any, qualified: str, table: pa.Table, time_col: str | None) -> None:
    """Insert without collapsing duplicates; one insert per month so every partition
    gets a single part per window (nothing for a background merge to collapse at once)."""
    if time_col is None or table.num_rows == 0:
        if table.num_rows:
            client.insert_arrow(qualified, table, settings=_INSERT_SETTINGS)
        return
    t = table.column(time_col).cast(pa.int64()).to_numpy()
    if table.schema.field(time_col).type.unit == "s":
        t = t * 1000
    order = np.argsort(t, kind="stable")
    table, t = table.take(pa.array(order)), t[order]
    month = t.astype("datetime64[ms]").astype("datetime64[M]")
    cuts = np.r_[0, np.nonzero(month[1:] != month[:-1])[0] + 1, len(t)]
    for a, b in zip(cuts[:-1], cuts[1:]):
        client.insert_arrow(qualified, table.slice(a, b - a), settings=_INSERT_SETTINGS)


def insert_window(
    client: Any,
    model: DeskModel,
    lo_ms: int,
    hi_ms: int,
    say: Progress | None = None,
    frac: tuple[float, float] = (0.0, 1.0),
) -> dict[str, pa.Table]:
    """Generate and insert the rows visible in (lo, hi]; returns them (heartbeats: the sync monitor's only)."""
    say = say or (lambda f, m: None)
    out = model.rows(lo_ms, hi_ms)
    steps = list(out.items())
    for k, (name, table) in enumerate(steps):
        say(
            frac[0] + (frac[1] - frac[0]) * k / (len(steps) + 1),
            f"insert {model.tables.qualified(name)} ({table.num_rows:,} rows)",
        )
        _insert(client, model.tables.qualified(name), table, _TIME_COL.get(name))
    say(
        frac[0] + (frac[1] - frac[0]) * len(steps) / (len(steps) + 1),
        f"insert {model.tables.qualified('heartbeat')} (SQL)",
    )
    client.command(
        model.heartbeat_statement(lo_ms, hi_ms),
        parameters=_table(*model.tables.tables["heartbeat"]),
        settings=_INSERT_SETTINGS,
    )
    return out


def seed_client(
    client: Any,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    coins: int = 60,
    seed: int = 7,
    progress: Progress | None = None,
    tables: TableMap | None = None,
    force: bool = False,
    accounts: int = 1,
) -> dict:
    """Generate the demo desk into an open clickhouse-connect client. Returns a summary."""
    t_start = time.perf_counter()
    say = progress or (lambda f, m: None)
    tables = tables or table_map()
    start_day, end_ms = resolve_span(start, end)
    names = account_names(accounts)
    if is_seeded(client, tables) and not force:
        return {"seeded": False, "reason": "already seeded", "tables": {}, "seconds": 0.0}
    if force:
        for table in [*(_table(db, tbl) for db, tbl in tables.tables.values()), _state_table(tables)]:
            client.command("DROP TABLE IF EXISTS {db:Identifier}.{tbl:Identifier}", parameters=table)
    create_all(client, tables)
    for name in tables.tables:
        if _count(client, _table(*tables.tables[name])) > 0:
            raise RuntimeError(f"{tables.qualified(name)} already has rows; seed with force=True to replace them")

    end_day = datetime.fromtimestamp(end_ms / 1000, UTC).date()
    say(0.02, f"market and book: simulating {(end_day - start_day).days + 1} days")
    model = DeskModel(start_day, end_day, coins, seed, tables, accounts)
    say(0.25, "rows: snapshots, fills, orders, funding, candles, sync log")
    out = insert_window(client, model, NEVER, end_ms, say, (0.3, 0.95))
    write_state(client, tables, DeskState(end_ms, GENERATOR_VERSION, seed, coins, start_day, accounts))
    counts = {name: t.num_rows for name, t in out.items() if name != "heartbeat"}
    counts["heartbeat"] = _count(client, _table(*tables.tables["heartbeat"]))

    dups = {name: out[name].num_rows - _unique_rows(out[name], name) for name in SYNCED}
    seconds = round(time.perf_counter() - t_start, 2)
    say(1.0, f"done in {seconds:.1f} s")
    filled = model.book.fills["order"][model.book.fills["time"] <= end_ms]
    untracked = np.intersect1d(untracked_orders(model.ctx(NEVER, end_ms)), filled)
    return {
        "seeded": True,
        "account": ACCOUNT,
        "accounts": names,
        "start": start_day.isoformat(),
        "end": datetime.fromtimestamp(end_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M"),
        "coins": list(model.uni.coins),
        "model_coins": model.uni.n_model,
        "unpriced_coin": UNPRICED_COIN,
        "specials": list(MODEL_SPECIALS),
        "tables": counts,
        "duplicates": dups,
        "untracked_fill_orders": int(len(untracked)),
        "reference_days": [d.isoformat() for d in REF_SPECS if start_day <= d <= end_day],
        "anomalies": [a for a in model.book.anomalies if a["date"] <= end_day.isoformat()],
        "outages": [{"monitor": m, "start": _fmt(a), "end": _fmt(b)} for m, a, b in model.outages if a <= end_ms],
        "seconds": seconds,
    }


_KEYS = {
    "trades": ["account", "tid"],
    "orders": ["account", "oid", "status"],
    "funding": ["account", "time", "coin"],
    "ledger": ["account", "time", "hash"],
    "account": ["account", "ts"],
    "positions": ["account", "ts", "coin"],
}


def _unique_rows(table: pa.Table, name: str) -> int:
    return table.group_by(_KEYS[name]).aggregate([]).num_rows


def _fmt(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")


def seed(
    path: str | Path = DEFAULT_DEMO_PATH,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    coins: int = 60,
    seed: int = 7,
    progress: Progress | None = None,
    tables: TableMap | None = None,
    force: bool = False,
    accounts: int = 1,
) -> dict:
    """Open (create) the embedded database at `path` and seed it. One chdb path per process."""
    import clickhouse_connect

    resolve_span(start, end)  # refuse a bad span or account count before creating anything
    account_names(accounts)
    p = Path(path).expanduser().resolve()
    p.parent.mkdir(parents=True, exist_ok=True)
    client = clickhouse_connect.get_client(dsn=f"chdb://{p}")
    try:
        return seed_client(
            client,
            start=start,
            end=end,
            coins=coins,
            seed=seed,
            progress=progress,
            tables=tables,
            force=force,
            accounts=accounts,
        )
    finally:
        client.close()
