"""What happened at one day's 00:00 rebalance: the fills of the day as they moved each coin's position.

The book going into the rebalance (units, price and equity at 00:00:00, the D−2 targets) is the timeline's
pre-rebalance snapshot (`queries.tracking.tracking_error.timeline(day, day, PRE_REBALANCE_HOUR)`); the orders
behind each coin are `queries.book.orders.orders_by_coin`. lib/rebalance/completion.py does the maths.
"""

from __future__ import annotations

from datetime import date, datetime

import polars as pl

from lib import config
from queries.engine.run import run
from queries.engine.scope import cached


@cached(ttl=config.TTL_INTRADAY, max_entries=config.CACHE_ENTRIES, show_spinner=False)
def rebalance_steps(day: date, until: datetime) -> pl.DataFrame:
    """Each millisecond of the day's fills in [day 00:00, until) that moved a perp position, per coin.

    Columns: `coin, time, d_units` (the signed size of that millisecond's fills, buys positive, summed over
    the accounts read), `notional` (their px x sz, USD) and `n_fills`. Fills are de-duplicated on
    (account, tid), the newest sync winning; spot fills and fills whose price or size is not a positive
    number move no perp position and are left out. In time order.
    """
    return run(
        """
        SELECT toString(coin) AS coin, toDateTime64(time, 3, 'UTC') AS time,
               sum(if(side = 'B', sz, -sz)) AS d_units, sum(px * sz) AS notional, count() AS n_fills
        FROM
        (
            SELECT account, tid, time, coin, side, px, sz
            FROM {trades_db:Identifier}.{trades_tbl:Identifier}
            WHERE time >= toDateTime64(toDateTime({day:Date}, 'UTC'), 3, 'UTC')
              AND time < {until:DateTime64(3, 'UTC')}
            ORDER BY synced_at DESC
            LIMIT 1 BY account, tid
        )
        WHERE NOT (startsWith(coin, '@') OR position(coin, '/') > 0)
          AND isFinite(sz) AND sz > 0 AND isFinite(px) AND px > 0
        GROUP BY coin, time
        ORDER BY time, coin
        """,
        day=day,
        until=until,
    )
