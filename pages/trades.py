"""Trades: the trader's record — fills, the daily rebalance, execution quality, per-coin drill-down."""

import polars as pl
import streamlit as st

from lib import config, execution, pnl
from lib import format as fmt
from lib.inputs import parse_coin
from queries import trades
from ui import trades_charts as charts
from ui.data import empty_note, load
from ui.overview_charts import naive_utc
from ui.sidebar import current_range, data_as_of_line
from ui.state import set_url, url_value

st.title("Trades")
data_as_of_line()
start, end = current_range()
url_coin = url_value("coin", parse_coin, None)
st.caption(f"Fills of the UTC days {start} – {end} (sidebar range), each counted once even when the sync "
           "delivered it twice.")

FILL_COLUMNS = {
    "time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss.SSS"),
    "coin": st.column_config.TextColumn("Coin"),
    "side": st.column_config.TextColumn("Side", help="B = buy, A = sell"),
    "dir": st.column_config.TextColumn("Direction"),
    "px": st.column_config.NumberColumn("Price", format="%.6g"),
    "sz": st.column_config.NumberColumn("Size", format="%.6g"),
    "notional": st.column_config.NumberColumn("Notional", format="dollar"),
    "ref_px": st.column_config.NumberColumn("Binance 1h open", format="%.6g"),
    "slippage_bps": st.column_config.NumberColumn("Slippage (bp)", format="%+.1f",
                                                  help="vs the 1h open; positive = worse for the desk; "
                                                       "empty = no price"),
    "closed_pnl": st.column_config.NumberColumn("Realized PnL", format="dollar"),
    "fee": st.column_config.NumberColumn("Fee", format="%.4f"),
    "crossed": st.column_config.CheckboxColumn("Taker"),
    "tracked": st.column_config.CheckboxColumn("Tracked order", help="The fill's oid has a row in the orders table"),
    "off_window": st.column_config.CheckboxColumn("Off-window", help="At or after 00:05 UTC"),
    "oid": st.column_config.NumberColumn("oid", format="%d"),
    "tid": st.column_config.NumberColumn("tid", format="%d"),
}
FILL_ORDER = list(FILL_COLUMNS)

# --- the range at a glance -------------------------------------------------------------------
NO_FILTER = ((), (), (), "")  # same cache key as the unfiltered fills tab
total = load(trades.fills_summary, start, end, *NO_FILTER, what="fill summary")
t = total.row(0, named=True) if total is not None and total.height else {}
m = st.columns(4)
m[0].metric("Fills", f"{t.get('n_fills', 0):,}", help=f"{t.get('n_coins', 0)} coins.")
m[1].metric("Notional traded", fmt.usd(t.get("notional_usd")))
m[2].metric("Fees", fmt.usd(t.get("fees")), delta=f"{fmt.bps(t.get('fee_bps'), 2)} of notional"
            if t.get("fee_bps") is not None else None, delta_arrow="off", delta_color="off")
m[3].metric("Realized PnL", fmt.usd(t.get("realized"), signed=True))
m = st.columns(4)
m[0].metric("Slippage vs 1h open", fmt.bps(t.get("avg_slippage_bps")),
            delta=f"{t.get('n_unpriced', 0)} fill(s) without a price" if t.get("n_unpriced") else None,
            delta_arrow="off", delta_color="off",
            help="Notional-weighted; positive = the desk paid more than the Binance 1h open (buys) or "
                 "received less (sells). Fills without a candle are left out and counted, never 0.")
m[1].metric("Maker share", fmt.pct(t.get("maker_share"), 1), help="Share of notional filled as maker.")
m[2].metric("Untracked fills", f"{t.get('n_untracked', 0):,}",
            help="Fills whose order id has no row in the orders table.")
m[3].metric("Off-window fills", f"{t.get('n_off_window', 0):,}",
            help=f"Fills at or after 00:{config.REBALANCE_WINDOW_MINUTES:02d} UTC (rebalance window "
                 f"00:00–00:{config.REBALANCE_WINDOW_MINUTES:02d}).")

