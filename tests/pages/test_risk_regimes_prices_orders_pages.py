"""The risk, regime, price and orders panels on the demo desk (AppTest), checked against the demo tables read directly:
Overview risk and PnL windows/regimes, the Positions risk table and price flag, System Health prices,
the Trades orders tab."""

from __future__ import annotations

import json

import pytest

from lib import config
from lib import format as fmt

pytestmark = pytest.mark.shared_caches  # reads the demo desk as it is (tests/conftest.py, app)

RANGE = {"from": "2025-11-20", "to": "2025-12-15"}
ACCOUNT = "(SELECT * FROM maicro_monitors.account_snapshots LIMIT 1 BY account, ts)"
FILLS = "(SELECT * FROM maicro_monitors.trades LIMIT 1 BY account, tid)"
ORDERS = "(SELECT * FROM maicro_monitors.orders LIMIT 1 BY account, oid, status)"


def _ok(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not at.main.error, [e.value for e in at.main.error]


def _metric(at, label):
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}; have {[m.label for m in at.metric]}"
    return found[0].value


def _frame(at, column):
    frames = [d.value for d in at.dataframe if column in d.value.columns]
    assert frames, f"no table with a {column!r} column"
    return frames[0]


def _scalar(engine, sql):
    return engine.query(sql).result_rows[0][0]


def test_overview_risk_and_regimes(app, desk_client):
    at = app("pages/overview.py", query={**RANGE, "section": "regimes"})
    _ok(at)
    margin, equity = desk_client.query(
        f"SELECT total_margin_used, account_value FROM {ACCOUNT} ORDER BY ts DESC LIMIT 1"
    ).result_rows[0]
    assert _metric(at, "Margin used") == f"{margin / equity * 100:.1f}%"
    assert _metric(at, "Leverage").endswith("x")
    subheaders = [s.value for s in at.subheader]
    assert "Risk" in subheaders and "PnL windows and market regimes" in subheaders
    regimes = _frame(at, "dimension")
    assert set(regimes["dimension"]) == {"trend", "volatility", "trend / vol"}
    assert (regimes["thin"] == (regimes["n_hours"] < config.REGIME_THIN_HOURS)).all()
    # the trend buckets cover every interval once: their PnL adds up to the hour-of-day total
    window = _frame(at, "label")
    window = window[window["label"].str.startswith(("rebalance", "rest"))]
    assert len(window) == 2
    trend = regimes[regimes["dimension"] == "trend"]
    assert trend["pnl"].sum() == pytest.approx(window["pnl"].sum(), rel=1e-9)
    # every fee of the 00:00-00:05 burst lands in the rebalance interval (snapshots every 5 minutes)
    burst_fees = _scalar(
        desk_client,
        f"SELECT sum(fee) FROM {FILLS} WHERE time >= '2025-11-20' AND time < '2025-12-16'"
        " AND toHour(time) = 0 AND toMinute(time) < 5",
    )
    rebalance = window[window["label"].str.startswith("rebalance")]
    assert float(rebalance["fees"].iloc[0]) == pytest.approx(-burst_fees, rel=1e-9)  # a cost: negative
    # funding + fees is headed as what it is: with funding received it is positive, which "Costs" misread
    shown = next(df for df in at.dataframe if "dimension" in df.value.columns)
    columns = json.loads(shown.proto.columns)
    assert columns["costs"]["label"] == "Funding + fees"
    # whole dollars leave the bucket its width: "unknown / unknown" was cut at 1280 px beside cents
    assert columns["label"]["width"] == 140 and columns["pnl"]["type_config"]["step"] == 1


def test_positions_risk_table_and_price_flag(app, desk_client):
    at = app("pages/positions.py")
    _ok(at)
    table = _frame(at, "liq_distance_pct")
    newest = desk_client.query(
        "SELECT count() FROM (SELECT coin FROM maicro_monitors.positions_snapshots WHERE ts >= "
        f"(SELECT max(ts) FROM maicro_monitors.positions_snapshots) - toIntervalSecond({config.SNAPSHOT_ROUND_S}) "
        "AND szi != 0 GROUP BY account, coin)"
    ).result_rows[0][0]
    assert len(table) == newest
    flagged = sorted(table[table["divergence_bp"].abs() > config.PRICE_DIVERGENCE_BP]["coin"])
    warning = [w.value for w in at.main.warning if "Price check" in w.value]
    if flagged:
        assert warning and all(c in warning[0] for c in flagged)
    else:
        assert not warning
    distances = table["liq_distance_pct"].dropna()
    assert list(distances) == sorted(distances)


def test_system_health_prices_panel(app, desk_client):
    at = app("pages/system_health.py", query={"every": "0", "section": "prices"})
    _ok(at)
    assert [t.label for t in at.tabs][1].startswith("Prices · ")
    coins = _frame(at, "drift_bp")
    assert _metric(at, "Coins diverging") == f"{int((coins['n_flagged'] > 0).sum())} of {len(coins)}"
    problems = _frame(at, "problem")
    # DOT's last candles repeat one close in the demo (a stuck feed): listed as stale
    assert any(p == ["stale"] and s == "DOTUSDT" for p, s in zip(problems["problem"], problems["symbol"]))


