"""ui.trades.charts: valid Plotly specs with the right values, colours, UTC times and gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from lib import format as fmt
from tests.ui.spec_check import assert_valid, trace
from ui.trades import charts

C = fmt.SERIES_COLORS
D1, D2, D3, D4 = date(2025, 12, 5), date(2025, 12, 6), date(2025, 12, 7), date(2025, 12, 8)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _daily(**over) -> pl.DataFrame:
    cols = {
        "day": [D3, D1, D2, D4],  # unsorted on purpose
        "turnover": [0.25, 0.125, None, 0.5],  # D2: equity unknown -> a gap, not 0
        "notional_usd": [250_000.0, 125_000.0, 90_000.0, 500_000.0],
        "n_fills": [40, 20, 12, 60],
        "n_off_window": [0, 3, 0, 9],
    }
    cols.update(over)
    return pl.DataFrame(cols)


def test_daily_activity_turnover_in_percent_with_gaps() -> None:
    spec = charts.daily_activity(_daily())
    assert_valid(spec)
    bars = trace(spec, "Turnover")
    assert bars["type"] == "bar"
    assert bars["x"] == ["2025-12-05", "2025-12-06", "2025-12-07", "2025-12-08"]
    assert bars["y"] == [12.5, None, 25.0, 50.0]
    assert bars["marker"]["color"] == C["turnover"]
    assert bars["customdata"][0] == [fmt.usd(125_000.0), "20 fills"]
    assert "yaxis" not in bars  # the left axis
    lay = spec["layout"]
    assert lay["yaxis"]["ticksuffix"] == "%" and lay["yaxis"]["title"]["text"] == "turnover"
    assert lay["xaxis"]["type"] == "date"
    assert lay["title"]["text"].startswith("Turnover per UTC day")


def test_daily_activity_off_window_days_on_the_right_axis() -> None:
    spec = charts.daily_activity(_daily())
    late = trace(spec, "Off-window fills")
    assert late["x"] == ["2025-12-05", "2025-12-08"] and late["y"] == [3, 9]  # only days with late fills
    assert late["customdata"] == ["3 fills", "9 fills"] and "fill(s)" not in late["hovertemplate"]
    one = trace(charts.daily_activity(_daily(n_fills=[40, 1, 12, 60], n_off_window=[0, 1, 0, 0])), "Off-window fills")
    assert one["customdata"] == ["1 fill"]
    assert trace(charts.daily_activity(_daily(n_fills=[40, 1, 12, 60])), "Turnover")["customdata"][0][1] == "1 fill"
    assert late["yaxis"] == "y2" and late["mode"] == "markers"
    assert late["marker"]["color"] == C["off_window"] and late["marker"]["symbol"] == "diamond"
    axis2 = spec["layout"]["yaxis2"]
    assert axis2["overlaying"] == "y" and axis2["side"] == "right"
    assert axis2["range"] == [0, 9 * 1.15] and axis2["dtick"] == 3 and axis2["tickformat"] == "d"
    assert axis2["showgrid"] is False and axis2["tickmode"] == "linear"  # its own whole-number steps


def test_daily_activity_without_late_fills_keeps_a_unit_axis() -> None:
    spec = charts.daily_activity(_daily(n_off_window=[0, 0, 0, 0]))
    assert_valid(spec)
    late = trace(spec, "Off-window fills")
    assert late["x"] == [] and late["y"] == []
    assert spec["layout"]["yaxis2"]["range"] == [0, 1.15] and spec["layout"]["yaxis2"]["dtick"] == 1


def test_daily_activity_empty_is_a_note() -> None:
    spec = charts.daily_activity(_daily().head(0))
    assert_valid(spec)
    assert spec["data"] == []
    note = spec["layout"]["annotations"][0]
    assert note["text"] == "No fills in this range" and note["showarrow"] is False
    assert spec["layout"]["xaxis"]["visible"] is False and spec["layout"]["yaxis"]["visible"] is False


def _by_coin() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "coin": ["BTC", "ETH", "PURR", "SOL", "kPEPE"],
            "notional_usd": [9e6, 5e6, 4e6, 3e6, 1e6],
            "avg_slippage_bps": [2.5, -1.0, None, 0.0, 7.0],  # PURR: no priced fill -> left out, not 0
            "slippage_usd": [2250.0, -500.0, None, 0.0, 700.0],
            "n_unpriced": [0, 1, 12, 0, 2],
        }
    )


def test_coin_slippage_top_coins_sorted_and_coloured() -> None:
    spec = charts.coin_slippage(_by_coin(), top=3)
    assert_valid(spec)
    (bars,) = spec["data"]
    assert bars["orientation"] == "h"
    # the 3 largest priced coins by notional (BTC, ETH, SOL), sorted by slippage
    assert bars["y"] == ["ETH", "SOL", "BTC"] and bars["x"] == [-1.0, 0.0, 2.5]
    assert bars["marker"]["color"] == [C["buy"], C["buy"], C["sell"]]  # positive = worse = red
    assert bars["customdata"][2] == [fmt.usd(9e6), fmt.usd(2250.0, signed=True), "0 unpriced fills"]
    assert bars["customdata"][0][2] == "1 unpriced fill" and "fill(s)" not in bars["hovertemplate"]
    lay = spec["layout"]
    assert lay["showlegend"] is False and lay["xaxis"]["ticksuffix"] == " bp"
    assert lay["yaxis"]["type"] == "category"
    assert lay["height"] == 280  # max(280, 18 * 3 + 90)
    assert "top 3 coins" in lay["title"]["text"]
    assert charts.coin_slippage(_by_coin(), top=25)["layout"]["height"] == 280


def test_coin_slippage_without_priced_fills_is_a_note() -> None:
    spec = charts.coin_slippage(_by_coin().with_columns(pl.lit(None, pl.Float64).alias("avg_slippage_bps")))
    assert_valid(spec)
    assert spec["data"] == [] and spec["layout"]["annotations"][0]["text"] == "No priced fills in this range"


def _fills() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "time": [_utc(2025, 12, 6, 0, 1, 2, 345_000), _utc(2025, 12, 5, 0, 0, 30), _utc(2025, 12, 6, 7, 0)],
            "side": ["A", "B", "B"],
            "px": [101.0, 99.5, 100.2],
            "sz": [0.5, 2.0, 1.0],
            "notional": [50.5, 199.0, 100.2],
            "slippage_bps": [1.5, None, -0.25],
            "start_position": [2.0, 0.0, 1.5],
            "pos_after": [1.5, 2.0, 2.5],
        }
    ).with_columns(pl.col("time").dt.cast_time_unit("ms"))


def _prices() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "bucket": [_utc(2025, 12, 5, h) for h in range(3)],
            "close": [99.0, None, 100.5],  # a missing candle stays a gap
        }
    )


def test_drilldown_price_fills_and_position_rows() -> None:
    spec = charts.drilldown("BTC", _prices(), _fills(), D1, D2)
    assert_valid(spec)
    price = trace(spec, "Binance close")
    assert price["x"] == ["2025-12-05T00:00:00.000", "2025-12-05T01:00:00.000", "2025-12-05T02:00:00.000"]
    assert price["y"] == [99.0, None, 100.5] and price["line"]["color"] == C["price"]
    assert "xaxis" not in price and "yaxis" not in price  # top row
    buy, sell = trace(spec, "Buy"), trace(spec, "Sell")
    assert buy["x"] == ["2025-12-05T00:00:30.000", "2025-12-06T07:00:00.000"] and buy["y"] == [99.5, 100.2]
    assert sell["x"] == ["2025-12-06T00:01:02.345"] and sell["y"] == [101.0]
    assert buy["marker"]["color"] == C["buy"] and buy["marker"]["symbol"] == "triangle-up"
    assert sell["marker"]["color"] == C["sell"] and sell["marker"]["symbol"] == "triangle-down"
    assert buy["customdata"][0] == [fmt.units(2.0), fmt.usd(199.0), fmt.bps(None)]
    assert sell["customdata"][0] == [fmt.units(0.5), fmt.usd(50.5), fmt.bps(1.5)]
    pos = trace(spec, "Position")
    assert pos["xaxis"] == "x2" and pos["yaxis"] == "y2" and pos["line"]["shape"] == "hv"
    assert pos["line"]["color"] == C["position"]
    # from the range start at the first fill's starting position, through every fill (time order), to the last
    # data (the last fill here: the prices end earlier)
    assert pos["x"] == [
        "2025-12-05T00:00:00.000",
        "2025-12-05T00:00:30.000",
        "2025-12-06T00:01:02.345",
        "2025-12-06T07:00:00.000",
        "2025-12-06T07:00:00.000",
    ]
    assert pos["y"] == [0.0, 2.0, 1.5, 2.5, 2.5]
    lay = spec["layout"]
    assert lay["xaxis2"]["matches"] == "x" and lay["xaxis2"]["anchor"] == "y2"
    assert lay["yaxis2"]["anchor"] == "x2" and lay["yaxis2"]["title"]["text"] == "position (units)"
    assert lay["yaxis"]["domain"][0] > lay["yaxis2"]["domain"][1]  # price above position, apart
    assert lay["xaxis"]["showticklabels"] is False
    assert lay["title"]["text"] == "BTC: Binance price with fills, and position (UTC)"


def test_drilldown_times_shown_in_utc_whatever_the_zone() -> None:
    fills = _fills().with_columns(pl.col("time").dt.convert_time_zone("Asia/Tokyo"))
    spec = charts.drilldown("BTC", _prices(), fills, D1, D2)
    assert trace(spec, "Sell")["x"] == ["2025-12-06T00:01:02.345"]


def test_drilldown_position_ends_at_the_last_data_inside_the_range() -> None:
    spec = charts.drilldown("ETH", _prices().head(0), _fills(), D1, D3)
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["Buy", "Sell", "Position"]  # no price line without prices
    assert trace(spec, "Position")["x"][-1] == "2025-12-06T07:00:00.000"  # the last fill, not Dec 8
    later = pl.DataFrame({"bucket": [_utc(2025, 12, 6, 12), _utc(2025, 12, 7, 23)], "close": [1.0, 2.0]})
    # the last candle's hour ends after the last fill ...
    assert trace(charts.drilldown("ETH", later, _fills(), D1, D3), "Position")["x"][-1] == "2025-12-08T00:00:00.000"
    # ... but never past the end of the range
    assert trace(charts.drilldown("ETH", later, _fills(), D1, D2), "Position")["x"][-1] == "2025-12-07T00:00:00.000"


def test_drilldown_without_fills_draws_the_price_only() -> None:
    spec = charts.drilldown("ETH", _prices(), _fills().head(0), D1, D2)
    assert_valid(spec)
    assert [t["name"] for t in spec["data"]] == ["Binance close"]
