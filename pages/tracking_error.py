"""Tracking Error: the trend and what drives it."""

import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib.inputs import parse_day, parse_hour, parse_window
from queries import tracking_error
from ui import router
from ui import te_sections
from ui.data import load
from ui.sidebar import current_range, data_as_of_line
from ui.state import set_url, url_value
from ui.thresholds import threshold_inputs

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Tracking Error")
data_as_of_line()

# --- selection: global range (sidebar), snapshot hour, ex-post window, thresholds ---------------
start, end = current_range()
hour0 = url_value("hour", parse_hour, config.DEFAULT_SNAPSHOT_HOUR)
window0 = url_value("window", parse_window, config.EX_POST_DEFAULT_WINDOW)
c_hour, c_win, c_w, c_m = st.columns(4)
hour = c_hour.selectbox("Snapshot hour (UTC)", options=list(config.SNAPSHOT_HOURS), key="te_hour",
                        index=config.SNAPSHOT_HOURS.index(hour0), format_func=fmt.snapshot_hour_option,
                        help="Each day is read at this hour (playbook: the 02:00 hour). " + fmt.SNAPSHOT_HOUR_HELP)
window = c_win.selectbox("Ex-post TE window", options=list(config.EX_POST_WINDOWS), key="te_window",
                         index=list(config.EX_POST_WINDOWS).index(window0), format_func=lambda w: f"{w} days",
                         help="Rolling std of daily active returns (book − T+2 target), annualised ×√365.")
th = threshold_inputs("te", c_w, c_m)
set_url(hour=hour, window=window)

# --- one timeline query for the range (plus the look-back the rolling window needs) ----------
tl = load(tracking_error.timeline, te_views.lookback_start(start), end, hour, what="hourly timeline")
if tl is None:
    st.stop()
view = te_sections.range_view(tl, start, end, window, th.w_eps, th.mag_eps, th.mag_rule)
st.caption(f"Holdings dates {start.isoformat()} – {end.isoformat()} (UTC, sidebar range) · "
           f"snapshot {fmt.snapshot_hour_option(hour)} UTC "
           f"· book vs the T+{config.T_PLUS_TARGET} model target · {th.label}")
if not view.days_with_targets:
    st.info(f"No day between {start.isoformat()} and {end.isoformat()} has both data and model targets at "
            f"{fmt.snapshot_hour_option(hour)} UTC: nothing to show.", icon=":material/info:")
    st.stop()
if view.days_without_targets:
    gaps = ", ".join(d.isoformat() for d in view.days_without_targets)
    st.info(f"**{len(view.days_without_targets)} day(s) without model targets or data** are gaps in the charts "
            f"(never zeros): {gaps}.", icon=":material/event_busy:")

te_sections.headline(view, window)

# --- trend and its drivers --------------------------------------------------------------------
te_sections.trend(view, window)

# --- one day's story (URL: day) ---------------------------------------------------------------
st.subheader("Day story")
options = view.days_with_targets
latest = options[-1]
day0 = url_value("day", lambda raw: parse_day(raw, options), latest)
day = st.selectbox("Day (UTC holdings date)", options=options, index=options.index(day0), key="te_day",
                   format_func=lambda d: d.strftime("%Y-%m-%d (%a)"))
set_url(day=day)
te_sections.day_story(view, day, hour)
