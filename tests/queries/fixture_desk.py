"""Small hand-made desks for SQL tests, in their own databases of the session engine.

Each builder creates the contract's tables under database names of its own
(via a TableMap), inserts rows with the awkward cases a real sync produces,
and returns a `DeskClient` whose table map points at them. Expected values
are then computed independently in Python from the same row lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lib import config
from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url
from lib.demo import contract
from lib.demo.tables import ACCOUNT

UTC = UTC

TRADE_COLS = [
    "time",
    "account",
    "coin",
    "side",
    "px",
    "sz",
    "start_position",
    "dir",
    "closed_pnl",
    "fee",
    "fee_token",
    "oid",
    "tid",
    "cloid",
    "crossed",
    "hash",
    "ingested_at",
    "synced_at",
]
ACCOUNT_COLS = [
    "ts",
    "account",
    "account_value",
    "total_ntl_pos",
    "total_margin_used",
    "withdrawable",
    "ingested_at",
    "synced_at",
]
POSITION_COLS = [
    "ts",
    "account",
    "coin",
    "szi",
    "entry_px",
    "position_value",
    "unrealized_pnl",
    "leverage",
    "liquidation_px",
    "margin_used",
    "ingested_at",
    "synced_at",
]
KLINE_COLS = ["open_time", "symbol", "open", "high", "low", "close", "volume"]
TARGET_COLS = ["date", "sym", "weight"]


# --- a second account: the main one at a quarter of the size (tests of the account scope) ----------
SUB = f"{ACCOUNT}:sub1"  # as the demo desk names its sub-account
K = 0.25
SCALED = {  # table -> the columns that scale with the account's size
    "trades": ["sz", "start_position", "closed_pnl", "fee"],
    "positions": ["szi", "position_value", "unrealized_pnl", "margin_used"],
    "account": ["account_value", "total_ntl_pos", "total_margin_used", "withdrawable"],
    "funding": ["usdc", "szi"],
    "ledger": ["usdc"],
    "orders": ["sz", "orig_sz"],
}
SHIFTED = {"account": "ts", "positions": "ts"}  # the sub-account's snapshots come 2 s later in the round


def sub_account_select(name: str, qualified: str) -> str:
    """A sub-account that is the main one at a quarter of the size, snapshotting 2 s later, same trade ids."""
    repl = [f"toLowCardinality('{SUB}') AS account"] + [f"{c} * {K} AS {c}" for c in SCALED[name]]
    if name in SHIFTED:
        repl.append(f"{SHIFTED[name]} + toIntervalSecond(2) AS {SHIFTED[name]}")
    return f"SELECT * REPLACE ({', '.join(repl)}) FROM {qualified}"


def add_sub_account(writer: Any, tm: config.TableMap) -> None:
    """Add the scaled sub-account's rows to every account-bearing table of `tm` (the main one's are there)."""
    for name in SCALED:
        writer.command(
            f"INSERT INTO {tm.qualified(name)} {sub_account_select(name, tm.qualified(name))}",
            settings={"optimize_on_insert": 0},
        )


def table_map_for(prefix: str) -> config.TableMap:
    return config.table_map(
        {
            name: f"{prefix}_{'logs' if name == 'targets' else 'bn' if name == 'klines' else 'mon'}.{tbl}"
            for name, (_db, tbl) in config.DEFAULT_TABLES.items()
        }
    )


def fixture_client(desk_url: str, prefix: str) -> DeskClient:
    tm = table_map_for(prefix)
    overrides = {name: tm.qualified(name) for name in tm.tables}
    return DeskClient(ClientSettings(primary=endpoint_from_url(desk_url), table_overrides=overrides))


def create_tables(writer: Any, prefix: str, types: dict[str, str] | None = None) -> config.TableMap:
    """Create the contract's tables under `prefix`; `types` drifts columns, {"account.ts": "DateTime"}.

    A drifted column keeps its place and name and gets the given ClickHouse type,
    the way a remote created by hand (or by an older ingestion) might have it.
    """
    tm = table_map_for(prefix)
    for db in tm.databases():
        writer.command(f"DROP DATABASE IF EXISTS `{db}`")
    pending = dict(types or {})
    for stmt in contract.statements(tm):
        for key, new_type in list(pending.items()):
            name, column = key.split(".")
            if re.match(rf"CREATE TABLE IF NOT EXISTS {re.escape(tm.qualified(name))}\s", stmt):
                stmt, n = re.subn(
                    rf"(\n\s*{re.escape(column)}\s+)[^\n]*?(,?)[ \t]*\n",
                    lambda m, t=new_type: f"{m.group(1)}{t}{m.group(2)}\n",
                    stmt,
                    count=1,
                )
                if n != 1:
                    raise ValueError(f"no column {key} in the contract")
                del pending[key]
                if "Nullable" in new_type and "allow_nullable_key" not in stmt:  # a Nullable sorting-key column
                    stmt += "\nSETTINGS allow_nullable_key = 1"
        writer.command(stmt)
    if pending:
        raise ValueError(f"unknown tables in {sorted(pending)}")
    return tm


def t(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class TimelineFixture:
    """Three holdings days at 02:00 UTC with every awkward case the timeline must survive."""

    days: tuple[date, ...] = (date(2025, 3, 10), date(2025, 3, 11), date(2025, 3, 12))
    hour: int = 2
    trades: list[list] = field(default_factory=list)
    account: list[list] = field(default_factory=list)
    klines: list[list] = field(default_factory=list)
    targets: list[list] = field(default_factory=list)

    def build(self) -> TimelineFixture:
        acct = "0xfixture"
        tid = iter(range(1000, 2000))

        def fill(ts, coin, side, px, sz, start_pos, dup=False):
            row = [
                ts,
                acct,
                coin,
                side,
                px,
                sz,
                start_pos,
                "x",
                0.0,
                abs(px * sz) * 0.00045,
                "USDC",
                next(tid),
                0,
                None,
                True,
                "0xh",
                ts + timedelta(seconds=1),
                ts + timedelta(seconds=30),
            ]
            row[12] = row[11]  # tid = oid
            self.trades.append(row)
            if dup:  # the sync delivered it twice: same key, later synced_at
                copy = list(row)
                copy[17] = row[17] + timedelta(minutes=5)
                self.trades.append(copy)

        # AAA: bought on day 1 (duplicated fill), added on day 2 in two fills at the same millisecond.
        fill(t(2025, 3, 10, 0, 1), "AAA", "B", 10.0, 100.0, 0.0, dup=True)
        fill(t(2025, 3, 11, 0, 1, 5), "AAA", "B", 11.0, 20.0, 100.0)
        fill(t(2025, 3, 11, 0, 1, 5), "AAA", "B", 11.0, 30.0, 120.0)
        # BBB: short since before the range; its price is missing on day 2.
        fill(t(2025, 3, 1, 0, 1), "BBB", "A", 50.0, 40.0, 0.0)
        # DDD: held, never in the targets -> EXTRA; closed on day 3 after the snapshot hour
        fill(t(2025, 3, 9, 0, 2), "DDD", "B", 2.0, 500.0, 0.0)
        fill(t(2025, 3, 12, 5, 0), "DDD", "A", 2.0, 500.0, 500.0)
        # kPEPE: priced from 1000PEPEUSDT
        fill(t(2025, 3, 10, 0, 2), "kPEPE", "B", 0.008, 100000.0, 0.0)
        # EEE: held, but its candle says price 0 on day 1 -> unpriced, not zero
        fill(t(2025, 3, 9, 0, 3), "EEE", "B", 1.0, 100.0, 0.0)
        # FFF: flipped long -> short within one hour on day 3 (before the snapshot)
        fill(t(2025, 3, 12, 1, 10), "FFF", "B", 5.0, 10.0, 0.0)
        fill(t(2025, 3, 12, 1, 40), "FFF", "A", 5.0, 30.0, 10.0)
        # a fill AFTER the snapshot hour on day 1 must not count for day 1
        fill(t(2025, 3, 10, 3, 0), "AAA", "A", 10.0, 1.0, 100.0)
        fill(t(2025, 3, 10, 3, 1), "AAA", "B", 10.0, 1.0, 99.0)

        prices = {
            "AAAUSDT": 10.0,
            "BBBUSDT": 50.0,
            "DDDUSDT": 2.0,
            "1000PEPEUSDT": 0.008,
            "EEEUSDT": 1.0,
            "FFFUSDT": 5.0,
            "CCCUSDT": 3.0,
        }
        for d in list(self.days) + [self.days[-1] + timedelta(days=1)]:
            for i, (sym, px) in enumerate(prices.items()):
                close = px * (1 + 0.01 * (d.day - 9)) + 0.001 * i
                if sym == "BBBUSDT" and d == self.days[1]:
                    continue  # missing candle
                if sym == "EEEUSDT" and d == self.days[0]:
                    close = 0.0  # bad price
                ts = datetime(d.year, d.month, d.day, self.hour, tzinfo=UTC)
                self.klines.append([ts, sym, close, close, close, close, 1.0])
                if sym == "AAAUSDT":  # a duplicated candle
                    self.klines.append([ts, sym, close, close, close, close, 1.0])
                # neighbouring hours exist too, to catch an off-by-one-hour join
                for dh in (-1, 1):
                    self.klines.append([ts + timedelta(hours=dh), sym, close * 1.5, close, close, close * 1.5, 1.0])

        # equity: snapshots every 30 minutes; day 3 ends with a zero-equity snapshot before its snapshot hour
        ts = t(2025, 3, 9, 0, 0)
        while ts < t(2025, 3, 13, 6, 0):
            value = 10_000.0 + (ts - t(2025, 3, 9)).total_seconds() / 3600.0
            if t(2025, 3, 12, 2, 30) <= ts < t(2025, 3, 12, 3, 0):
                value = 0.0
            self.account.append([ts, acct, value, None, None, None, ts, ts])
            ts += timedelta(minutes=30)
        self.account.append(list(self.account[10]))  # a duplicated snapshot

        # targets: dated D-2 for each holdings day, with a duplicated row
        for d in self.days:
            sig = d - timedelta(days=2)
            self.targets += [
                [sig, "AAA", 0.10],
                [sig, "BBB", -0.20],
                [sig, "CCC", 0.05],
                [sig, "kPEPE", 0.0805],
                [sig, "EEE", 0.01],
                [sig, "FFF", -0.015],
            ]
            t1 = d - timedelta(days=1)
            self.targets += [[t1, "AAA", 0.12], [t1, "CCC", 0.0], [t1, "DDD", 0.1]]
        self.targets.append([self.days[0] - timedelta(days=2), "AAA", 0.10])
        # dedupe identical target rows for our own bookkeeping is done in expected()
        return self

    def insert(self, writer: Any, tm: config.TableMap) -> None:
        writer.insert(tm.qualified("trades"), self.trades, column_names=TRADE_COLS)
        writer.insert(tm.qualified("account"), self.account, column_names=ACCOUNT_COLS)
        writer.insert(tm.qualified("klines"), self.klines, column_names=KLINE_COLS)
        writer.insert(tm.qualified("targets"), self.targets, column_names=TARGET_COLS)

    # ----------------------------------------------------- independent truth

    def expected(self) -> dict[tuple[date, str], dict]:
        """The timeline computed in plain Python, straight from the row lists."""
        fills = {}
        for r in self.trades:
            fills[(r[1], r[12])] = r  # de-duplicate on (account, tid)
        fills = sorted(fills.values(), key=lambda r: (r[0], r[12]))
        candles = {(r[1], r[0]): r[5] for r in self.klines}
        targets = {(r[0], r[1]): r[2] for r in self.targets}
        mapping = {"kPEPE": "1000PEPEUSDT"}
        out = {}
        for d in self.days:
            h = datetime(d.year, d.month, d.day, self.hour, tzinfo=UTC)
            h_end = h + timedelta(hours=1)
            pos: dict[str, float] = {}
            for r in fills:
                if r[0] < h_end:
                    pos[r[2]] = r[6] + (r[5] if r[3] == "B" else -r[5])
            snaps = [r for r in self.account if r[0] < h_end and r[0] >= h - timedelta(days=7) and r[2] is not None]
            equity = max(snaps, key=lambda r: r[0])[2] if snaps else None
            coins = set(pos) | {s for (dd, s) in targets if dd == d - timedelta(days=2)}
            for coin in coins:
                units = pos.get(coin, 0.0)
                t2 = targets.get((d - timedelta(days=2), coin))
                if t2 is None and units == 0:
                    continue
                sym = mapping.get(coin, coin + "USDT")
                px = candles.get((sym, h))
                px = px if px is not None and px > 0 else None
                if units == 0:
                    w = 0.0
                elif px is None or equity is None or equity <= 0:
                    w = None
                else:
                    w = units * px / equity
                out[(d, coin)] = {
                    "pos_units": units,
                    "bn_px": px,
                    "equity_usd": equity,
                    "actual_weight": w,
                    "weight_t2": t2,
                    "weight_t1": targets.get((d - timedelta(days=1), coin)),
                }
        return out
