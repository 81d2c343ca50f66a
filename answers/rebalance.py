"""The rebalance desk's numbers, loaded once for every surface: the trades-to-target ticket, today's rebalance
to completion and the pre-trade checks of the next targets.

Each function loads its frames with the pages' own query functions and hands them to lib/rebalance; the
Positions page, the Overview and Trades panels, `python -m cli ticket|preflight`, the daily report and the
alert rules all call these, so they show the same numbers. A ClickHouse failure raises
`lib.clickhouse.errors.QueryFailed` (the caller shows it); the exchange metadata table may be missing on a
remote, which the ticket and the checks say instead of failing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import polars as pl

from answers import book
from lib import clock, config
from lib.clickhouse.errors import QueryFailed
from lib.rebalance import completion as completions
from lib.rebalance import preflight as preflights
from lib.rebalance import ticket as tickets
from queries.book import orders, risk, trades
from queries.health import health
from queries.rebalance import inputs, progress
from queries.tracking import tracking_error

UTC = UTC


def optional(fn: Callable[..., pl.DataFrame], *args: Any, what: str) -> tuple[pl.DataFrame | None, str | None]:
    """(frame, None), or (None, why) when the table is missing on this ClickHouse (other failures raise)."""
    try:
        return fn(*args), None
    except QueryFailed as err:
        if err.kind != "missing_table":
            raise
        return None, f"{what} not available on this ClickHouse ({err.detail})"


def today_of(desk_clock: clock.DeskClock) -> date:
    """The data's UTC day: the holdings day whose rebalance is today's."""
    return desk_clock.now.date()


def equity_now() -> float | None:
    """The newest account value, summed over the accounts in scope (`answers.book.account_risk_now`, the one
    definition Overview's risk panel shows); None without a snapshot."""
    return book.account_risk_now().get("equity")


def costs(today: date) -> tuple[float | None, dict[str, tuple[float | None, int]], float | None]:
    """The desk's own recent costs over COST_LOOKBACK_DAYS UTC days to `today`: its fee rate (bp of
    notional, `fills_summary`), each coin's median slippage and fill count (`coin_execution`) and the
    book's median slippage (bp, positive = worse)."""
    start = today - timedelta(days=config.COST_LOOKBACK_DAYS - 1)
    summary = trades.fills_summary(start, today)
    row = summary.row(0, named=True) if summary.height else {}
    by_coin = trades.coin_execution(start, today)
    per_coin = {
        str(r["coin"]): (r["median_slippage_bps"], int(r["n_fills"] or 0))
        for r in by_coin.select("coin", "median_slippage_bps", "n_fills").iter_rows(named=True)
    }
    return row.get("fee_bps"), per_coin, row.get("median_slippage_bps")


def ticket(which: str, desk_clock: clock.DeskClock) -> tickets.Ticket:
    """The trades that bring the newest positions round to target set `which` (today's D−2 or the next
    rebalance's D−1 targets), sized at the newest equity, costed at the desk's own recent rates."""
    today = today_of(desk_clock)
    return ticket_for(tickets.target_date(which, today), tickets.trade_day(which, today), which, desk_clock)


def ticket_for(day: date, when: date, which: str, desk_clock: clock.DeskClock) -> tickets.Ticket:
    """The ticket for the targets dated `day` (traded at `when`'s 00:00 UTC), at the data's now."""
    targets = inputs.targets_on(day)
    book = tickets.book_by_coin(risk.position_risk())
    equity = equity_now()
    coins = tuple(sorted(set(targets["sym"].to_list()) | set(book["coin"].to_list())))
    prices = inputs.newest_closes(coins, desk_clock.now) if coins else pl.DataFrame()
    meta, meta_note = optional(inputs.asset_meta, what="exchange metadata (hyperliquid.asset_meta)")
    fee_bps, slippage, book_slippage = costs(today_of(desk_clock))
    return tickets.build(
        which,
        day,
        when,
        targets,
        book,
        equity,
        prices if prices.height else pl.DataFrame(schema={"coin": pl.String, "price": pl.Float64, "close_ts": None}),
        meta,
        fee_bps,
        slippage,
        book_slippage,
        desk_clock.now,
        meta_note,
    )


def completion(day: date, desk_clock: clock.DeskClock) -> completions.Completion:
    """The 00:00 UTC rebalance of holdings day `day`, as of the data's now (at most the day's end): the
    required change (the D−2 targets vs the pre-rebalance snapshot of `queries.tracking.tracking_error.
    timeline`), its fills and orders since 00:00, fees and slippage (`queries.book.trades.daily_execution`)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    measured_at = max(min(desk_clock.now, start + timedelta(days=1)), start)  # a future day: nothing yet
    pre = tracking_error.timeline(day, day, config.PRE_REBALANCE_HOUR)
    steps = progress.rebalance_steps(day, measured_at)
    order_rows = orders.orders_by_coin(start, max(measured_at, start + timedelta(milliseconds=1)))
    day_exec = trades.daily_execution(day, day)
    row = day_exec.filter(pl.col("day") == day).row(0, named=True) if day_exec.height else None
    newest = health.newest_kline()
    candle = clock.aware(newest.item(0, "newest")) if newest.height else None
    return completions.build(day, measured_at, pre, steps, order_rows, row, candle)


def next_target_date(desk_clock: clock.DeskClock) -> date:
    """The date of the next rebalance's targets (D−1 on the data's day D)."""
    return tickets.target_date(tickets.NEXT, today_of(desk_clock))


def preflight(target_date: date, desk_clock: clock.DeskClock) -> preflights.Preflight:
    """Every pre-trade check of the targets dated `target_date` (traded two days later at 00:00 UTC), on the
    data of now: the ticket for them on the newest book, the exchange metadata, the newest prices, and the
    targets of the date before (the "current" ones)."""
    when = target_date + timedelta(days=config.T_PLUS_TARGET)
    targets = inputs.targets_on(target_date)
    current = inputs.targets_on(target_date - timedelta(days=1))
    meta, meta_note = optional(inputs.asset_meta, what="exchange metadata (hyperliquid.asset_meta)")
    syms = tuple(sorted(targets["sym"].to_list()))
    prices = inputs.newest_closes(syms, desk_clock.now) if syms else pl.DataFrame()
    which = tickets.NEXT if when > today_of(desk_clock) else tickets.TODAY
    plan = ticket_for(target_date, when, which, desk_clock)
    book = tickets.book_by_coin(risk.position_risk())
    return preflights.run(target_date, when, targets, current, meta, meta_note, prices, plan, book, desk_clock.now)
