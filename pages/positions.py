"""Positions: where the book stands against the model at a snapshot hour."""

import streamlit as st

from lib import config, te_views
from lib import format as fmt
from lib import tracking_error as te
from lib.inputs import parse_date, parse_hour
from queries import positions, tracking_error
from ui import charts
from ui.data import load
from ui.sidebar import data_as_of_line
from ui.state import set_url, url_value
from ui.thresholds import threshold_inputs

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

# --- classification (none on a day without targets) -------------------------------------
target_date = te_views.target_date(day)
if te_views.has_targets(tl):
    rows = te.classify(tl, w_eps=th.w_eps, mag_eps=th.mag_eps, mag_rule=th.mag_rule)
    counts = te_views.category_counts(rows)
else:
    rows, counts = tl, None
    st.warning(f"**No model targets dated {target_date.isoformat()}** (T+{config.T_PLUS_TARGET} for holdings date "
               f"{day.isoformat()}): positions are shown without categories; nothing is called EXTRA.",
               icon=":material/event_busy:")

st.subheader(f"Book at {when} vs targets dated {target_date.isoformat()}")
if counts is not None:
    cols = st.columns(len(te.CATEGORIES))
    for col, cat in zip(cols, te.CATEGORIES):
        col.metric(te_views.CATEGORY_LABELS[cat], counts[cat],
                   help=f"Symbols classified {cat} ({th.label}).")

expo = te_views.exposure(tl)
snap_te = te.snapshot_te(rows) if counts is not None else None
e1, e2, e3, e4, e5, e6 = st.columns(6)
e1.metric("Gross exposure", fmt.pct(expo["gross"]), help="Σ|actual weight| over priced symbols, % of equity.")
e2.metric("Net exposure", fmt.weight(expo["net"]), help="Σ actual weight over priced symbols, % of equity.")
e3.metric("Long", fmt.weight(expo["long"]), help="Σ of the positive actual weights, % of equity.")
e4.metric("Short", fmt.weight(expo["short"]), help="Σ of the negative actual weights, % of equity.")
e5.metric("Symbols", f"{tl.height}", help="Symbols with a T+2 target row or a position.")
e6.metric("Snapshot TE (√Σerr²)", fmt.pct(snap_te["te"]) if snap_te else fmt.MISSING,
          help="Weight-space tracking error vs the T+2 target over priced symbols.")

# --- data quality: unpriced rows -----------------------------------------------------------
bad = te_views.unpriced(tl)
if bad.height:
    notes = "\n".join(f"- {note}" for note in te_views.unpriced_notes(bad))
    st.warning(f"**Data quality: {bad.height} held symbol(s) without an actual weight** (no usable price or "
               f"equity for the hour) — left out of exposure and TE, shown as UNPRICED:\n{notes}",
               icon=":material/warning:")

# --- table, filter, chart, download -----------------------------------------------------------
picked = None
if counts is not None:
    picked = st.multiselect("Categories", options=list(te.CATEGORIES), default=list(te.CATEGORIES),
                            key="pos_categories", help="Filter the table and the chart.")
table = te_views.positions_table(rows, picked)
if counts is not None:
    st.caption(f"{table.height} of {tl.height} symbols · largest |actual − T+2 target| first · weights in % "
               "of equity · flip = closer to the T+1 target than to T+2")
else:
    st.caption(f"{table.height} symbols · largest |notional| first · nothing classified (no targets)")
st.dataframe(charts.category_table(table), hide_index=True, height=420)
st.download_button("Download table (CSV)", table.write_csv(),
                   file_name=f"positions_{day.isoformat()}_{hour:02d}00Z.csv", mime="text/csv",
                   icon=":material/download:")
if counts is not None:  # with no targets there is nothing to compare the book with
    if table.height:
        st.plotly_chart(charts.weights_vs_target(table, max_symbols=config.HEATMAP_MAX_SYMBOLS),
                        key="pos_weights_chart")
    else:
        st.info("No symbol in the selected categories.", icon=":material/filter_alt_off:")

# --- reconciliation: fills-implied vs the exchange snapshot ---------------------------------
st.subheader("Reconciliation: fills vs exchange snapshot")
snap = load(positions.exchange_positions_at, day, hour, what="exchange positions snapshot")
if snap is not None:
    if snap.height == 0:
        st.info(f"No exchange positions snapshot in the 7 days before the end of {when}: nothing to reconcile.",
                icon=":material/info:")
    else:
        rec = te_views.reconcile(tl, snap)
        taken = fmt.utc(snap["snapshot_ts"].max(), seconds=True)
        if rec.height == 0:
            st.success(f"Fills-implied positions match the exchange snapshot of {taken} for every coin "
                       f"({snap.height} open on the exchange).", icon=":material/check_circle:")
        else:
            st.warning(f"**{rec.height} coin(s) differ** between the position implied by the fills and the "
                       f"exchange snapshot of {taken}. A difference means fills or snapshots are missing "
                       "(a fill not synced yet, or a snapshot round that is incomplete).",
                       icon=":material/sync_problem:")
            st.dataframe(rec, hide_index=True, column_config={
                "sym": "coin",
                "fills_units": st.column_config.NumberColumn("fills-implied units", format="%.6g"),
                "exchange_units": st.column_config.NumberColumn("exchange units", format="%.6g"),
                "diff_units": st.column_config.NumberColumn("fills − exchange", format="%.6g"),
                "in_snapshot": st.column_config.CheckboxColumn("in snapshot"),
            })
