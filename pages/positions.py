"""Positions: where the book stands against the model at a snapshot hour."""

import streamlit as st

from answers import rebalance
from lib import clock, config, csv_export
from lib import format as fmt
from lib.inputs import parse_categories, parse_date, parse_hour, parse_target_set
from lib.rebalance import checks as rebalance_checks
from lib.rebalance import ticket as tickets
from lib.tracking import classification as te
from lib.tracking import snapshot as te_snapshot
from queries.book import positions, risk
from queries.tracking import tracking_error
from ui import layout, links, mandate
from ui.data import empty_note, load
from ui.positions import data_quality, sections, views
from ui.positions import risk as risk_panel
from ui.positions import ticket as ticket_panel
from ui.shell import router
from ui.shell.sidebar import data_as_of_line, selection
from ui.state import init_from_url, set_url, url_value
from ui.thresholds import threshold_inputs

router.guard()  # first: a direct link on a fresh server reruns through app.py (sign-in, sidebar)

st.title("Positions")
sidebar = selection()
as_of = sidebar.as_of
data_as_of_line(as_of)

# --- selection: holdings date, snapshot hour (URL: date, hour), thresholds -------------
default_day, default_hour = clock.latest_complete(as_of)
url_day = url_value("date", lambda raw: parse_date(raw, "date"), default_day)
url_hour = url_value("hour", parse_hour, default_hour)

day_column, hour_column, w_eps_column, mag_eps_column = layout.control_row(4)
day = day_column.date_input(
    "Holdings date (UTC)",
    value=url_day,
    key="pos_date",
    help="The book after that day's rebalance, against the targets dated two days earlier (T+2).",
)
hour = hour_column.selectbox(
    "Snapshot hour (UTC)",
    options=list(config.SNAPSHOT_HOURS),
    key="pos_hour",
    index=config.SNAPSHOT_HOURS.index(url_hour),
    format_func=fmt.snapshot_hour_option,
    help=fmt.SNAPSHOT_HOUR_HELP,
)
thresholds = threshold_inputs("pos", w_eps_column, mag_eps_column)
set_url(date=day, hour=hour)

when = fmt.snapshot_when(day.isoformat(), hour)
if hour == 0:
    st.caption(
        ":material/info: The 00:00 hour is read at its end (01:00), so it includes the 00:00–00:02 "
        "rebalance fills; choose “00:00:00 — before the rebalance” for the book going into it."
    )
complete = clock.is_complete(day, hour, as_of)  # an open hour is never classified (lib/clock.py)

position_risk = load(risk.position_risk, what="position risk and price check")
risk_view = risk_panel.position_risk(position_risk) if position_risk is not None else None
if risk_view is not None:
    risk_panel.price_flag(risk_view)  # above the book: a wrong price skews every weight below


def risk_section() -> None:
    """Risk and price check at the newest positions snapshot (ui/positions/risk.py): about now, any date."""
    st.subheader("Risk and price check (newest positions snapshot)")
    if risk_view is not None and not empty_note(position_risk, "positions in the newest snapshot"):
        risk_panel.risk_table(risk_view)


timeline = load(tracking_error.timeline, day, day, hour, what="hourly timeline")
if timeline is None:
    risk_section()
    st.stop()
if timeline.height == 0:
    st.info(f"No positions and no model targets for holdings date {day.isoformat()}.", icon=":material/info:")
    risk_section()
    st.stop()

data_quality.open_chains(timeline)

# --- classification (none on a day without targets) -------------------------------------
target_date = clock.target_date(day)
snapshot = views.snapshot(timeline, thresholds.w_eps, thresholds.mag_eps, thresholds.mag_rule, complete)
classified = snapshot.counts is not None
if snapshot.state == te_snapshot.PENDING:
    latest_day, latest_hour = clock.latest_complete(as_of, hour)
    note = clock.pending_note(day, hour, as_of, showing=None) or f"the {when} snapshot has not closed"
    st.warning(
        f"**{note[:1].upper()}{note[1:]}**: the book so far is listed without categories or TE (nothing is "
        f"classified before the hour ends; its prices come with the hour's close). The latest complete snapshot "
        f"at this hour is "
        f"{fmt.snapshot_when(latest_day.isoformat(), latest_hour)}.",
        icon=":material/schedule:",
    )
elif snapshot.state == te_snapshot.NO_TARGETS:
    st.warning(
        f"**No model targets dated {target_date.isoformat()}** (T+{config.T_PLUS_TARGET} for holdings date "
        f"{day.isoformat()}): positions are shown without categories; nothing is called EXTRA.",
        icon=":material/event_busy:",
    )
elif snapshot.state == te_snapshot.NO_FILLS:
    st.warning(
        f"**No fills up to {when}** for any symbol of the day: the book cannot be rebuilt from fills, "
        "so nothing is classified (nothing is called MISSING).",
        icon=":material/event_busy:",
    )

