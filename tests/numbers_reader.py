"""Read the desk's numbers from every surface that shows them, at one data moment (tests/test_numbers_agree.py).

chdb binds one database path per process, so each data moment is read in a process of its own:

    CLICKHOUSE_URL=chdb://<desk> python -m tests.numbers_reader <out.json>

The pages run through Streamlit's AppTest (the whole app: app.py, the sidebar, the page), the commands
through `cli.main` with their `--json` output captured (the argv of `python -m cli ...`). Every reading is the
text or the number a trader reads on that surface; the test compares them. Nothing here computes a number.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests import apptest_harness  # noqa: E402
from tests.apptest_support import shown  # noqa: E402

apptest_harness.lighten()

HOUR = 2  # the playbook's snapshot hour


def _cli(*argv: str) -> tuple[int, str]:
    """`python -m cli *argv` in this process: (exit code, stdout)."""
    import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return code, out.getvalue() if code in (0, 1) else err.getvalue()


def _cli_json(*argv: str) -> Any:
    code, text = _cli(*argv)
    if code not in (0, 1):
        return {"exit": code, "error": text.strip()}
    return json.loads(text)


def _page(page: str, query: dict[str, str]):
    """One page through the whole app, as a link with `query` opens it."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    if page != "pages/overview.py":  # a direct link: the session's first run is the page
        at.switch_page(page)
    at.run()
    if at.exception:
        raise RuntimeError(f"{page}: {[e.value for e in at.exception]}")
    return at


def _metrics(at) -> dict[str, dict[str, Any]]:
    return {m.label: {"value": m.value, "delta": m.proto.delta, "help": m.help} for m in at.main.metric}


def _texts(at, kind: str) -> list[str]:
    return [shown(str(e.value)) for e in getattr(at.main, kind)]


def _frame(at, first_column: str) -> list[dict]:
    for df in at.main.dataframe:
        v = df.value
        if list(v.columns)[:1] == [first_column]:
            return json.loads(v.to_json(orient="records", date_format="iso"))
    return []


def _charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _iso(d: date) -> str:
    return d.isoformat()