facets = load(trades.fill_facets, start, end, what="fill filters")
coin_options = facets.filter(facets["facet"] == "coin")["value"].to_list() if facets is not None else []
dir_options = facets.filter(facets["facet"] == "dir")["value"].to_list() if facets is not None else []

TABS = ["Fills", "Per day", "By coin", "Untracked fills", "Coin drill-down"]
tabs = st.tabs(TABS, key="tr_tab", on_change="rerun", default="Coin drill-down" if url_coin else "Fills")

# --- fills: filtered, sorted, paged in SQL -----------------------------------------------------
with tabs[0]:
    if tabs[0].open:
        f1, f2, f3, f4 = st.columns([3, 1.4, 2.4, 1.6])
        coins = f1.multiselect("Coin", coin_options, key="tr_coins", placeholder="All coins")
        sides = f2.multiselect("Side", list(execution.SIDE_LABELS), key="tr_sides",
                               format_func=execution.SIDE_LABELS.get, placeholder="Both")
        dirs = f3.multiselect("Direction", dir_options, key="tr_dirs", placeholder="All directions")
        liq = f4.segmented_control("Liquidity", list(execution.LIQUIDITY_LABELS), key="tr_liq",
                                   format_func=execution.LIQUIDITY_LABELS.get)
        s1, s2, _ = st.columns([2, 1.6, 4])
        sort = s1.selectbox("Sort by", list(execution.FILL_SORT_COLUMNS), key="tr_sort",
                            format_func=execution.FILL_SORT_COLUMNS.get)
        order = s2.segmented_control("Order", ["desc", "asc"], key="tr_order", default="desc", required=True,
                                     format_func={"desc": "Descending", "asc": "Ascending"}.get)
        chosen = (tuple(coins), tuple(sides), tuple(dirs), liq or "")
        descending = order != "asc"
        sel = load(trades.fills_summary, start, end, *chosen, what="filtered fill count")
        n = sel.item(0, "n_fills") if sel is not None and sel.height else 0
        pages = execution.page_count(n, config.FILLS_PAGE_SIZE)
        page_box = st.container()
        page = st.pagination(pages, key=f"tr_page_{execution.selection_key(start, end, chosen, sort, descending)}")
        rows = load(trades.fills_page, start, end, *chosen, sort=sort, descending=descending, page=page,
                    what="fills")
        if rows is not None and not empty_note(rows, "fills"):
            first = (page - 1) * config.FILLS_PAGE_SIZE + 1
            page_box.caption(f"Fills {first:,}–{first + rows.height - 1:,} of **{n:,}** matching · sorted by "
                             f"{execution.FILL_SORT_COLUMNS[sort]}, {'descending' if descending else 'ascending'} "
                             f"· {config.FILLS_PAGE_SIZE} per page (clicking a column header re-orders this page "
                             "only; *Sort by* orders all matching fills)")
            st.dataframe(naive_utc(rows, "time"), hide_index=True, placeholder=fmt.MISSING, column_order=FILL_ORDER,
                         column_config=FILL_COLUMNS, key="tr_fills_table")
        if n and st.toggle(f"Prepare a CSV of the {n:,} matching fills", key="tr_csv"):
            export = load(trades.fills_export, start, end, *chosen, sort=sort, descending=descending,
                          what="CSV export")
            if export is not None:
                capped = export.height > config.FILLS_EXPORT_MAX_ROWS
                if capped:
                    st.warning(f"The CSV holds the first {config.FILLS_EXPORT_MAX_ROWS:,} of {n:,} matching fills "
                               "(in the chosen order). Narrow the filters or the date range for the rest.",
                               icon=":material/content_cut:")
                st.download_button(
                    "Download CSV", naive_utc(export.head(config.FILLS_EXPORT_MAX_ROWS), "time").write_csv(),
                    file_name=f"fills_{start}_{end}.csv", mime="text/csv", icon=":material/download:",
                    key="tr_csv_download",
                )

