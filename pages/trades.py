"""Trades: the trader's record — fills, the daily rebalance, execution quality, per-coin drill-down."""

import streamlit as st

from answers import rebalance
from lib import config, csv_export
from lib import format as fmt
from lib.book import execution, pnl
from lib.inputs import (
    parse_coin,
    parse_date,
    parse_direction,
    parse_liquidity,
    parse_list,
    parse_order,
    parse_page,
    parse_side,
    parse_sort,
)
from queries.book import orders, trades
from ui import layout, links, odd_rows
from ui.data import empty_note, load, load_optional
from ui.overview import rebalance as rebalance_panel
from ui.shell import router
from ui.shell.sidebar import data_as_of_line, selection
from ui.state import init_from_url, lazy_tabs, set_url, url_replaced, url_value
from ui.trades import fill_quality, sections, views
from ui.trades import orders as orders_panel

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Trades")
sidebar = selection()
data_as_of_line(sidebar.as_of)
start, end = sidebar.start, sidebar.end  # UTC days (charts, prices, the CSV's name)
window_start, window_end = sidebar.window  # what the fills are read for: the days, or the 24 h window
url_coin = url_value("coin", parse_coin, None)
intraday = (window_start, window_end) != (start, end)
span = f"the 24 h {fmt.utc(window_start)} – {fmt.utc(window_end)}" if intraday else f"the UTC days {start} – {end}"
st.caption(f"Fills of {span} (sidebar range), each counted once even when the sync delivered it twice.")
odd_rows.null_key_note(("trades",))  # rows left out for an empty (NULL) key

# --- the range at a glance -------------------------------------------------------------------
NO_FILTER = ((), (), (), "")  # same cache key as the unfiltered fills tab
total = load(trades.fills_summary, window_start, window_end, *NO_FILTER, what="fill summary")
totals = views.first_row(total)
sections.headline(totals)
fill_quality.notes(
    totals,
    load(trades.unconverted_fees, window_start, window_end, what="fees in other tokens")
    if totals.get("n_fee_unconverted")
    else None,
)

facets = load(trades.fill_facets, window_start, window_end, what="fill filters")
facet = views.facet_values(facets)
coin_options, direction_options = list(facet["coin"]), list(facet["dir"])

TABS = {
    "fills": "Fills",
    "per_day": "Per day",
    "by_coin": "By coin",
    "untracked": "Untracked fills",
    "drilldown": "Coin drill-down",
    "orders": "Orders",
    "rebalance": "Rebalance",
}
tabs = lazy_tabs("tab", TABS, key="tr_tab", start="drilldown" if url_coin else None)