def read() -> dict[str, Any]:
    from answers.clock import desk_clock
    from lib import clock
    from ui.shell import router

    router.use_navigation()
    desk = desk_clock()
    as_of = desk.as_of
    assert as_of is not None
    today = as_of.date()
    te_day = clock.latest_complete_day(as_of, HOUR)  # the day "TE now" is about
    past = today - timedelta(days=1)  # a whole closed UTC day
    dd_from = today - timedelta(days=90)  # the drawdown alert's and the daily report's look-back
    week_ending = past
    week_start = week_ending - timedelta(days=6)
    out: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "today": _iso(today),
        "te_day": _iso(te_day),
        "past": _iso(past),
        "week_start": _iso(week_start),
        "week_ending": _iso(week_ending),
    }

    # --- pages -----------------------------------------------------------------------------------
    ov = _page("pages/overview.py", {"from": _iso(dd_from), "to": _iso(today)})
    out["overview"] = {
        "metrics": _metrics(ov),
        "captions": _texts(ov, "caption"),
        "subheaders": _texts(ov, "subheader"),
        "closest": _frame(ov, "coin"),
        "markdown": _texts(ov, "markdown"),
    }
    ov_day = _page("pages/overview.py", {"from": _iso(past), "to": _iso(past)})
    out["overview_past"] = {"markdown": _texts(ov_day, "markdown"), "subheaders": _texts(ov_day, "subheader")}
    ov_today = _page("pages/overview.py", {"from": _iso(today), "to": _iso(today)})
    out["overview_today"] = {"markdown": _texts(ov_today, "markdown"), "subheaders": _texts(ov_today, "subheader")}
    ov_24h = _page("pages/overview.py", {"range": "24h"})
    out["overview_24h"] = {"subheaders": _texts(ov_24h, "subheader")}

    pos = _page("pages/positions.py", {"date": _iso(te_day), "hour": str(HOUR)})
    out["positions"] = {
        "metrics": _metrics(pos),
        "risk": _frame(pos, "coin"),
        "warnings": _texts(pos, "warning"),
        "subheaders": _texts(pos, "subheader"),
    }
    pos_default = _page("pages/positions.py", {})
    out["positions_default"] = {
        "subheaders": _texts(pos_default, "subheader"),
        "warnings": _texts(pos_default, "warning"),
        "metrics": _metrics(pos_default),
        "query": dict(pos_default.query_params),
    }
    pos_today = _page("pages/positions.py", {"date": _iso(today), "hour": str(HOUR)})
    out["positions_today"] = {"metrics": _metrics(pos_today), "warnings": _texts(pos_today, "warning")}

    te_from = today - timedelta(days=13)
    tep = _page("pages/tracking_error.py", {"from": _iso(te_from), "to": _iso(today)})
    charts = _charts(tep)
    drivers_charts = _charts(
        _page("pages/tracking_error.py", {"from": _iso(te_from), "to": _iso(today), "section": "drivers"})
    )
    out["tracking_error"] = {
        "metrics": _metrics(tep),
        "infos": _texts(tep, "info"),
        "markdown": _texts(tep, "markdown"),
        "summary": _frame(tep, "category"),
        "story_day": str(tep.selectbox(key="te_day").value),
        "lag_strip": next((c for c in charts if "Effective execution lag" in json.dumps(c["layout"])), None),
        "category_counts": next(  # drawn in the "What drives the TE" tab (URL section=drivers)
            (c for c in drivers_charts if "Symbols per problem category" in json.dumps(c["layout"])), None
        ),
        "te_lines": next((c for c in charts if "ex_post" in json.dumps(c) or "Ex-post" in json.dumps(c)), None),
    }
    verdicts = {}
    story_bullets = {}
    for d in (te_day, te_day - timedelta(days=1), te_day - timedelta(days=2)):
        tep.selectbox(key="te_day").set_value(d).run()
        verdicts[_iso(d)] = next((m for m in _texts(tep, "markdown") if m.startswith("**Verdict:")), None)
        story_bullets[_iso(d)] = [m for m in _texts(tep, "markdown") if "Flips (" in m or "No flips (" in m]
    out["tracking_error"]["verdicts"] = verdicts
    out["tracking_error"]["stories"] = story_bullets

    for key, lo, hi in (("trades_past", past, past), ("trades_week", week_start, week_ending)):
        tr = _page("pages/trades.py", {"from": _iso(lo), "to": _iso(hi)})
        out[key] = {"metrics": _metrics(tr)}
    tr24 = _page("pages/trades.py", {"range": "24h"})
    out["trades_24h"] = {"captions": _texts(tr24, "caption")}

    sh = _page("pages/system_health.py", {})
    out["system_health"] = {
        "metrics": _metrics(sh),
        "tables": _frame(sh, "Table"),
        "monitors": _frame(sh, "Monitor"),
        "captions": _texts(sh, "caption"),
        "text": "\n".join(_texts(sh, "markdown") + _texts(sh, "caption") + _texts(sh, "warning")),
    }
    out["sidebar_captions"] = [shown(str(c.value)) for c in sh.sidebar.caption]

    # --- commands --------------------------------------------------------------------------------
    state = Path(os.environ["DESK_ALERT_STATE"])
    state.parent.mkdir(parents=True, exist_ok=True)
    out["cli_report"] = _cli_json("report", "--date", _iso(te_day), "--json")
    code, text = _cli("report", "--date", _iso(te_day))
    out["cli_report_text"] = text
    out["cli_report_today"] = {"exit": _cli("report", "--date", _iso(today), "--json")[0]}
    out["cli_lag"] = _cli_json("lag", "--from", _iso(te_from), "--to", _iso(today), "--json")
    out["alerts"] = _cli_json("alerts", "check", "--json")
    out["daily_te_day"] = _cli_json("daily", "--date", _iso(te_day), "--format", "json")
    out["daily_today"] = _cli_json("daily", "--date", _iso(today), "--format", "json")
    out["daily_past"] = _cli_json("daily", "--date", _iso(past), "--format", "json")
    out["daily_week"] = {
        _iso(week_start + timedelta(days=i)): _cli_json(
            "daily", "--date", _iso(week_start + timedelta(days=i)), "--format", "json"
        )["monitors"]
        for i in range(7)
    }
    out["weekly"] = _cli_json("weekly", "--week-ending", _iso(week_ending), "--format", "json")
    out["weekly_today"] = _cli_json("weekly", "--week-ending", _iso(today), "--format", "json")
    return out


def main() -> None:
    target = Path(sys.argv[1])
    readings = read()
    target.write_text(json.dumps(readings, default=str, indent=1))


if __name__ == "__main__":
    main()
