"""Positions: where the book stands against the model at a snapshot hour."""

import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib import tracking_error as te
from lib.inputs import parse_date, parse_hour
from queries import positions, tracking_error
from ui import router
from ui import data_quality_panel, positions_sections
from ui.data import load
from ui.sidebar import data_as_of_line
from ui.state import set_url, url_value
from ui.thresholds import threshold_inputs

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Positions")
data_as_of_line()

# --- selection: holdings date, snapshot hour (URL: date, hour), thresholds -------------
as_of = st.session_state.get("data_as_of")
default_day, default_hour = te_views.latest_complete_hour(as_of)
day0 = url_value("date", lambda raw: parse_date(raw, "date"), default_day)
hour0 = url_value("hour", parse_hour, default_hour)

c_day, c_hour, c_w, c_m = st.columns(4)
day = c_day.date_input("Holdings date (UTC)", value=day0, key="pos_date",
                       help="The book after that day's rebalance, against the targets dated two days "
                            "earlier (T+2).")
hour = c_hour.selectbox("Snapshot hour (UTC)", options=list(range(24)), index=hour0, key="pos_hour",
                        format_func=lambda h: f"{h:02d}:00–{h:02d}:59 UTC",
                        help="Positions after every fill before the end of this hour, priced at its close.")
th = threshold_inputs("pos", c_w, c_m)
set_url(date=day, hour=hour)

when = f"{day.isoformat()} {hour:02d}:00 UTC"
if te_views.snapshot_incomplete(day, hour, as_of):
    st.warning(f"The data (as of {fmt.utc(as_of)}) does not cover the whole {when} hour yet: prices and fills "
               "after that time are missing.", icon=":material/schedule:")

tl = load(tracking_error.timeline, day, day, hour, what="hourly timeline")
if tl is None:
    st.stop()
if tl.height == 0:
    st.info(f"No positions and no model targets for holdings date {day.isoformat()}.", icon=":material/info:")
    st.stop()

data_quality_panel.open_chains(tl)

# --- classification (none on a day without targets) -------------------------------------
target_date = te_views.target_date(day)
view = positions_sections.snapshot_view(tl, th.w_eps, th.mag_eps, th.mag_rule)
if view.state == te_views.NO_TARGETS:
    st.warning(f"**No model targets dated {target_date.isoformat()}** (T+{config.T_PLUS_TARGET} for holdings date "
               f"{day.isoformat()}): positions are shown without categories; nothing is called EXTRA.",
               icon=":material/event_busy:")
elif view.state == te_views.NO_FILLS:
    st.warning(f"**No fills up to {when}** for any symbol of the day: the book cannot be rebuilt from fills, "
               "so nothing is classified (nothing is called MISSING).", icon=":material/event_busy:")

st.subheader(f"Book at {when} vs targets dated {target_date.isoformat()}")
positions_sections.book(view, tl.height, th.label)

# --- table, filter, download, chart -----------------------------------------------------------
picked = None
if view.counts is not None:
    picked = st.multiselect("Categories", options=list(te.CATEGORIES), default=list(te.CATEGORIES),
                            key="pos_categories", help="Filter the table and the chart.")
table = te_views.positions_table(view.rows, picked)
caption_col, download_col = st.columns([4, 1], vertical_alignment="bottom")
if view.counts is not None:
    caption_col.caption(f"{table.height} of {tl.height} symbols · largest |actual − T+2 target| first · weights "
                        "in % of equity · flip = closer to the T+1 target than to T+2")
else:
    caption_col.caption(f"{table.height} symbols · largest |notional| first · nothing classified ({view.state})")
download_col.download_button("Download table (CSV)", table.write_csv(),
                             file_name=f"positions_{day.isoformat()}_{hour:02d}00Z.csv", mime="text/csv",
                             icon=":material/download:", help="The table as shown, weights as fractions of equity.")
positions_sections.table_and_chart(table, view.counts is not None)

# --- reconciliation: fills-implied vs the exchange snapshot ---------------------------------
st.subheader("Reconciliation: fills vs exchange snapshot")
snap = load(positions.exchange_positions_at, day, hour, what="exchange positions snapshot")
if snap is not None:
    if snap.height == 0:
        st.info(f"No exchange positions snapshot in the 7 days before the end of {when}: nothing to reconcile.",
                icon=":material/info:")
    else:
        positions_sections.reconciliation(positions_sections.reconcile(tl, snap),
                                          fmt.utc(snap["snapshot_ts"].max(), seconds=True), snap.height)