# --- per day: the rebalance window, volume, costs ---------------------------------------------
with tabs[1]:
    if tabs[1].open:
        daily = load(trades.daily_execution, start, end, what="per-day execution")
        if daily is not None and not empty_note(daily, "fills per day"):
            late_days = daily.filter(daily["n_off_window"] > 0)
            if late_days.height:
                st.warning(
                    f"**{late_days['n_off_window'].sum()} fill(s) outside the 00:00–00:"
                    f"{config.REBALANCE_WINDOW_MINUTES:02d} UTC rebalance window** on {late_days.height} day(s): "
                    + ", ".join(str(d) for d in late_days["day"].to_list()[:12])
                    + (" …" if late_days.height > 12 else ""), icon=":material/schedule:")
            st.plotly_chart(charts.daily_activity(daily), key="tr_daily_chart")
            st.dataframe(
                naive_utc(daily, "first_fill", "last_fill", "first_in_window", "last_in_window").with_columns(
                    pl.Series("window_text", [execution.duration_text(v) for v in daily["window_span_s"].to_list()]),
                    pl.Series("span_text", [execution.duration_text(v) for v in daily["span_s"].to_list()]),
                ),
                hide_index=True, placeholder=fmt.MISSING,
                column_order=["day", "n_fills", "first_fill", "last_in_window", "window_text", "n_off_window",
                              "last_fill", "span_text", "notional_usd", "turnover", "fee_bps", "maker_share", "avg_slippage_bps",
                              "n_unpriced", "n_untracked", "realized"],
                column_config={
                    "day": st.column_config.DateColumn("Day (UTC)"),
                    "n_fills": st.column_config.NumberColumn("Fills"),
                    "first_fill": st.column_config.DatetimeColumn("First fill", format="HH:mm:ss"),
                    "last_in_window": st.column_config.DatetimeColumn("Last in window", format="HH:mm:ss"),
                    "window_text": st.column_config.TextColumn("Rebalance duration",
                                                               help="First to last fill inside the 00:00–00:05 window"),
                    "span_text": st.column_config.TextColumn("First → last fill", help="Including off-window fills"),
                    "n_off_window": st.column_config.NumberColumn("Off-window fills",
                                                                  help="Fills at or after 00:05 UTC"),
                    "last_fill": st.column_config.DatetimeColumn("Last fill", format="HH:mm:ss"),
                    "notional_usd": st.column_config.NumberColumn("Notional", format="dollar"),
                    "turnover": st.column_config.NumberColumn("Turnover", format="percent",
                                                              help="Notional / equity at 00:00 UTC"),
                    "fee_bps": st.column_config.NumberColumn("Fees (bp)", format="%.2f"),
                    "maker_share": st.column_config.NumberColumn("Maker share", format="percent",
                                                                 help="Share of notional filled as maker"),
                    "avg_slippage_bps": st.column_config.NumberColumn("Slippage (bp)", format="%+.1f"),
                    "n_unpriced": st.column_config.NumberColumn("No price"),
                    "n_untracked": st.column_config.NumberColumn("Untracked"),
                    "realized": st.column_config.NumberColumn("Realized PnL", format="dollar"),
                },
                key="tr_daily_table",
            )

