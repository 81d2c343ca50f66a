"""Tracking Error: the trend and what drives it."""

from datetime import UTC, datetime, timedelta

import streamlit as st

from lib import clock, config
from lib import format as fmt
from lib.inputs import nearest_day, parse_date, parse_hour, parse_window
from lib.rebalance import checks as rebalance_checks
from lib.tracking import daily as te_daily
from queries.book import orders
from queries.tracking import tracking_error
from ui import layout, links, mandate, odd_rows, plot
from ui.data import load
from ui.shell import router
from ui.shell.sidebar import data_as_of_line, selection
from ui.state import lazy_tabs, set_url, url_replaced, url_value
from ui.thresholds import threshold_inputs
from ui.tracking_error import orders as missing_panel
from ui.tracking_error import sections, views
from ui.tracking_error import shortfall as model_book_section

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Tracking Error")
sidebar = selection()
data_as_of_line(sidebar.as_of)
odd_rows.null_key_note(("trades", "targets", "klines", "account"))  # rows left out for an empty (NULL) key

# --- selection: global range (sidebar), snapshot hour, ex-post window, thresholds ---------------
start, end = sidebar.start, sidebar.end
url_hour = url_value("hour", parse_hour, config.DEFAULT_SNAPSHOT_HOUR)
url_window = url_value("window", parse_window, config.EX_POST_DEFAULT_WINDOW)
hour_column, window_column, w_eps_column, mag_eps_column = layout.control_row(4)
hour = hour_column.selectbox(
    "Snapshot hour (UTC)",
    options=list(config.SNAPSHOT_HOURS),
    key="te_hour",
    index=config.SNAPSHOT_HOURS.index(url_hour),
    format_func=fmt.snapshot_hour_option,
    help="Each day is read at this hour (playbook: the 02:00 hour). " + fmt.SNAPSHOT_HOUR_HELP,
)
window = window_column.selectbox(
    "Ex-post TE window",
    options=list(config.EX_POST_WINDOWS),
    key="te_window",
    index=list(config.EX_POST_WINDOWS).index(url_window),
    format_func=lambda w: f"{w} days",
    help="Rolling std of daily active returns (book − T+2 target), annualised ×√365.",
)
thresholds = threshold_inputs("te", w_eps_column, mag_eps_column)
set_url(hour=hour, window=window)

# --- one timeline query for the range (plus the look-back the rolling window needs) ----------
# the newest day whose snapshot at this hour has closed (lib/clock.py): later days are never classified or averaged
as_of = sidebar.as_of
last_complete = clock.latest_complete_day(as_of, hour) if as_of is not None else None
timeline = load(tracking_error.timeline, te_daily.lookback_start(start), end, hour, what="hourly timeline")
if timeline is None:
    st.stop()
page = views.range_page(
    timeline, start, end, window, thresholds.w_eps, thresholds.mag_eps, thresholds.mag_rule, last_complete
)
view = page.view
st.caption(
    f"Holdings dates {start.isoformat()} – {end.isoformat()} (UTC, sidebar range) · "
    f"each day's snapshot at the {fmt.snapshot_hour_text(hour)} "
    f"· book vs the T+{config.T_PLUS_TARGET} model target · {thresholds.label}"
)
if view.pending_days:  # say it in words; the day is a gap, never a classified snapshot of an open hour
    note = clock.pending_note(view.pending_days[0], hour, as_of, showing=last_complete)
    st.info(
        f"{note[:1].upper()}{note[1:]}: nothing after {last_complete} is classified, averaged or charted yet."
        if note
        else f"The snapshots after {last_complete} have not closed yet.",
        icon=":material/schedule:",
    )
if not view.days_with_targets:
    st.info(
        f"No day between {start.isoformat()} and {end.isoformat()} has a closed snapshot with data and model "
        f"targets at the {fmt.snapshot_hour_text(hour)}: nothing to show.",
        icon=":material/info:",
    )
    st.stop()
if view.days_without_targets:
    gaps = ", ".join(d.isoformat() for d in view.days_without_targets)
    st.info(
        f"**{fmt.plural(len(view.days_without_targets), 'day')} without model targets or data** "
        f"{fmt.agree(len(view.days_without_targets), 'is a gap', 'are gaps')} in the charts (never zeros): {gaps}.",
        icon=":material/event_busy:",
    )