# the preflight's own weights check on the live targets: a TE against absurd weights means nothing
mandate.absurd_targets(rebalance_checks.absurd_days(timeline), "The tracking error below")

st.subheader(f"Book at {when} vs targets dated {target_date.isoformat()}")
sections.book(snapshot, views.unpriced_notes(snapshot.unpriced), timeline.height, thresholds.label)


# --- table, filter, download, chart: only this part redraws when the filter changes --------------
@st.fragment
def book_table() -> None:
    picked = None
    if classified:  # the filter is in the URL (`categories`, left out when every category is shown)
        every = list(te.CATEGORIES)
        init_from_url("pos_categories", "categories", lambda raw: parse_categories(raw, every), every)
        picked = st.multiselect(
            "Categories", options=every, key="pos_categories", help="Filter the table and the chart."
        )
        shown = [c for c in every if c in picked]
        set_url(categories=None if shown == every else (shown or "none"))
    table = views.table(snapshot.rows, picked)
    caption_column, download_column = st.columns([4, 1], vertical_alignment="bottom")
    if classified:
        caption_column.caption(
            f"{table.height} of {timeline.height} symbols · largest |actual − T+2 target| first "
            "· weights in % of equity · flip = closer to the T+1 target than to T+2, where they differ by "
            f"more than {fmt.pct(config.FLIP_MIN_TARGET_GAP, 2)}"
        )
    else:
        caption_column.caption(
            f"{table.height} symbols · largest |notional| first · nothing classified ({snapshot.state})"
        )
    # data as a callable: the CSV is built on click and served once, never stored while the page is shown
    download_column.download_button(
        "CSV",
        lambda: csv_export.csv_text(table),  # built on click, served once
        file_name=csv_export.file_name("positions", day, fmt.snapshot_file_tag(hour)),
        mime="text/csv",
        icon=":material/download:",
        help="The table as shown, weights as fractions of equity.",
    )
    sections.table_and_chart(table, classified, links.trades_drilldown_prefix(sidebar))


book_table()


# --- trades to target: the newest book against today's or the next targets (ui/positions/ticket.py) ---------
@st.fragment
def trades_to_target() -> None:
    st.subheader("Trades to target (newest positions round)")
    if sidebar.clock is None:
        st.info("The data's clock is unknown (ClickHouse did not answer): no ticket.", icon=":material/schedule:")
        return
    today = sidebar.clock.now.date()
    if "pos_targets" not in st.session_state:  # the session's first run: the link's target set
        st.session_state["pos_targets"] = url_value("targets", parse_target_set, tickets.TODAY)
    which = st.segmented_control(
        "Target set",
        list(tickets.TARGET_SETS),
        key="pos_targets",
        required=True,
        format_func=lambda w: (
            f"{'Today' if w == tickets.TODAY else 'Next rebalance'} · dated {tickets.target_date(w, today).isoformat()}"
        ),
        help="Today: the targets dated D−2, what the book should hold now. Next rebalance: the targets dated "
        "D−1, traded at the next 00:00 UTC, checked before they trade.",
    )
    set_url(targets=None if which == tickets.TODAY else which)
    ticket = load(rebalance.ticket, which, sidebar.clock, what="trades to target")
    if ticket is None:
        return
    left = st.container()
    if which == tickets.NEXT and ticket.has_targets:  # the pre-trade checks beside the next targets' ticket
        left, right = layout.beside()
        with right:
            st.markdown("**Checked before they trade**")
            result = load(rebalance.preflight, ticket.target_date, sidebar.clock, what="pre-trade checks")
            if result is not None:
                ticket_panel.checks_section(result)
    with left:
        ticket_panel.ticket_section(ticket_panel.ticket_view(ticket))
        if ticket.legs.height or ticket.dropped.height:
            st.download_button(
                "Ticket CSV",
                lambda: csv_export.csv_text(tickets.csv_frame(ticket)),  # built on click, served once
                file_name=csv_export.file_name("ticket", ticket.target_date, which),
                mime="text/csv",
                icon=":material/download:",
                key="pos_ticket_csv",
                help="The orders, then the legs not traded and why; weights as fractions of equity.",
            )


trades_to_target()

# --- reconciliation: fills-implied vs the exchange snapshot ---------------------------------
st.subheader("Reconciliation: fills vs exchange snapshot")
exchange = load(positions.exchange_positions_at, day, hour, what="exchange positions snapshot")
if exchange is not None:
    if exchange.height == 0:
        st.info(
            f"No exchange positions snapshot in the 7 days before the end of {when}: nothing to reconcile.",
            icon=":material/info:",
        )
    else:
        sections.reconciliation(
            views.reconcile(timeline, exchange), fmt.utc(exchange["snapshot_ts"].max(), seconds=True), exchange.height
        )

risk_section()