# --- execution quality and realized PnL per coin -----------------------------------------------
with tabs[2]:
    if tabs[2].open:
        by_coin = load(trades.coin_execution, start, end, what="execution by coin")
        if by_coin is not None and not empty_note(by_coin, "fills by coin"):
            st.plotly_chart(charts.coin_slippage(by_coin), key="tr_coin_chart")
            st.dataframe(
                by_coin, hide_index=True, placeholder=fmt.MISSING,
                column_order=["coin", "n_fills", "notional_usd", "realized", "fees", "fee_bps", "maker_share",
                              "avg_slippage_bps", "slippage_usd", "n_unpriced", "n_untracked", "n_off_window",
                              "bn_symbol"],
                column_config={
                    "coin": "Coin", "n_fills": "Fills",
                    "notional_usd": st.column_config.NumberColumn("Notional", format="dollar"),
                    "realized": st.column_config.NumberColumn("Realized PnL", format="dollar"),
                    "fees": st.column_config.NumberColumn("Fees", format="dollar"),
                    "fee_bps": st.column_config.NumberColumn("Fees (bp)", format="%.2f"),
                    "maker_share": st.column_config.NumberColumn("Maker share", format="percent"),
                    "avg_slippage_bps": st.column_config.NumberColumn("Slippage (bp)", format="%+.1f",
                                                                      help="Notional-weighted over priced fills"),
                    "slippage_usd": st.column_config.NumberColumn("Slippage cost", format="dollar"),
                    "n_unpriced": "No price", "n_untracked": "Untracked", "n_off_window": "Off-window",
                    "bn_symbol": "Binance symbol",
                },
                key="tr_coin_table",
            )

# --- untracked fills -------------------------------------------------------------------------------
with tabs[3]:
    if tabs[3].open:
        n_untracked = t.get("n_untracked", 0)
        st.markdown(f"**{n_untracked:,} fill(s)** in the range have an order id with no row in the orders table "
                    "(the order monitor never saw the order).")
        if n_untracked:
            lost = load(trades.untracked_fills, start, end, what="untracked fills")
            if lost is not None and not empty_note(lost, "untracked fills"):
                if lost.height < n_untracked:
                    st.caption(f"The newest {lost.height:,} are listed.")
                st.dataframe(naive_utc(lost, "time"), hide_index=True, placeholder=fmt.MISSING, column_order=FILL_ORDER + ["cloid"],
                             column_config=FILL_COLUMNS, key="tr_untracked_table")

# --- one coin: position from the fills, fills on the Binance price ---------------------------------
with tabs[4]:
    if tabs[4].open:
        options = sorted(set(coin_options) | ({url_coin} if url_coin else set()), key=str.lower)
        if url_coin and url_coin not in coin_options:
            st.info(f"{url_coin} has no fills between {start} and {end}.", icon=":material/info:")
        coin = st.selectbox("Coin", options, index=options.index(url_coin) if url_coin in options else None,
                            key="tr_coin", placeholder="Choose a coin")
        set_url(coin=coin)
        if coin:
            cf = load(trades.coin_fills, coin, start, end, what=f"{coin} fills")
            cs = load(trades.fills_summary, start, end, (coin,), what=f"{coin} summary")
            prices = load(trades.coin_prices, coin, start, end, pnl.chart_bucket_seconds(start, end),
                          what=f"{coin} prices")
            if cf is not None and prices is not None and cs is not None:
                c = cs.row(0, named=True)
                c1, c2, c3, c4 = st.columns(4)
                c1.metric("Fills", f"{c['n_fills']:,}")
                c2.metric("Position after the last fill", fmt.number(cf["pos_after"][-1], 6) if cf.height else
                          fmt.MISSING)
                c3.metric("Realized PnL", fmt.usd(c["realized"], signed=True))
                c4.metric("Slippage vs 1h open", fmt.bps(c["avg_slippage_bps"]),
                          delta=f"{c['n_unpriced']} fill(s) without a price" if c["n_unpriced"] else None,
                          delta_arrow="off", delta_color="off")
                if cf.height >= config.DRILLDOWN_MAX_FILLS:
                    st.caption(f"Only the first {config.DRILLDOWN_MAX_FILLS:,} fills are drawn.")
                if prices.height == 0:
                    st.info(f"No Binance price for {coin} in this range.", icon=":material/info:")
                st.plotly_chart(charts.drilldown(coin, prices, cf, start, end), key="tr_drill_chart")
                if cf.height:
                    st.dataframe(naive_utc(cf, "time"), hide_index=True, placeholder=fmt.MISSING, column_order=FILL_ORDER + ["pos_after"],
                                 column_config={**FILL_COLUMNS, "pos_after": st.column_config.NumberColumn(
                                     "Position after", format="%.6g")}, key="tr_drill_table")