# --- fills: filtered, sorted, paged in SQL -----------------------------------------------------
with tabs[0]:
    if tabs[0].open:
        # every filter, the sort and the page live in the URL, so a copied link shows the same fills
        init_from_url("tr_coins", "coins", lambda raw: list(parse_list(raw, parse_coin, "coins")), [])
        init_from_url("tr_sides", "sides", lambda raw: list(parse_list(raw, parse_side, "sides")), [])
        init_from_url("tr_dirs", "dirs", lambda raw: list(parse_list(raw, parse_direction, "dirs")), [])
        init_from_url("tr_liq", "liq", parse_liquidity, None)
        init_from_url("tr_sort", "sort", parse_sort, execution.DEFAULT_SORT)
        init_from_url("tr_order", "order", parse_order, "desc")
        # a value the new range does not offer is dropped quietly (the range changed, not the user's mind)
        st.session_state["tr_coins"] = [c for c in st.session_state["tr_coins"] if c in coin_options]
        st.session_state["tr_dirs"] = [d for d in st.session_state["tr_dirs"] if d in direction_options]
        coin_column, side_column, direction_column, liquidity_column = layout.control_row((260, 150, 230, 170))
        coins = coin_column.multiselect("Coin", coin_options, key="tr_coins", placeholder="All coins")
        sides = side_column.multiselect(
            "Side", list(config.SIDE_LABELS), key="tr_sides", format_func=config.SIDE_LABELS.get, placeholder="Both"
        )
        directions = direction_column.multiselect(
            "Direction", direction_options, key="tr_dirs", placeholder="All directions"
        )
        liquidity = liquidity_column.segmented_control(
            "Liquidity", list(config.LIQUIDITY_LABELS), key="tr_liq", format_func=config.LIQUIDITY_LABELS.get
        )
        sort_column, order_column = layout.control_row((220, 220))
        sort = sort_column.selectbox(
            "Sort by", list(config.FILL_SORT_COLUMNS), key="tr_sort", format_func=config.FILL_SORT_COLUMNS.get
        )
        order = order_column.segmented_control(
            "Order",
            ["desc", "asc"],
            key="tr_order",
            required=True,
            format_func={"desc": "Descending", "asc": "Ascending"}.get,
        )
        chosen = (tuple(coins), tuple(sides), tuple(directions), liquidity or "")
        descending = order != "asc"
        matching = load(trades.fills_summary, window_start, window_end, *chosen, what="filtered fill count")
        n_matching = matching.item(0, "n_fills") if matching is not None and matching.height else 0
        pages = execution.page_count(n_matching, config.FILLS_PAGE_SIZE)
        page_box = st.container()
        page_key = f"tr_page_{execution.selection_key(start, end, chosen, sort, descending)}"
        if "tr_url_page" not in st.session_state:  # the link's page, for the link's selection; a new one starts at 1
            wanted_page = url_value("page", parse_page, 1)
            st.session_state["tr_url_page"] = (page_key, min(wanted_page, pages))
            if wanted_page > pages:
                url_replaced("page", wanted_page, pages, f"is past the last page of these fills ({pages})", page_box)
        url_page_key, url_page = st.session_state["tr_url_page"]
        page = st.pagination(pages, key=page_key, default=url_page if page_key == url_page_key else 1)
        set_url(
            coins=coins,
            sides=sides,
            dirs=directions,
            liq=liquidity,
            sort=None if sort == execution.DEFAULT_SORT else sort,
            order=None if order == "desc" else order,
            page=None if page == 1 else page,
        )
        rows = load(
            trades.fills_page,
            window_start,
            window_end,
            *chosen,
            sort=sort,
            descending=descending,
            page=page,
            what="fills",
        )
        if rows is not None and not empty_note(rows, "fills"):
            first = (page - 1) * config.FILLS_PAGE_SIZE + 1
            page_box.caption(sections.page_caption(first, rows.height, n_matching, sort, descending))
            sections.fills_table(rows, "tr_fills_table")
        if n_matching:  # one click: the CSV is written when the button is pressed, not on every rerun
            if n_matching > config.FILLS_EXPORT_MAX_ROWS:
                st.caption(
                    f":material/content_cut: The CSV holds the first {config.FILLS_EXPORT_MAX_ROWS:,} of "
                    f"{n_matching:,} matching fills (in the chosen order). Narrow the filters or the range "
                    "for the rest."
                )
            st.download_button(
                f"CSV of the {n_matching:,} matching fills",
                views.fills_csv(window_start, window_end, chosen, sort, descending),
                file_name=csv_export.file_name("fills", start, end, *coins),
                mime="text/csv",
                icon=":material/download:",
                key="tr_csv_download",
                help="Rounded numbers, ISO times in UTC (Z), true/false; in the chosen order. The exchange's record: "
                "fee and fee_usd are the fee paid (positive; a rebate negative), where the screen shows costs negative.",
            )

# --- per day: the rebalance window, volume, costs ---------------------------------------------
with tabs[1]:
    if tabs[1].open:
        daily = load(trades.daily_execution, window_start, window_end, what="per-day execution")
        if daily is not None and not empty_note(daily, "fills per day"):
            sections.per_day(views.per_day(daily))

# --- execution quality and realized PnL per coin -----------------------------------------------
with tabs[2]:
    if tabs[2].open:
        by_coin = load(trades.coin_execution, window_start, window_end, what="execution by coin")
        if by_coin is not None and not empty_note(by_coin, "fills by coin"):
            sections.by_coin(by_coin)

