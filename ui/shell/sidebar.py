"""The shared sidebar: data source, data as of, refresh, global date range.

`render()` draws it and returns what the pages need as a `Selection` (the
account, the range, the data-as-of time). app.py holds that value for the page's run
(`selected`); a page reads it with `selection()`. A page's fragment receives
it as an argument, since a fragment rerun does not run app.py.
"""

from __future__ import annotations

import time as time_module
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from lib import clock, config
from lib import format as fmt
from lib.clickhouse.client import DeskClient
from lib.clock import DeskClock
from lib.health import rules as health_rules
from lib.inputs import ALL_ACCOUNTS, parse_account, parse_refresh
from lib.ranges import preset_bounds
from queries.book import accounts
from queries.engine import scope
from queries.health import health
from ui.data import load
from ui.shell import preload
from ui.state import PRESET_KEY, global_range, set_url, url_value

REFRESH_KEY = "refresh_every"
ACCOUNT_KEY = "account_choice"


@dataclass(frozen=True)
class Selection:
    """What the sidebar decided for this run."""

    start: date  # first UTC day of the global range
    end: date  # last UTC day of the global range (inclusive)
    as_of: datetime | None  # newest account snapshot, None when unknown or unreadable
    refresh_s: int = config.DEFAULT_REFRESH_S  # auto-refresh interval, 0 = off
    lo: datetime | None = None  # the range as a UTC window [lo, hi): intraday for the 24 h preset
    hi: datetime | None = None
    account: str | None = None  # the account every query reads; None = all of them (summed)
    clock: DeskClock | None = None  # the data's clock (lib/clock.py): as_of, the server's now, the first day

    @property
    def window(self) -> tuple[date | datetime, date | datetime]:
        """(start, end) for a query that can read a time window: datetimes for an intraday range, else days."""
        if self.lo is not None and self.hi is not None and self.lo.time() != time(0):
            return self.lo, self.hi
        return self.start, self.end

    def link_params(self, **extra: object) -> dict[str, str]:
        """Query parameters that carry this range (and `extra`) to another page."""
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.account is not None:
            out["account"] = self.account
        if self.refresh_s != config.DEFAULT_REFRESH_S:
            out["every"] = str(self.refresh_s)
        out.update({k: v.isoformat() if isinstance(v, date) else str(v) for k, v in extra.items() if v is not None})
        return out


_current: ContextVar[Selection | None] = ContextVar("desk_sidebar_selection", default=None)


@contextmanager
def selected(value: Selection) -> Iterator[Selection]:
    """Hold the sidebar's selection while app.py runs the page."""
    token = _current.set(value)
    try:
        yield value
    finally:
        _current.reset(token)


def selection() -> Selection:
    """The sidebar's selection for this run (a page run outside app.py gets today and no data-as-of)."""
    value = _current.get()
    if value is None:
        today = datetime.now(UTC).date()
        return Selection(today, today, None)
    return value


def _desk_clock() -> DeskClock | None:
    """The data's clock (lib.clock.from_data_as_of, as every report and alert reads it); None when the query
    itself failed (already explained)."""
    df = load(health.data_as_of, what="data as of", where=st.sidebar)
    if df is None:
        return None
    return clock.from_data_as_of(df.row(0, named=True) if df.height else None)


def refreshed(chosen: Selection) -> Selection | None:
    """`chosen` with the data's clock read again, for a page refreshed in place (ui/shell/refresh.py): a range
    preset moves with the newest data (the 24 h window by the minute). None when the range's UTC days moved
    (a new day): the sidebar shows them, so the whole app must rerun. A failed read keeps `chosen` (the page
    says what failed)."""
    df = load(health.data_as_of, what="data as of")
    if df is None:
        return chosen
    now = clock.from_data_as_of(df.row(0, named=True) if df.height else None)
    if now.as_of is None:
        return chosen
    preset = st.session_state.get(PRESET_KEY)
    bounds = preset_bounds(preset, now.as_of, now.first_day) if preset else None
    if bounds is not None and (bounds.start, bounds.end) != (chosen.start, chosen.end):
        return None
    fresh = replace(chosen, as_of=now.as_of, clock=now)
    return replace(fresh, lo=bounds.lo, hi=bounds.hi) if bounds is not None and chosen.lo is not None else fresh