# the preflight's own weights check on every day's targets: a TE of 806% against weights in percent means nothing
in_range = timeline.filter((timeline["holdings_date"] >= start) & (timeline["holdings_date"] <= end))
mandate.absurd_targets(rebalance_checks.absurd_days(in_range), "The TE")
sections.headline(page.summary, window)

# --- effective execution lag (one sweep query: TE vs the targets dated D-0 .. D-3), then the trend ----
sweep = load(tracking_error.lag_sweep, start, end, hour, what="execution-lag sweep")
lags = views.lag_view(sweep, start, end, last_complete) if sweep is not None else None
if lags is not None:
    sections.lag_strip(lags)

# --- the trend; below it, the rest on demand: only the open tab's queries and charts run -----------
sections.trend(page.trend, window)
symbol_link = links.trades_drilldown_prefix(sidebar)
TABS = {
    "day": "Day story",
    "drivers": "What drives the TE",
    "model_book": "Live against the model book",
}
OPEN_DAY_STORY = "te_open_day_story"  # a heatmap cell was clicked: its day's story opens
if st.session_state.pop(OPEN_DAY_STORY, False):
    st.session_state["te_tab"] = TABS["day"]
tabs = lazy_tabs("section", TABS, key="te_tab")


# --- one day's story (URL: day); only this part redraws when the day changes -------------------
@st.fragment
def day_story() -> None:
    st.subheader("Day story")
    options = view.days_with_targets
    # a URL day the range cannot show lands on the nearest day it has, and the page says so
    wanted = url_value("day", lambda raw: parse_date(raw, "day"), options[-1])
    url_day = nearest_day(wanted, options)
    if wanted != url_day:
        inside = start <= wanted <= end
        url_replaced(
            "day",
            wanted.isoformat(),
            url_day.isoformat(),
            "has no model targets or no data" if inside else f"is outside the range {start} – {end}",
        )
    if st.session_state.get("te_day") not in options:
        st.session_state.pop("te_day", None)
    day = st.selectbox(
        "Day (UTC holdings date)",
        options=options,
        index=options.index(url_day),
        key="te_day",
        format_func=lambda d: d.strftime("%Y-%m-%d (%a)"),
    )
    set_url(day=day)
    if lags is not None:
        sections.day_verdict(views.day_verdict(view.day(day), lags.days, view.daily, day))
    model_book_section.day_line(model_book_section.day_sentence(sidebar, day))
    story = views.day_story(view, day)
    sections.day_story(story, day, hour, symbol_link)
    day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    behind = load(orders.orders_by_coin, day_start, day_start + timedelta(days=1), what="the day's orders")
    if behind is not None:
        missing_panel.missing_orders(story.table, behind, links.orders_prefix(sidebar, day))


with tabs[0]:
    if tabs[0].open:
        day_story()

# --- what the TE is made of, day by day, and which names and buckets carry the range's TE ----------
with tabs[1]:
    if tabs[1].open:
        sections.drivers(page.trend)
        # the heatmap is clickable: a cell opens that day's story (a widget, so drawn here, not in a section)
        heatmap = plot.show(page.heatmap, key="te_heatmap", clickable=True)
        st.caption(views.HEATMAP_CLICK_WEEKLY if page.weekly else views.HEATMAP_CLICK_DAILY)
        cell = plot.clicked_point(heatmap)
        if cell is None:
            st.session_state.pop("te_heatmap_seen", None)  # the tab was closed: its selection is gone
        elif cell != st.session_state.get("te_heatmap_seen"):
            st.session_state["te_heatmap_seen"] = cell  # a new click, not the same selection on a later rerun
            clicked = views.clicked_day(page, cell)  # a weekly cell opens its worst day, the one it shows
            if clicked is not None:
                st.session_state["te_day"] = clicked
                st.session_state[OPEN_DAY_STORY] = True
                st.rerun()  # the tabs are drawn above: the next run opens the Day story tab
        sections.attribution(page.attribution, start, end)

# --- live against the model book: curves, band, waterfall, symbols (ui/tracking_error/shortfall.py) ----
with tabs[2]:
    if tabs[2].open:
        model_book_section.show(sidebar, symbol_link)