# --- untracked fills -------------------------------------------------------------------------------
with tabs[3]:
    if tabs[3].open:
        n_untracked = totals.get("n_untracked", 0)
        st.markdown(
            f"**{fmt.plural(n_untracked, 'fill')}** in the range {fmt.agree(n_untracked, 'has', 'have')} an order id with no row in the orders table "
            "(the order monitor never saw the order)."
        )
        if n_untracked:
            lost = load(trades.untracked_fills, window_start, window_end, what="untracked fills")
            if lost is not None and not empty_note(lost, "untracked fills"):
                sections.untracked(lost, n_untracked)

# --- one coin: position from the fills, fills on the Binance price ---------------------------------
with tabs[4]:
    if tabs[4].open:
        options = sorted(set(coin_options) | ({url_coin} if url_coin else set()), key=str.lower)
        if url_coin and url_coin not in coin_options:
            st.info(f"{fmt.md_text(url_coin)} has no fills between {start} and {end}.", icon=":material/info:")
        coin = st.selectbox(
            "Coin",
            options,
            index=options.index(url_coin) if url_coin in options else None,
            key="tr_coin",
            placeholder="Choose a coin",
        )
        set_url(coin=coin)
        if coin:
            coin_fills = load(trades.coin_fills, coin, window_start, window_end, what=f"{coin} fills")
            coin_summary = load(trades.fills_summary, window_start, window_end, (coin,), what=f"{coin} summary")
            prices = load(
                trades.coin_prices, coin, start, end, pnl.chart_bucket_seconds(start, end), what=f"{coin} prices"
            )
            if coin_fills is not None and prices is not None and coin_summary is not None:
                sections.drilldown(coin, coin_fills, views.first_row(coin_summary), prices, start, end)

# --- orders: open now, outcomes, unfilled in the window, API pressure (ui/trades/orders.py) ----------
with tabs[5]:
    if tabs[5].open:
        orders_coin = url_value("orders_coin", parse_coin, None)  # a link from a rebalance leg: that coin's orders
        if orders_coin:
            coin_orders = load(orders.coin_orders, orders_coin, start, end, what=f"{orders_coin} orders")
            if coin_orders is not None:
                orders_panel.coin_orders_section(orders_coin, coin_orders, start, end)
        bucket_s = pnl.chart_bucket_seconds(start, end)
        orders_panel.orders_tab(
            orders_panel.orders_view(
                load(orders.order_outcomes, start, end, what="order outcomes"),
                load(orders.unfilled_in_window, start, end, what="orders unfilled in the rebalance window"),
                load(orders.open_orders, what="open orders"),
                load_optional(orders.api_pressure, start, end, bucket_s, what="HTTP 429 from the heartbeats"),
            ),
            "hourly" if bucket_s == 3600 else "daily",
        )

# --- one day's 00:00 rebalance to completion (the Overview panel, any day) -----------------------------------
with tabs[6]:
    if tabs[6].open and sidebar.clock is None:
        st.info(
            "The data's clock is unknown (ClickHouse did not answer): no rebalance to show.", icon=":material/schedule:"
        )
    elif tabs[6].open and sidebar.clock is not None:
        today = sidebar.clock.now.date()
        (day_column,) = layout.control_row((220,))
        rebalance_day = day_column.date_input(
            "Rebalance of (UTC day)",
            value=min(url_value("rebalance_day", lambda raw: parse_date(raw, "rebalance_day"), today), today),
            max_value=today,
            key="tr_rebalance_day",
            help="The 00:00 UTC rebalance of that holdings day, against the targets dated two days earlier.",
        )
        set_url(rebalance_day=None if rebalance_day == today else rebalance_day)
        progress = load(rebalance.completion, rebalance_day, sidebar.clock, what="the day's rebalance")
        if progress is not None:
            rebalance_panel.rebalance_panel(
                rebalance_panel.rebalance_view(progress, links.orders_prefix(sidebar, rebalance_day)), "tr_rebalance"
            )