def _account_choice() -> str | None:
    """The account selector (URL `account`), shown when the desk has several accounts. It decides the
    scope of every query of the session (queries/engine/scope.py) before any of them runs."""
    listed = load(accounts.account_list, what="accounts", where=st.sidebar)
    names = accounts.names(listed)
    if ACCOUNT_KEY not in st.session_state:
        wanted = url_value("account", lambda raw: parse_account(raw) or ALL_ACCOUNTS, ALL_ACCOUNTS)
        if wanted != ALL_ACCOUNTS and names and wanted not in names:
            st.sidebar.warning(
                f"Ignored URL parameter `account`: this desk has no account {fmt.md_text(wanted)}. "
                "Showing all accounts.",
                icon=":material/warning:",
            )
            wanted = ALL_ACCOUNTS
        st.session_state[ACCOUNT_KEY] = wanted
    choice: str | None = None
    if len(names) > 1:
        options = [ALL_ACCOUNTS, *names]
        if st.session_state[ACCOUNT_KEY] not in options:  # the account left the desk's tables
            st.session_state[ACCOUNT_KEY] = ALL_ACCOUNTS
        picked = st.sidebar.selectbox(
            "Account",
            options,
            key=ACCOUNT_KEY,
            format_func=lambda a: fmt.account_label(None if a == ALL_ACCOUNTS else a),  # plain text: not Markdown
            help="Every number on every page is for this account. All accounts: equity, PnL and exposure "
            "summed per monitor round; transfers between the desk's accounts are not deposits.",
        )
        choice = None if picked == ALL_ACCOUNTS else picked
    elif names:
        st.sidebar.caption(f"Account: {fmt.md_text(fmt.account_label(names[0]))}")
    set_url(account=choice)
    scope.remember(scope.resolve(choice, names))
    return choice


RUN_STARTED_AT = "_desk_run_started_at"  # session state: monotonic seconds
RUN_FINISHED_AT = "_desk_run_finished_at"
LAST_RUN_S = "_desk_last_run_s"
_clock = time_module.monotonic  # the run timer's clock (a test replaces it)
_refresh_note: ContextVar[Any] = ContextVar("desk_refresh_note", default=None)


def refresh_due(now: float, finished_at: float | None, started_at: float | None, every: int) -> bool:
    """Whether the auto-refresh reruns the page now: `every` seconds after the END of the last completed
    run, never while a run is in progress (one started after the last one finished). Counting from the
    start instead restarted a page whose run is slower than the interval as soon as it finished, for
    ever (with 3 s queries a 1-minute refresh never let the page rest and sent ClickHouse 3.7x the queries)."""
    if not every or finished_at is None:
        return False
    if started_at is not None and started_at > finished_at:
        return False
    return now - finished_at >= every


