"""Tracking Error: the trend and what drives it."""

import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib import tracking_error as te
from lib.inputs import parse_hour
from queries import tracking_error
from ui import charts
from ui.data import load
from ui.sidebar import current_range, data_as_of_line
from ui.state import set_url, url_value
from ui.thresholds import threshold_inputs

st.title("Tracking Error")
data_as_of_line()

# --- selection: global range (sidebar), snapshot hour, ex-post window, thresholds ---------------
start, end = current_range()
hour0 = url_value("hour", parse_hour, config.DEFAULT_SNAPSHOT_HOUR)
window0 = url_value("window", te_views.parse_window, config.EX_POST_DEFAULT_WINDOW)
c_hour, c_win, c_w, c_m = st.columns(4)
hour = c_hour.selectbox("Snapshot hour (UTC)", options=list(range(24)), index=hour0, key="te_hour",
                        format_func=lambda h: f"{h:02d}:00 UTC",
                        help="Each day is read at this hour, after the 00:00 rebalance (playbook: 02:00 UTC).")
window = c_win.selectbox("Ex-post TE window", options=list(config.EX_POST_WINDOWS), key="te_window",
                         index=list(config.EX_POST_WINDOWS).index(window0), format_func=lambda w: f"{w} days",
                         help="Rolling std of daily active returns (book − T+2 target), annualised ×√365.")
th = threshold_inputs("te", c_w, c_m)
set_url(hour=hour, window=window)

# --- one timeline query for the range (plus the look-back the rolling window needs) ----------
tl = load(tracking_error.timeline, te_views.lookback_start(start), end, hour, what="hourly timeline")
if tl is None:
    st.stop()
view = te_views.range_view(tl, start, end, window, th.w_eps, th.mag_eps, th.mag_rule)
st.caption(f"Holdings dates {start.isoformat()} – {end.isoformat()} (UTC, sidebar range) · "
           f"snapshot {hour:02d}:00 UTC "
           f"· book vs the T+{config.T_PLUS_TARGET} model target · {th.label}")
if not view.days_with_targets:
    st.info(f"No day between {start.isoformat()} and {end.isoformat()} has both data and model targets at "
            f"{hour:02d}:00 UTC: nothing to show.", icon=":material/info:")
    st.stop()
if view.days_without_targets:
    gaps = ", ".join(d.isoformat() for d in view.days_without_targets)
    st.info(f"**{len(view.days_without_targets)} day(s) without model targets or data** are gaps in the charts "
            f"(never zeros): {gaps}.", icon=":material/event_busy:")

s = te_views.summary(view)
m1, m2, m3, m4 = st.columns(4)
m1.metric(f"Daily TE, {s['latest_day'] or fmt.MISSING}", fmt.pct(s["latest_te"]),
          help="√Σ(actual − T+2 target)² over priced symbols, in weight space (% of equity).")
m2.metric("Mean daily TE over the range", fmt.pct(s["mean_te"]), help=f"Over {s['n_days_te']} day(s) with targets.")
m3.metric(f"Ex-post TE ({window}d, annualised ×√365)", fmt.pct(s["ex_post_te"]),
          help=("Latest value, " + s["ex_post_day"].isoformat()) if s["ex_post_day"] else
          f"Needs {window} days with a known active return.")
m4.metric("Days with targets", f"{s['n_days_te']} / {s['n_days']}")

# --- trend ------------------------------------------------------------------------------------------
st.plotly_chart(charts.te_lines(view.daily, window), key="te_lines")
st.caption(f"Ex-post TE: std of the last {window} known daily active returns (book − T+2 target, from each "
           "snapshot to the next day's) × √365. The latest day has no return yet.")

problem = [c for c in te.CATEGORIES if c not in (te.MATCHED, te.MATCHED_ZERO)]
left, right = st.columns(2)
with left:
    st.plotly_chart(
        charts.category_stack(view.by_category, "sq_err", "Σerr² by category (bar height = daily TE²)",
                              [c for c in te.CATEGORIES if c != te.UNPRICED], view.days, percent=True),
        key="te_sq_err")
with right:
    st.plotly_chart(
        charts.category_stack(view.by_category, "n", "Symbols per problem category", problem, view.days),
        key="te_counts")
st.plotly_chart(charts.flip_share(view.daily), key="te_flip")

matrix = te_views.heatmap(view.classified, view.days, max_symbols=config.HEATMAP_MAX_SYMBOLS)
st.plotly_chart(charts.error_heatmap(matrix, n_total=te_views.priced_symbols(view.classified)), key="te_heatmap")

# --- one day's story (URL: day) ---------------------------------------------------------------
st.subheader("Day story")
options = view.days_with_targets
latest = options[-1]
day0 = url_value("day", lambda raw: te_views.parse_day(raw, options), latest)
day = st.selectbox("Day (UTC holdings date)", options=options, index=options.index(day0), key="te_day",
                   format_func=lambda d: d.strftime("%Y-%m-%d (%a)"))
set_url(day=day)
rows = view.day(day)
story = te.day_story(day, rows, history=view.history(day))
story_col, table_col = st.columns([2, 3])
with story_col:
    st.markdown(story.to_markdown())
    summ = te.summarize(rows).select("category", "n", "sq_err_share", "flip_sq_err_share")
    st.dataframe(summ, hide_index=True, column_config={
        "n": st.column_config.NumberColumn("symbols"),
        "sq_err_share": st.column_config.NumberColumn("share of Σerr²", format="percent"),
        "flip_sq_err_share": st.column_config.NumberColumn("of which flips", format="percent"),
    })
with table_col:
    table = te_views.positions_table(rows).select(te_views.STORY_COLUMNS)
    st.caption(f"{day.isoformat()} {hour:02d}:00 UTC · {table.height} symbols · largest |err| first")
    st.dataframe(charts.category_table(table), hide_index=True, height=520)
