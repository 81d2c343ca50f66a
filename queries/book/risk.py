"""How close the book is to trouble: margin, leverage, withdrawable, liquidation distance.

From the exchange's own account and positions snapshots. Every ratio is computed in SQL and is
NULL (shown as missing) when an input is missing or the equity is not positive: a zero-margin
account has margin 0 % (a real value), an account without a margin figure has none.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from lib import config
from lib.book import symbols
from queries.engine import newest
from queries.engine.run import run, run_recent
from queries.engine.scope import Recent, cached

ROUND_MS = int(config.SNAPSHOT_ROUND_S * 1000)
ACCOUNT_LOOKBACK_H = 26  # latest_account_risk reads the snapshots of the 26 h before the newest (the 24 h trend)
EQUITY_LOOKBACK_H = 48  # position_risk's equity: the account snapshot nearest before, in the 2 days before the round

# Per account snapshot: the ratios a risk manager reads (NULL when the equity is not positive).
_RATIOS = """
    if(equity > 0, margin_used / equity, NULL) AS margin_pct,
    if(equity > 0, total_ntl / equity, NULL) AS leverage
"""


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def latest_account_risk() -> pl.DataFrame:
    """The newest account snapshot per account, and the one about 24 h before it (for the trend).

    One row per account: ts, equity, margin_used, total_ntl, withdrawable, margin_pct, leverage,
    and the same ratios 24 h earlier (prev_*; NULL when there is no snapshot 23-25 h before).
    """
    return run_recent(
        newest.pasted(
            f"""
        WITH
            __NEWEST_ACCOUNT_TS__ AS newest,
            snaps AS
            (
                SELECT account, ts,
                       if(isFinite(account_value), account_value, NULL) AS equity,
                       if(isFinite(total_margin_used), total_margin_used, NULL) AS margin_used,
                       if(isFinite(total_ntl_pos), total_ntl_pos, NULL) AS total_ntl,
                       if(isFinite(withdrawable), withdrawable, NULL) AS withdrawable
                FROM {{account_db:Identifier}}.{{account_tbl:Identifier}}
                WHERE ts >= newest - toIntervalHour({{lookback_h:UInt16}}) AND ts <= newest
                ORDER BY synced_at DESC
                LIMIT 1 BY account, ts
            ),
            ratios AS (SELECT *, {_RATIOS} FROM snaps),
            now_rows AS (SELECT * FROM ratios ORDER BY ts DESC LIMIT 1 BY account),
            prev_rows AS
            (
                SELECT r.account AS account, argMin(r.margin_pct, abs(dateDiff('second', r.ts, n.ts) - 86400)) AS prev_margin_pct,
                       argMin(r.leverage, abs(dateDiff('second', r.ts, n.ts) - 86400)) AS prev_leverage,
                       argMin(r.ts, abs(dateDiff('second', r.ts, n.ts) - 86400)) AS prev_ts
                FROM ratios AS r
                INNER JOIN now_rows AS n ON n.account = r.account
                WHERE r.ts BETWEEN n.ts - toIntervalHour(25) AND n.ts - toIntervalHour(23)
                GROUP BY r.account
            )
        SELECT toDateTime64(n.ts, 3, 'UTC') AS ts, n.account AS account, n.equity AS equity,
               n.margin_used AS margin_used, n.total_ntl AS total_ntl, n.withdrawable AS withdrawable,
               n.margin_pct AS margin_pct, n.leverage AS leverage,
               toDateTime64(p.prev_ts, 3, 'UTC') AS prev_ts, p.prev_margin_pct AS prev_margin_pct,
               p.prev_leverage AS prev_leverage
        FROM now_rows AS n
        LEFT JOIN prev_rows AS p ON p.account = n.account
        ORDER BY account
        """
        ),
        lookback_h=ACCOUNT_LOOKBACK_H,
        recent=Recent(newest_account=timedelta(hours=ACCOUNT_LOOKBACK_H)),
        **newest.SKEW,
    )


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def account_risk_series(start: date, end: date, bucket_s: int = 86400) -> pl.DataFrame:
    """Per hour (3600) or UTC day (86400) of [start, end]: the bucket's last snapshot, summed over accounts.

    Columns: bucket, ts, equity, margin_used, total_ntl, withdrawable, margin_pct, leverage, n_accounts.
    A sum is NULL when any account's value is missing in that bucket (a partial sum would mislead).
    """
    if int(bucket_s) not in (3600, 86400):
        raise ValueError(f"bucket_s must be 3600 or 86400, not {bucket_s!r}")
    return run(
        f"""
        WITH snaps AS
            (
                SELECT account, ts,
                       toStartOfInterval(toDateTime(ts, 'UTC'), toIntervalSecond({{bucket_s:UInt32}})) AS bucket,
                       if(isFinite(account_value), account_value, NULL) AS equity,
                       if(isFinite(total_margin_used), total_margin_used, NULL) AS margin_used,
                       if(isFinite(total_ntl_pos), total_ntl_pos, NULL) AS total_ntl,
                       if(isFinite(withdrawable), withdrawable, NULL) AS withdrawable
                FROM {{account_db:Identifier}}.{{account_tbl:Identifier}}
                WHERE ts >= toDateTime64(toDateTime({{start:Date}}, 'UTC'), 3, 'UTC')
                  AND ts < toDateTime64(toDateTime({{end:Date}}, 'UTC') + toIntervalDay(1), 3, 'UTC')
                ORDER BY synced_at DESC
                LIMIT 1 BY account, ts
            ),
            last_rows AS
            (
                SELECT bucket, account, max(ts) AS last_ts,
                       argMax(tuple(equity, margin_used, total_ntl, withdrawable), ts) AS v
                FROM snaps
                GROUP BY bucket, account
            ),
            summed AS
            (
                SELECT bucket, max(last_ts) AS ts, count() AS n_accounts,
                       if(countIf(v.1 IS NULL) > 0, NULL, sum(v.1)) AS equity,
                       if(countIf(v.2 IS NULL) > 0, NULL, sum(v.2)) AS margin_used,
                       if(countIf(v.3 IS NULL) > 0, NULL, sum(v.3)) AS total_ntl,
                       if(countIf(v.4 IS NULL) > 0, NULL, sum(v.4)) AS withdrawable
                FROM last_rows
                GROUP BY bucket
            )
        SELECT toDateTime64(bucket, 0, 'UTC') AS bucket, toDateTime64(ts, 3, 'UTC') AS ts,
               equity, margin_used, total_ntl, withdrawable, {_RATIOS}, n_accounts
        FROM summed
        ORDER BY bucket
        """,
        start=start,
        end=end,
        bucket_s=int(bucket_s),
    )


@cached(ttl=config.TTL_LIVE, max_entries=4, show_spinner=False)
def position_risk() -> pl.DataFrame:
    """Every position of the newest positions round, with its liquidation distance and price check.

    Per (account, coin) of the round (the rows within SNAPSHOT_ROUND_S of the account's newest row,
    each coin's newest): szi, side, position_value, mark (= position_value / |szi|), entry_px,
    unrealized_pnl, leverage, margin_used, liquidation_px, equity (the account's snapshot nearest
    before; with all accounts, the desk's summed equity), notional_pct (position_value / equity) and
      liq_distance_pct  how far the mark may move against the position before liquidation, in %
                        of the mark: (mark - liq) / mark for a long, (liq - mark) / mark for a
                        short. NULL when the exchange reports no liquidation price.
      bn_close          the Binance close of the round's hour through the symbol map (x multiplier)
      divergence_bp     (mark / bn_close - 1) x 10^4; NULL without a candle.
    Nearest to liquidation first (positions without a liquidation price last).
    """
    return run_recent(
        newest.pasted(
            """
        WITH
            __NEWEST_POSITIONS_TS__ AS newest,
            rows AS
            (
                SELECT account, ts, coin, szi, position_value, entry_px, unrealized_pnl, leverage,
                       liquidation_px, margin_used
                FROM {positions_db:Identifier}.{positions_tbl:Identifier}
                WHERE ts >= newest - toIntervalDay(1) AND ts <= newest
                ORDER BY synced_at DESC
                LIMIT 1 BY account, ts, coin
            ),
            newest_per_account AS (SELECT account, max(ts) AS round_ts FROM rows GROUP BY account),
            round_rows AS
            (
                SELECT r.account AS account, r.coin AS coin, max(r.ts) AS ts,
                       argMax(tuple(r.szi, r.position_value, r.entry_px, r.unrealized_pnl, r.leverage,
                                    r.liquidation_px, r.margin_used), r.ts) AS v
                FROM rows AS r
                INNER JOIN newest_per_account AS n ON n.account = r.account
                WHERE r.ts >= n.round_ts - toIntervalMillisecond({round_ms:UInt32})
                GROUP BY r.account, r.coin
                HAVING v.1 != 0
            ),
            valued AS
            (
                SELECT account, coin, ts, v.1 AS szi, v.2 AS position_value, v.3 AS entry_px, v.4 AS unrealized_pnl,
                       v.5 AS leverage, if(v.6 > 0 AND isFinite(v.6), v.6, NULL) AS liquidation_px, v.7 AS margin_used,
                       if(isFinite(v.2) AND v.2 IS NOT NULL, abs(v.2) / abs(v.1), NULL) AS mark,
                       transform(coin, {map_coins:Array(String)}, {map_symbols:Array(String)}, concat(coin, 'USDT')) AS bn_symbol,
                       transform(coin, {map_coins:Array(String)}, {map_mult:Array(Float64)}, 1.0) AS px_mult,
                       toDateTime(toStartOfHour(ts), 'UTC') AS hour
                FROM round_rows
            ),
            candles AS
            (
                SELECT symbol, open_time, close
                FROM {klines_db:Identifier}.{klines_tbl:Identifier}
                WHERE open_time >= toStartOfHour(toDateTime(newest, 'UTC')) - toIntervalDay(1)
                  AND open_time <= toDateTime(newest, 'UTC')
                LIMIT 1 BY symbol, open_time
            ),
            equity AS
            (
                SELECT account, ts, account_value
                FROM {account_db:Identifier}.{account_tbl:Identifier}
                WHERE ts >= newest - toIntervalHour({equity_lookback_h:UInt16}) AND ts <= newest
                  AND account_value IS NOT NULL AND isFinite(account_value)
            ),
            -- with "all accounts" the equity is the desk's summed one (account 'all', queries/engine/scope.py)
            (SELECT groupUniqArray(account) FROM equity) AS equity_accounts
        SELECT
            p.account AS account, p.coin AS coin, toDateTime64(p.ts, 3, 'UTC') AS ts,
            p.szi AS szi, if(p.szi > 0, 'long', 'short') AS side, p.position_value AS position_value,
            p.mark AS mark, p.entry_px AS entry_px, p.unrealized_pnl AS unrealized_pnl, p.leverage AS leverage,
            p.margin_used AS margin_used, p.liquidation_px AS liquidation_px,
            if(p.mark > 0 AND p.liquidation_px IS NOT NULL,
               100 * if(p.szi > 0, p.mark - p.liquidation_px, p.liquidation_px - p.mark) / p.mark, NULL) AS liq_distance_pct,
            e.account_value AS equity,
            if(e.account_value > 0, abs(p.position_value) / e.account_value, NULL) AS notional_pct,
            p.bn_symbol AS bn_symbol,
            if(isFinite(k.close) AND k.close > 0, k.close * p.px_mult, NULL) AS bn_close,
            if(p.mark > 0 AND bn_close > 0, 10000 * (p.mark / bn_close - 1), NULL) AS divergence_bp
        FROM (SELECT *, if(has(equity_accounts, account), account, 'all') AS book FROM valued) AS p
        ASOF LEFT JOIN equity AS e ON e.account = p.book AND p.ts >= e.ts
        LEFT JOIN candles AS k ON k.symbol = p.bn_symbol AND k.open_time = p.hour
        ORDER BY liq_distance_pct IS NULL, liq_distance_pct, abs(p.position_value) DESC, p.coin
        """
        ),
        round_ms=ROUND_MS,
        equity_lookback_h=EQUITY_LOOKBACK_H,
        recent=Recent(newest_positions=timedelta(hours=EQUITY_LOOKBACK_H)),
        **newest.SKEW,
        **symbols.sql_params(),
    )