def tick_seconds(every: int) -> int:
    """How often the timer asks `refresh_due`: a sixth of the interval (at least 5 s), so a refresh comes
    between `every` and `every` + a sixth after the end of the run."""
    return max(5, every // 6)


def slower_note(last_run_s: float | None, every: int) -> str | None:
    """'Refresh is slower than asked (last run 74 s)' when the last completed run took longer than the
    interval; None otherwise."""
    if not every or last_run_s is None or last_run_s <= every:
        return None
    return f"Refresh is slower than asked (last run {last_run_s:.0f} s, refresh every {every} s)."


def _auto_refresh(every: int, full_page: bool = True) -> None:
    """Rerun the whole page `every` seconds (0 = off) after the previous run ENDED, keeping widgets and URL.

    A timer fragment in the sidebar asks `refresh_due` every `tick_seconds`; the run's start is recorded
    by `render` and its end by `timed_run` (app.py). Streamlit queues a timer's fragment run behind a full run
    instead of interrupting it, so a slow page always completes. The rerun is cheap: query results come
    from st.cache_data until their TTL (lib/config.py) expires, views and sections replay while the data
    is unchanged; so the TTLs decide freshness and the ages ("x min ago") tick.
    """
    note = st.sidebar.empty()  # the previous run's note now; timed_run rewrites it when this run ends
    _refresh_note.set(note)
    text = slower_note(st.session_state.get(LAST_RUN_S), every)
    if text:
        note.caption(f":material/hourglass_bottom: {text}")
    if not every or not full_page:  # a page of live panels refreshes them in place (ui/shell/refresh.py)
        return

    @st.fragment(run_every=tick_seconds(every))
    def tick() -> None:
        state = st.session_state
        if refresh_due(_clock(), state.get(RUN_FINISHED_AT), state.get(RUN_STARTED_AT), every):
            st.rerun()

    with st.sidebar:
        tick()


def _run_finished(every: int, draw: bool) -> None:
    now = _clock()
    started = st.session_state.get(RUN_STARTED_AT)
    st.session_state[RUN_FINISHED_AT] = now
    if started is None:
        return
    st.session_state[LAST_RUN_S] = now - started
    note, text = _refresh_note.get(), slower_note(now - started, every)
    if draw and note is not None:
        if text:
            note.caption(f":material/hourglass_bottom: {text}")
        else:
            note.empty()


@contextmanager
def timed_run(every: int) -> Iterator[None]:
    """Around the page's run (app.py): record when it ended, so the next auto-refresh counts from there.

    A run that ends (normally, by st.stop or with an error the page shows) counts; one cut short by a
    rerun (a click, st.rerun) does not: the run that replaces it will end. After st.stop nothing more
    can be drawn, so the slower-than-asked note then waits for the next run's sidebar."""
    from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

    try:
        yield
    except RerunException:
        raise
    except StopException:
        _run_finished(every, draw=False)
        raise
    except Exception:
        _run_finished(every, draw=False)
        raise
    _run_finished(every, draw=True)


# Streamlit's date box commits a typed date on Escape or when focus leaves it, not on Enter. A trader types
# a range and presses Enter: inside a date box, Enter is answered with the box's own commit key. A constant
# script (nothing from a user or the data), installed once per browser tab.
_ENTER_COMMITS_DATES = """<script>
if (!window.__deskEnterCommitsDates) {
  window.__deskEnterCommitsDates = true;
  document.addEventListener("keydown", (event) => {
    const box = event.target && event.target.closest && event.target.closest('[data-testid="stDateInputField"]');
    if (event.key === "Enter" && box) {
      event.target.dispatchEvent(new KeyboardEvent("keydown", {key: "Escape", bubbles: true, cancelable: true}));
    }
  }, true);
}
</script>"""


def _enter_commits_dates(charts: bool = True) -> None:
    """The date boxes' Enter, and (same element, so nothing new takes space) the chart and grid code's preload
    (ui/shell/preload.py): the sidebar is drawn before the page, so that code loads while the page runs. `charts`:
    the page's first screen draws a chart (preload.first_view_draws_charts)."""
    with st.sidebar:
        st.html(
            _ENTER_COMMITS_DATES.replace("<script>", "<script>\n" + preload.script(charts=charts), 1),
            unsafe_allow_javascript=True,
            width="content",
        )


def _refresh_control() -> int:
    if REFRESH_KEY not in st.session_state:
        st.session_state[REFRESH_KEY] = url_value("every", parse_refresh, config.DEFAULT_REFRESH_S)
    every = st.sidebar.segmented_control(
        "Auto-refresh",
        list(config.REFRESH_CHOICES_S),
        key=REFRESH_KEY,
        required=True,
        format_func=lambda s: "off" if s == 0 else (f"{s} s" if s < 60 else f"{s // 60} min"),
        help="Rerun this page on a timer; every selection and the URL stay as they are.",
    )
    every = config.DEFAULT_REFRESH_S if every is None else int(every)
    set_url(every=None if every == config.DEFAULT_REFRESH_S else every)
    return every


def source_status(client: DeskClient) -> str:
    """What the source box shows: down (the latest query met an endpoint failure), secondary, or ok."""
    if client.outage is not None:
        return "down"
    return "secondary" if client.active == "secondary" else "ok"


def follow_source_status(client: DeskClient) -> None:
    """For a fragment that re-runs on a timer (System Health): the sidebar is drawn only by full
    runs, so when the endpoint's state changed since it was drawn, rerun the whole app once."""
    drawn = st.session_state.get("_source_status")
    if st.session_state.pop("_sidebar_this_run", False):
        return  # the sidebar was drawn in this very run; the next tick compares again
    if drawn is not None and drawn != source_status(client):
        st.rerun(scope="app")


def render(client: DeskClient, in_place: bool = False, charts: bool = True) -> Selection:
    """Draw the sidebar and return the global UTC date range and the data-as-of time. `in_place`: the page
    refreshes its live panels itself (ui/shell/refresh.py), so the sidebar's full-page timer stays off. `charts`:
    the page's first screen draws a chart, so the chart code is preloaded (ui/shell/preload.py)."""
    st.session_state[RUN_STARTED_AT] = _clock()  # the page's run starts here; timed_run records its end
    sb = st.sidebar
    source_box = sb.container()
    account = _account_choice()
    desk_clock = _desk_clock()
    as_of: datetime | None | bool = False if desk_clock is None else desk_clock.as_of
    first_day = desk_clock.first_day if desk_clock is not None else None
    status = source_status(client)
    st.session_state["_source_status"] = status
    st.session_state["_sidebar_this_run"] = True
    src = fmt.md_text(client.description)
    with source_box:
        if as_of is False or status == "down":
            reason = f" — {fmt.md_text(client.outage.headline.split(' — ')[0])}" if client.outage is not None else ""
            st.error(f"**Data source:** {src}{reason}", icon=":material/cloud_off:")
        elif status == "secondary":
            st.warning(f"**Data source:** {src} — the primary endpoint is not answering.", icon=":material/swap_horiz:")
        elif client.settings.embedded_default:
            st.info(f"**Data source:** {src} ({fmt.md_text(client.settings.primary.path)})", icon=":material/science:")
        else:
            st.success(f"**Data source:** {src}", icon=":material/database:")

    if as_of is False:
        as_of = None
        as_of_box = None
    else:
        as_of_box = sb.container()  # drawn once the refresh interval is known: it ticks with it

    if sb.button("↻ Refresh data", help="Clear cached query results and reload from ClickHouse"):
        st.cache_data.clear()
        st.rerun()

    bounds = global_range(as_of or datetime.now(UTC), first_day)
    _enter_commits_dates(charts)
    every = _refresh_control()
    if as_of_box is not None:
        with as_of_box:
            _data_as_of(as_of, every if in_place else 0)
    _auto_refresh(every, full_page=not in_place)
    sb.caption("All times are UTC.")
    return Selection(bounds.start, bounds.end, as_of, every, bounds.lo, bounds.hi, account, desk_clock)


def _as_of_line(as_of: datetime | None) -> None:
    """The sidebar's 'Data as of' line, in the current container, with the age it has now."""
    if as_of is None:
        st.error("**Data as of:** unknown — the account snapshot table is empty.")
        return
    age_s = (datetime.now(UTC) - as_of).total_seconds()
    text = f"**Data as of:** {fmt.utc(as_of)} ({fmt.ago(age_s)})"
    status, why = health_rules.data_as_of_status(age_s)
    if status == health_rules.OK:
        st.caption(text)
    else:  # the same rule that makes System Health call the account table LATE / DOWN
        st.warning(f"{text} — account snapshots {status}: {why}.", icon=":material/schedule:")


def _data_as_of(as_of: datetime | None, every: int) -> None:
    """The 'Data as of' line; with a page refreshed in place (`every` > 0) a fragment of its own, redrawn on the
    same interval with the data's clock read again (its query cached for TTL_LIVE), so its "x ago" and its
    LATE/DOWN warning tick while the sidebar is not rerun."""

    @st.fragment(run_every=every or None)
    def line() -> None:
        ctx = get_script_run_ctx()
        newest = as_of
        if ctx is not None and ctx.fragment_ids_this_run:  # the timer's run: read the clock again
            df = load(health.data_as_of, what="data as of")
            read = clock.from_data_as_of(df.row(0, named=True) if df is not None and df.height else None)
            newest = read.as_of if df is not None else as_of
        _as_of_line(newest)

    if every:
        line()
    else:
        _as_of_line(as_of)


def _scope_words() -> str:
    """Whose numbers these are, on a desk with several accounts (a screenshot must say it too)."""
    current = scope.current()
    if current.account is not None:
        return f" · account {fmt.md_text(fmt.account_label(current.account))}"
    return " · all accounts, summed" if current.combined else ""


def data_as_of_line(as_of: datetime | None) -> None:
    """The 'data as of' caption every page shows under its title."""
    if as_of is None:
        st.caption(f"Data as of: unknown (no account snapshot readable){_scope_words()}")
    else:
        st.caption(f"Data as of {fmt.utc(as_of)} · {fmt.age_since(as_of)} · all times UTC{_scope_words()}")
