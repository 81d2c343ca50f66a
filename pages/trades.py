"""Trades: the trader's record — fills, the daily rebalance, execution quality, per-coin drill-down."""

import streamlit as st

from lib import config, execution, pnl
from lib import format as fmt
from lib.inputs import parse_coin
from queries import orders, trades
from ui import router
from ui.trades import fill_quality, sections, views
from ui.trades import orders as orders_panel
from ui.data import empty_note, load, load_optional
from ui.sidebar import data_as_of_line, selection
from ui.state import set_url, url_value

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Trades")
sidebar = selection()
data_as_of_line(sidebar.as_of)
start, end = sidebar.start, sidebar.end
url_coin = url_value("coin", parse_coin, None)
st.caption(f"Fills of the UTC days {start} – {end} (sidebar range), each counted once even when the sync "
           "delivered it twice.")

# --- the range at a glance -------------------------------------------------------------------
NO_FILTER = ((), (), (), "")  # same cache key as the unfiltered fills tab
total = load(trades.fills_summary, start, end, *NO_FILTER, what="fill summary")
totals = views.first_row(total)
sections.headline(totals)
fill_quality.notes(totals, load(trades.unconverted_fees, start, end, what="fees in other tokens")
                   if totals.get("n_fee_unconverted") else None)

facets = load(trades.fill_facets, start, end, what="fill filters")
facet = views.facet_values(facets)
coin_options, direction_options = list(facet["coin"]), list(facet["dir"])

TABS = ["Fills", "Per day", "By coin", "Untracked fills", "Coin drill-down", "Orders"]
tabs = st.tabs(TABS, key="tr_tab", on_change="rerun", default="Coin drill-down" if url_coin else "Fills")

# --- fills: filtered, sorted, paged in SQL -----------------------------------------------------
with tabs[0]:
    if tabs[0].open:
        coin_column, side_column, direction_column, liquidity_column = st.columns([3, 1.4, 2.4, 1.6])
        coins = coin_column.multiselect("Coin", coin_options, key="tr_coins", placeholder="All coins")
        sides = side_column.multiselect("Side", list(config.SIDE_LABELS), key="tr_sides",
                               format_func=config.SIDE_LABELS.get, placeholder="Both")
        directions = direction_column.multiselect("Direction", direction_options, key="tr_dirs", placeholder="All directions")
        liquidity = liquidity_column.segmented_control("Liquidity", list(config.LIQUIDITY_LABELS), key="tr_liq",
                                   format_func=config.LIQUIDITY_LABELS.get)
        sort_column, order_column, _ = st.columns([2, 1.6, 4])
        sort = sort_column.selectbox("Sort by", list(config.FILL_SORT_COLUMNS), key="tr_sort",
                            format_func=config.FILL_SORT_COLUMNS.get)
        order = order_column.segmented_control("Order", ["desc", "asc"], key="tr_order", default="desc", required=True,
                                     format_func={"desc": "Descending", "asc": "Ascending"}.get)
        chosen = (tuple(coins), tuple(sides), tuple(directions), liquidity or "")
        descending = order != "asc"
        matching = load(trades.fills_summary, start, end, *chosen, what="filtered fill count")
        n_matching = matching.item(0, "n_fills") if matching is not None and matching.height else 0
        pages = execution.page_count(n_matching, config.FILLS_PAGE_SIZE)
        page_box = st.container()
        page = st.pagination(pages, key=f"tr_page_{execution.selection_key(start, end, chosen, sort, descending)}")
        rows = load(trades.fills_page, start, end, *chosen, sort=sort, descending=descending, page=page,
                    what="fills")
        if rows is not None and not empty_note(rows, "fills"):
            first = (page - 1) * config.FILLS_PAGE_SIZE + 1
            page_box.caption(sections.page_caption(first, rows.height, n_matching, sort, descending))
            sections.fills_table(rows, "tr_fills_table")
        if n_matching and st.toggle(f"Prepare a CSV of the {n_matching:,} matching fills", key="tr_csv"):
            export = load(trades.fills_export, start, end, *chosen, sort=sort, descending=descending,
                          what="CSV export")
            if export is not None:
                capped = export.height > config.FILLS_EXPORT_MAX_ROWS
                if capped:
                    st.warning(f"The CSV holds the first {config.FILLS_EXPORT_MAX_ROWS:,} of {n_matching:,} matching fills "
                               "(in the chosen order). Narrow the filters or the date range for the rest.",
                               icon=":material/content_cut:")
                st.download_button(
                    "Download CSV", lambda: views.csv_text(export),  # built on click, served once
                    file_name=f"fills_{start}_{end}.csv", mime="text/csv", icon=":material/download:",
                    key="tr_csv_download",
                )

# --- per day: the rebalance window, volume, costs ---------------------------------------------
with tabs[1]:
    if tabs[1].open:
        daily = load(trades.daily_execution, start, end, what="per-day execution")
        if daily is not None and not empty_note(daily, "fills per day"):
            sections.per_day(views.per_day(daily))

# --- execution quality and realized PnL per coin -----------------------------------------------
with tabs[2]:
    if tabs[2].open:
        by_coin = load(trades.coin_execution, start, end, what="execution by coin")
        if by_coin is not None and not empty_note(by_coin, "fills by coin"):
            sections.by_coin(by_coin)

# --- untracked fills -------------------------------------------------------------------------------
with tabs[3]:
    if tabs[3].open:
        n_untracked = totals.get("n_untracked", 0)
        st.markdown(f"**{n_untracked:,} fill(s)** in the range have an order id with no row in the orders table "
                    "(the order monitor never saw the order).")
        if n_untracked:
            lost = load(trades.untracked_fills, start, end, what="untracked fills")
            if lost is not None and not empty_note(lost, "untracked fills"):
                sections.untracked(lost, n_untracked)

# --- one coin: position from the fills, fills on the Binance price ---------------------------------
with tabs[4]:
    if tabs[4].open:
        options = sorted(set(coin_options) | ({url_coin} if url_coin else set()), key=str.lower)
        if url_coin and url_coin not in coin_options:
            st.info(f"{fmt.md_text(url_coin)} has no fills between {start} and {end}.", icon=":material/info:")
        coin = st.selectbox("Coin", options, index=options.index(url_coin) if url_coin in options else None,
                            key="tr_coin", placeholder="Choose a coin")
        set_url(coin=coin)
        if coin:
            coin_fills = load(trades.coin_fills, coin, start, end, what=f"{coin} fills")
            coin_summary = load(trades.fills_summary, start, end, (coin,), what=f"{coin} summary")
            prices = load(trades.coin_prices, coin, start, end, pnl.chart_bucket_seconds(start, end),
                          what=f"{coin} prices")
            if coin_fills is not None and prices is not None and coin_summary is not None:
                sections.drilldown(coin, coin_fills, views.first_row(coin_summary), prices, start, end)

# --- orders: open now, outcomes, unfilled in the window, API pressure (ui/trades/orders.py) ----------
with tabs[5]:
    if tabs[5].open:
        bucket_s = pnl.chart_bucket_seconds(start, end)
        orders_panel.orders_tab(orders_panel.orders_view(
            load(orders.order_outcomes, start, end, what="order outcomes"),
            load(orders.unfilled_in_window, start, end, what="orders unfilled in the rebalance window"),
            load(orders.open_orders, what="open orders"),
            load_optional(orders.api_pressure, start, end, bucket_s, what="HTTP 429 from the heartbeats"),
        ), "hourly" if bucket_s == 3600 else "daily")