def test_trades_orders_tab(app, desk_client):
    at = app("pages/trades.py", query=RANGE)
    at.session_state["tr_tab"] = "Orders"
    at.run()
    _ok(at)
    n_orders = _scalar(
        desk_client,
        f"SELECT count() FROM (SELECT account, oid, min(time) AS placed FROM {ORDERS} "
        "GROUP BY account, oid) WHERE placed >= '2025-11-20' AND placed < '2025-12-16'",
    )
    assert _metric(at, "Orders") == f"{n_orders:,}"
    outcomes = _frame(at, "n_never_filled")
    assert int(outcomes["n_orders"].sum()) == n_orders
    assert any("Reject reasons: not in the data" in c.value for c in at.caption)
    assert any("HTTP 429" in c.value for c in at.caption)


def test_overview_trend_band_from_the_url_and_refused_garbage(app, desk_client):
    at = app("pages/overview.py", query={**RANGE, "trend": "5", "section": "regimes"})
    _ok(at)
    assert at.number_input(key="ov_trend_band").value == 5.0
    assert any("up above +5.0%, down below −5.0%" in c.value for c in at.caption)
    wide = _frame(at, "dimension")
    at = app(
        None, query={**RANGE, "trend": "1e9", "section": "regimes"}
    )  # the default page (Overview), one run: the warning shows
    _ok(at)
    assert any("Ignored URL parameter `trend`" in w.value for w in at.main.warning)
    default = _frame(at, "dimension")
    flat = lambda f: int(f[(f["dimension"] == "trend") & (f["label"] == "flat")]["n_hours"].sum())  # noqa: E731
    assert flat(wide) >= flat(default)  # a wider band calls more hours flat


def _grid(at, column):
    """(frame, column_config, column_order) of the first table with `column`."""
    for d in at.dataframe:
        if column in d.value.columns:
            return d.value, json.loads(d.proto.columns), list(d.proto.column_order)
    raise AssertionError(f"no table with a {column!r} column")


def test_orders_read_in_the_desks_words(app, desk_client):
    at = app("pages/trades.py", query=RANGE)
    at.session_state["tr_tab"] = "Orders"
    at.run()
    _ok(at)
    frame, config, order = _grid(at, "final_status")  # never filled in the window
    n_sell = _scalar(
        desk_client,
        f"SELECT countIf(side = 'A') FROM (SELECT account, oid, any(side) AS side, min(time) AS placed "
        f"FROM {ORDERS} GROUP BY account, oid) WHERE placed >= '2025-11-20' AND placed < '2025-12-16'",
    )
    assert set(frame["side"]) <= {"Buy", "Sell"} and n_sell > 0  # never B / A
    labels = {c: config[c]["label"] for c in ("orig_sz", "limit_px", "final_status", "side")}
    assert labels == {"orig_sz": "Size", "limit_px": "Limit price", "final_status": "Status", "side": "Side"}
    assert config["orig_sz"]["type_config"]["format"] == fmt.GRID_UNITS  # -15,567.9, never -15567.9
    assert order[0] == "placed_at" and config["placed_at"]["pinned"] is True  # the first column pinned
    # prices by magnitude: the frame's limit price is what lib.format.price shows, never 3765.790994
    prices = list(frame["limit_px"].dropna())
    assert prices and all(px == pytest.approx(float(fmt.price(px).replace(",", "")), rel=1e-12) for px in prices)


def test_fills_show_the_columns_that_fit_and_keep_the_rest(app):
    at = app("pages/trades.py", query=RANGE)
    _ok(at)
    frame, config, order = _grid(at, "tid")
    assert order == ["time", "coin", "side", "px", "sz", "notional", "slippage_bps", "closed_pnl", "fee_usd"]
    assert {"tid", "oid", "fee", "fee_token", "ref_px", "crossed"} <= set(frame.columns)  # in Show/hide columns
    assert config["oid"]["label"] == "Order id" and config["tid"]["label"] == "Trade id"
    assert any(c.value.startswith("More columns (Direction, Binance 1h open") for c in at.caption)


def test_fill_fees_are_costs_negative_like_the_fees_total(app, desk_client):
    """One sign for a cost (docs/CONVENTIONS.md): each fill's fee, in its token and in USD, shows as what it does to
    PnL, as the Fees tile and the per-coin table do; the raw rows hold the fee paid (positive, a rebate negative)."""
    at = app("pages/trades.py", query=RANGE)
    _ok(at)
    frame, _config, _order = _grid(at, "tid")
    tids = [int(t) for t in frame["tid"]]
    paid = dict(
        desk_client.query(
            "SELECT tid, any(fee) FROM maicro_monitors.trades WHERE fee_token = 'USDC' AND tid IN {tids:Array(UInt64)} "
            "GROUP BY tid",
            parameters={"tids": tids},
        ).result_rows
    )
    shown = frame[frame["tid"].isin(list(paid))]
    assert len(shown) > 10 and any(v > 0 for v in paid.values())
    for tid, fee, fee_usd in zip(shown["tid"], shown["fee"], shown["fee_usd"]):
        assert fee == pytest.approx(-paid[int(tid)]) and fee_usd == pytest.approx(-paid[int(tid)])
    tile = next(m for m in at.metric if m.label == "Fees")
    assert tile.value.startswith(("−", "-"))  # the window's fees paid, as a cost
