"""Credentials never leave the configuration; sign-in allow-list.

A password configured through the environment or through secrets must not
appear on any page, in any log record or on stdout/stderr, whatever failure
the connection meets. (Writes being refused is tested in
tests/lib/clickhouse/test_client.py, at the one query choke point.)
"""

from __future__ import annotations

import base64
import logging
import time
from pathlib import Path

import pytest

from lib.clickhouse.client import DeskClient
from lib.clickhouse.endpoints import ClientSettings, endpoint_from_url, resolve_settings
from lib.clickhouse.errors import QueryFailed
from tests.fault_servers import fault_server, free_port
from tests.test_reliability import PAGES, texts
from ui.shell import router

ROOT = Path(__file__).resolve().parent.parent
SECRET = "Hunter2-S3cr3t-Pa55"
B64 = base64.b64encode(f"reader:{SECRET}".encode()).decode()
LOGGERS = ("", "streamlit", "clickhouse_connect", "urllib3", "lib", "queries", "ui")


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception:  # a record that cannot be formatted is still inspected raw
            self.lines.append(f"{record.msg!r} {record.args!r}")


@pytest.fixture
def logs():
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s %(exc_info)s"))
    saved = []
    for name in LOGGERS:
        lg = logging.getLogger(name)
        own = [h for h in lg.handlers if isinstance(h, logging.StreamHandler)]
        saved.append((lg, lg.level, own))
        for h in own:  # their streams may be pytest's, closed by now: collect instead of printing
            lg.removeHandler(h)
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler
    for lg, level, own in saved:
        lg.removeHandler(handler)
        for h in own:
            lg.addHandler(h)
        lg.setLevel(level)


@pytest.fixture
def open_page(desk_client, fresh_caches, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    router.use_navigation()
    monkeypatch.setenv("DESK_QUERY_TIME_LIMIT_S", "1")
    monkeypatch.setenv("DESK_CONNECT_TIMEOUT_S", "1")

    def run(page: str, env: dict | None = None, secrets: dict | None = None):
        for k, v in (env or {}).items():
            if v is None:
                monkeypatch.delenv(k, raising=False)
            else:
                monkeypatch.setenv(k, v)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        for k, v in (secrets or {}).items():
            at.secrets[k] = v
        if page != "pages/overview.py":  # a direct link: the session's first run is the page
            st.cache_resource.clear()
            st.cache_data.clear()
            at.switch_page(page)
        at.run()
        return at

    return run


KINDS = ["unreachable", "auth401", "proxy401", "http500", "http502", "timeout159", "hang"]


def _url(kind: str, srv) -> str:
    if kind == "unreachable":
        return f"http://reader:{SECRET}@127.0.0.1:{free_port()}/maicro_monitors"
    return srv.url(password=SECRET)


def _assert_no_secret(at, logs, capfd) -> None:
    out, err = capfd.readouterr()
    body = texts(at)
    exceptions = " ".join(str(getattr(e, "value", e)) for e in at.exception)
    for blob, where in (
        (body, "page"),
        ("\n".join(logs.lines), "logs"),
        (out + err, "stdout/stderr"),
        (exceptions, "exception box"),
    ):
        assert SECRET not in blob, where
        assert B64 not in blob, where


@pytest.mark.parametrize("kind", KINDS)
def test_password_from_environment_never_shown_or_logged(open_page, logs, capfd, kind):
    for page in PAGES:
        if kind == "unreachable":
            at = open_page(page, {"CLICKHOUSE_URL": _url(kind, None)})
        else:
            with fault_server(kind) as srv:
                at = open_page(page, {"CLICKHOUSE_URL": _url(kind, srv)})
        assert not at.exception, page
        assert "127.0.0.1" in texts(at)  # it did fail, and said where
        _assert_no_secret(at, logs, capfd)


def test_password_from_secrets_never_shown_or_logged(open_page, logs, capfd, monkeypatch):
    from streamlit.runtime.secrets import AttrDict

    from queries.engine.connection import ClickHouseConnection

    with fault_server("auth401") as srv:
        section = {
            "host": "127.0.0.1",
            "port": srv.port,
            "username": "reader",
            "password": SECRET,
            "database": "maicro_monitors",
        }
        # what st.connection reads from [connections.clickhouse] in .streamlit/secrets.toml
        monkeypatch.setattr(ClickHouseConnection, "_secrets", property(lambda self: AttrDict(section)))
        for page in PAGES:
            at = open_page(page, {"CLICKHOUSE_URL": None})
            assert not at.exception, page
            assert "ClickHouse refused the credentials" in texts(at)
            _assert_no_secret(at, logs, capfd)
    assert srv.hits, "the secrets endpoint was never contacted"


def test_system_health_shows_endpoints_without_credentials(open_page, desk_url, logs, capfd):
    at = open_page(
        "pages/system_health.py",
        {
            "CLICKHOUSE_URL": f"http://reader:{SECRET}@127.0.0.1:{free_port()}/maicro_monitors",
            "CLICKHOUSE_SECONDARY_URL": desk_url,
        },
    )
    assert not at.exception
    body = texts(at)
    assert "(secondary)" in body and f"secondary: embedded chdb:{desk_url[len('chdb://') :]}" in body
    assert "reader@" not in body and "reader:" not in body  # the user name is not shown either
    _assert_no_secret(at, logs, capfd)


def test_reprs_and_errors_hold_no_password():
    ep = endpoint_from_url(f"https://reader:{SECRET}@ch.example:8443/db")
    settings = ClientSettings(primary=ep, secondary=ep)
    client = DeskClient(settings)
    for text in (repr(ep), str(ep), repr(settings), ep.label, client.description):
        assert SECRET not in text
    err = QueryFailed("auth", ep.label, f"password={SECRET}")
    assert SECRET in err.detail  # QueryFailed carries what it is given; classify_error scrubs (below)
    from lib.clickhouse.errors import classify_error

    for raw in (
        f"Code: 516. bad password {SECRET}",
        f"http://reader:{SECRET}@ch.example:8443 refused",
        f"password={SECRET} rejected",
    ):
        assert SECRET not in str(classify_error(RuntimeError(raw), ep))


def test_environment_beats_secrets_and_neither_leaks_into_settings_repr():
    s = resolve_settings(
        {"CLICKHOUSE_URL": f"http://env:{SECRET}@e:8123/db"}, {"host": "s", "password": "other-secret"}
    )
    assert s.primary.host == "e" and SECRET not in repr(s) and "other-secret" not in repr(s)


def test_hang_leaks_nothing_quickly():
    with fault_server("hang") as srv:
        client = DeskClient(
            ClientSettings(
                primary=endpoint_from_url(srv.url(password=SECRET)), connect_timeout_s=1, query_time_limit_s=1
            )
        )
        t0 = time.perf_counter()
        with pytest.raises(QueryFailed) as info:
            client.query_arrow("SELECT 1")
        assert time.perf_counter() - t0 < 6
        assert SECRET not in str(info.value)


# ------------------------------------------------------------------ sign-in


@pytest.mark.parametrize(
    "email,allow,expected",
    [
        ("pm@desk.example", ["pm@desk.example"], True),
        ("  PM@Desk.Example ", ["pm@desk.example"], True),  # case and spaces do not matter
        ("pm@desk.example", [" pm@desk.example "], True),
        ("intruder@desk.example", ["pm@desk.example"], False),
        ("pm@desk.example.evil.com", ["pm@desk.example"], False),  # no prefix/suffix matching
        ("desk.example", ["pm@desk.example"], False),
        ("", ["pm@desk.example"], False),
        (None, ["pm@desk.example"], False),
        ("pm@desk.example", [], False),  # an empty allow-list lets nobody in
        ("pm@desk.example", ["", "  "], False),
        ("*", ["*"], True),  # a literal entry, not a wildcard: only the address "*" matches
        ("anyone@desk.example", ["*"], False),
    ],
)
def test_allow_list(email, allow, expected):
    from ui.shell.auth import allowed

    assert allowed(email, allow) is expected


@pytest.mark.parametrize(
    "path,root_path,expected",
    [
        ("/media/0123abcd.csv", "", True),
        ("/_stcore/metrics", "", True),
        ("/static/media/SourceSansVF-Upright.ttf.woff2", "", False),  # Streamlit's own fonts: for everyone
        ("/static/media/KaTeX_Main-Regular.woff2", "", False),
        ("/static/js/index.js", "", False),
        ("/_stcore/health", "", False),  # the load balancer's check
        ("/", "", False),
        ("/static/../media/0123abcd.csv", "", True),  # dot segments resolved
        ("/desk/media/0123abcd.csv", "/desk", True),  # behind a proxy that sets root_path
        ("/desk/static/media/font.woff2", "/desk", False),
    ],
)
def test_serve_py_gates_media_and_metrics_but_not_streamlit_static_media(path, root_path, expected):
    """`/static/media/` is where Streamlit serves its fonts: a signed-out visitor needs them for the sign-in
    screen. Only Streamlit's `/media/` route (download files) and the metrics are gated."""
    from serve import SessionGate

    assert SessionGate._protected({"path": path, "root_path": root_path}) is expected


def test_serve_py_gate_follows_the_base_url_path():
    from serve import gated_route

    assert gated_route("/desk/media/x.csv", "desk") and gated_route("/desk/_stcore/metrics", "/desk/")
    assert not gated_route("/desk/static/media/x.woff2", "desk")
    assert gated_route("/media/x.csv", "desk")  # a route without the prefix is still gated


# ------------------------------------------- markup from the data or a URL is text
#
# Every Streamlit call that renders Markdown (st.markdown, captions, alerts, metric label/value/delta/
# help, badges, expander/tab/popover labels, widget labels and help) must not interpolate a value that
# could hold Markdown unless it went through lib.format.md_text. Checked on the AST of pages/ and ui/:
# each `{...}` of an f-string, each operand of `+`, each argument of `.format()` and each element a
# `.join()` joins, in the text a call receives. Known safe without escaping:
# - a number or time formatted by lib.format (usd, pct, utc, age, ...) or by a numeric/strftime format
#   spec (`{n:,}`, `{x:.2f}`, `{day:%Y-%m-%d}`), `len()`, `int()`, `round()`, a date's `.isoformat()`;
# - constants: literals, UPPER_CASE names, `config.*`, a lookup in an UPPER_CASE mapping;
# - counts by the project's naming: `.height`, a name, attribute or key `n_*`;
# - a parameter annotated int/float/bool/date/datetime, a name the module only ever assigns a safe value.
# A value that is none of these must be passed through `fmt.md_text` at the call (or be added to
# KNOWN_SAFE below with the reason).

import ast as _ast  # noqa: E402

MARKDOWN_CALLS = {
    "markdown", "caption", "warning", "info", "error", "success", "toast", "metric", "badge", "expander",
    "tabs", "popover", "title", "header", "subheader", "write", "status", "page_link", "button",
    "download_button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "segmented_control", "pills",
    "text_input", "number_input", "date_input", "slider", "select_slider",
}  # fmt: skip
MARKDOWN_KWARGS = {"label", "help", "body", "value", "delta"}
SAFE_FUNCTIONS = {
    "md_text", "plot_text", "plain_text", "usd", "pct", "pp", "bps", "number", "age", "countdown", "utc", "age_since",
    "weight", "snapshot_when", "snapshot_hour_option", "snapshot_file_tag", "hours_span", "len", "int",
    "round", "abs", "float", "isoformat", "strftime", "bool", "window_text", "snapshot_hour_text", "drawdown",
    "checkpoint_label", "leverage",
    "plural",  # a count and the noun the caller wrote: a literal at every call
    "agree",  # one of the two words the caller wrote: literals at every call
}  # fmt: skip
SAFE_ANNOTATIONS = {"int", "float", "bool", "date", "datetime", "timedelta", "None", "Optional"}
# (file, expression) a reader can check is not from the data (or is Markdown escaped where it is built), and why
KNOWN_SAFE: dict[tuple[str, str], str] = {
    ("pages/overview.py", "alerts_panel.badge_text(firing)"): "a count of alerts in words",
    ("pages/positions.py", "snapshot.state"): "one of lib.tracking.snapshot's state constants",
    ("pages/tracking_error.py", "thresholds.label"): "Thresholds.label: two numbers and a validated rule",
    ("pages/positions.py", "note[:1].upper()"): "lib.clock.pending_note: dates and hours in words",
    ("pages/positions.py", "note[1:]"): "lib.clock.pending_note: dates and hours in words",
    ("pages/tracking_error.py", "note[:1].upper()"): "lib.clock.pending_note: dates and hours in words",
    ("pages/tracking_error.py", "note[1:]"): "lib.clock.pending_note: dates and hours in words",
    ("pages/tracking_error.py", "last_complete"): "lib.clock.latest_complete_day: a date",
    ("ui/overview/sections.py", "span"): "fmt.window_text of the sidebar window (pages/overview.py)",
    ("ui/mandate.py", "what"): "callers pass a constant phrase naming the page's number",
    ("ui/mandate.py", "'\\n'.join(lines)"): "lines built above with fmt.md_text",
    ("ui/overview/rebalance.py", "counts"): "counts per completion state constant",
    ("ui/positions/ticket.py", "color"): "a colour name from the literal mapping",
    ("ui/trades/orders.py", "start"): "a date of the sidebar range",
    ("ui/trades/orders.py", "end"): "a date of the sidebar range",
    ("ui/state.py", "why"): "url_replaced's callers pass a sentence of the code",
    (
        "ui/system_health/data_quality.py",
        "'; '.join(odd_rows.null_key_parts(counts))",
    ): "lib.health.odd_rows.null_key_parts: counts and contract key column names",
    ("ui/system_health/sections.py", "server_version.oldest_tested()"): "config.OLDEST_TESTED_SERVER_VERSION, dotted",
    ("ui/system_health/sections.py", "untested"): "server_version.untested_warning: parsed integers and constants",
    ("ui/tracking_error/shortfall.py", "'  \\n'.join(view.lines)"): "_view escapes every line it builds from data",
    ("ui/alerts_panel.py", "line"): "counts per alert state (STATE_ORDER constants)",
    ("ui/overview/sections.py", "label"): "pnl.window_label: a window name and dates",
    ("ui/overview/sections.py", "problems_text"): "charts.category_text: counts per TE category constant",
    (
        "ui/overview/sections.py",
        "charts.mark_text(w['unrealized_start_ts'], w['unrealized_start'])",
    ): "a time or a word",
    ("ui/overview/sections.py", "charts.mark_text(w['unrealized_end_ts'], w['unrealized_end'])"): "a time or a word",
    (
        "ui/overview/sections.py",
        "charts.missing_text(x.get('missing_coins'), x.get('missing_usd'))",
    ): "escapes the coins",
    ("ui/positions/sections.py", "cat"): "a TE category constant (te.CATEGORIES)",
    ("ui/positions/sections.py", "thresholds_label"): "Thresholds.label: two numbers and a validated rule",
    ("ui/positions/sections.py", "snapshot_taken"): "fmt.utc of the snapshot time (pages/positions.py)",
    ("ui/positions/sections.py", "notes"): "lines of lib.tracking.snapshot.unpriced_notes, which escapes the names",
    ("ui/shell/sidebar.py", "status"): "a health status constant (lib.health.rules)",
    ("ui/shell/sidebar.py", "why"): "lib.health.rules.data_as_of_status: an age in words",
    ("ui/shell/sidebar.py", "_scope_words()"): "escapes the account name it quotes",
    ("ui/shell/sidebar.py", "text"): "slower_note (two numbers) or the data-as-of line (fmt.utc, fmt.age)",
    ("ui/state.py", "name"): "a URL parameter name: a literal of the code, inside a code span",
    ("ui/state.py", "_fallback_words(default)"): "escapes the default it shows",
    ("ui/system_health/answer.py", "monitors_line"): "lib.health.answer.monitors_line escapes names, encodes links",
    ("ui/system_health/answer.py", "sentence"): "lib.health.answer.sync_sentence escapes the table names",
    ("ui/system_health/data_quality.py", "line"): "counts per contract status constant",
    ("ui/system_health/sections.py", "title"): "a constant panel title",
    ("ui/odd_rows.py", "sentence"): "lib.health.odd_rows.null_key_sentence: counts and contract key column names",
    ("ui/tracking_error/shortfall_charts.py", "name.split(' (')[0]"): "a trace name from the literal tuple above",
    ("ui/trades/charts.py", "name"): "Buy or Sell, from the literal tuple above",
    ("ui/system_health/sections.py", "status or 'not available'"): "a health status constant",
    ("ui/tracking_error/sections.py", "s['latest_day'] or fmt.MISSING"): "a date",
    ("ui/data.py", "_explain(err, what)"): "failure_text: escapes what, the headline and the detail",
    ("ui/data.py", "_drift_line(drift)"): "escapes the note",
    ("ui/overview/charts.py", "name"): "a series name from the constant tuple it loops over",
    ("ui/overview/regimes.py", "name"): "bars() is called with constant series names",
    ("ui/tracking_error/charts.py", "cat"): "a TE category constant (the callers pass te.CATEGORIES subsets)",
}


KNOWN_SAFE_USED: set[tuple[str, str]] = set()


def _safe_fields() -> set[str]:
    """Attribute names every class of lib/, answers/ and ui/ that declares them annotates as a number or time."""
    verdicts: dict[str, set[bool]] = {}
    for folder in ("lib", "answers", "ui"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.is_relative_to(ROOT / "lib" / "demo"):  # the generator draws nothing
                continue
            for cls in _ast.walk(_ast.parse(path.read_text())):
                if isinstance(cls, _ast.ClassDef):
                    for stmt in cls.body:
                        if isinstance(stmt, _ast.AnnAssign) and isinstance(stmt.target, _ast.Name):
                            verdicts.setdefault(stmt.target.id, set()).add(_Safety._annotation_safe(stmt.annotation))
    return {name for name, v in verdicts.items() if v == {True}}


def _numeric_spec(spec: _ast.JoinedStr | None) -> bool:
    text = "".join(v.value for v in (spec.values if spec else []) if isinstance(v, _ast.Constant))
    return bool(text) and ("%" in text or text[-1] in "bcdeEfFgGnoxX%,_")


class _Safety:
    """Which expressions of one module are known not to carry Markdown from the data."""

    def __init__(self, tree: _ast.Module, rel: str):
        self.rel = rel
        self.params: set[str] = set()
        self.assigned: dict[str, list[_ast.expr]] = {}
        for node in _ast.walk(tree):
            if isinstance(node, (_ast.FunctionDef, _ast.AsyncFunctionDef)):
                for arg in [*node.args.args, *node.args.kwonlyargs]:
                    if arg.annotation is not None and self._annotation_safe(arg.annotation):
                        self.params.add(arg.arg)
            elif isinstance(node, _ast.Assign):
                for target in node.targets:
                    if isinstance(target, _ast.Name):
                        self.assigned.setdefault(target.id, []).append(node.value)
                    elif isinstance(target, _ast.Tuple):  # a, b = x, y pairs up; a, b = f() is unknown
                        pairs = (
                            zip(target.elts, node.value.elts)
                            if isinstance(node.value, _ast.Tuple) and len(node.value.elts) == len(target.elts)
                            else ((elt, _ast.Name(id="?unknown")) for elt in target.elts)
                        )
                        for elt, value in pairs:
                            if isinstance(elt, _ast.Name):
                                self.assigned.setdefault(elt.id, []).append(value)
            elif isinstance(node, (_ast.AnnAssign, _ast.AugAssign)) and isinstance(node.target, _ast.Name):
                if node.value is not None:
                    self.assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, (_ast.For, _ast.comprehension)) and isinstance(node.target, _ast.Name):
                # `for s in ("filled", "open")` / `for c in CATEGORIES`: an element of constants is a constant
                constant = (
                    isinstance(node.iter, (_ast.Tuple, _ast.List))
                    and all(isinstance(e, _ast.Constant) for e in node.iter.elts)
                ) or self._constant_mapping(node.iter)
                element = _ast.Constant("") if constant else _ast.Name(id="?unknown")
                self.assigned.setdefault(node.target.id, []).append(element)
        self._visiting: set[str] = set()

    @staticmethod
    def _annotation_safe(annotation: _ast.expr) -> bool:
        names = {n.id for n in _ast.walk(annotation) if isinstance(n, _ast.Name)}
        names |= {n.attr for n in _ast.walk(annotation) if isinstance(n, _ast.Attribute)}
        names |= {str(n.value) for n in _ast.walk(annotation) if isinstance(n, _ast.Constant)}
        return bool(names) and names <= SAFE_ANNOTATIONS

    def name_safe(self, name: str) -> bool:
        if name.isupper() or name in self.params:
            return True
        if name.startswith("n_") or name in ("n", "count"):
            return True
        values = self.assigned.get(name)
        if not values or name in self._visiting:
            return False
        self._visiting.add(name)
        try:
            return all(self.safe(v) for v in values)
        finally:
            self._visiting.discard(name)

    def safe(self, node: _ast.expr) -> bool:
        if (self.rel, _ast.unparse(node)) in KNOWN_SAFE:
            KNOWN_SAFE_USED.add((self.rel, _ast.unparse(node)))
            return True
        if isinstance(node, _ast.Constant):
            return True
        if isinstance(node, _ast.FormattedValue):
            return _numeric_spec(node.format_spec) or self.safe(node.value)  # type: ignore[arg-type]
        if isinstance(node, _ast.JoinedStr):
            return all(self.safe(v) for v in node.values)
        if isinstance(node, _ast.Name):
            return self.name_safe(node.id)
        if isinstance(node, _ast.Attribute):
            if node.attr in ("height", "__name__") or node.attr.startswith("n_") or node.attr.isupper():
                return True
            if node.attr in SAFE_FIELDS:
                return True
            return isinstance(node.value, _ast.Name) and node.value.id in ("config", "fmt") and node.attr.isupper()
        if isinstance(node, _ast.Subscript):
            key = node.slice
            if isinstance(key, _ast.Constant) and isinstance(key.value, str) and key.value.startswith("n_"):
                return True
            return self._constant_mapping(node.value)
        if isinstance(node, _ast.Call):
            func = node.func
            name = func.attr if isinstance(func, _ast.Attribute) else getattr(func, "id", "")
            if name in SAFE_FUNCTIONS:
                return True
            if name == "get" and isinstance(func, _ast.Attribute) and self._constant_mapping(func.value):
                return all(self.safe(a) for a in node.args[1:])
            if name == "get" and node.args and isinstance(node.args[0], _ast.Constant):  # a count: d.get("n_x", 0)
                return str(node.args[0].value).startswith("n_") and all(self.safe(a) for a in node.args[1:])
            if name == "join" and isinstance(func, _ast.Attribute) and node.args:
                return self.safe(func.value) and self._elements_safe(node.args[0])
            if name == "format" and isinstance(func, _ast.Attribute):
                return (
                    self.safe(func.value)
                    and all(self.safe(a) for a in node.args)
                    and all(self.safe(k.value) for k in node.keywords)
                )
            return False
        if isinstance(node, _ast.IfExp):
            return self.safe(node.body) and self.safe(node.orelse)
        if isinstance(node, _ast.BoolOp):
            return all(self.safe(v) for v in node.values)
        if isinstance(node, _ast.BinOp):
            return self.safe(node.left) and self.safe(node.right)
        if isinstance(node, _ast.UnaryOp):
            return self.safe(node.operand)
        if isinstance(node, (_ast.List, _ast.Tuple)):
            return all(self.safe(e) for e in node.elts)
        if isinstance(node, (_ast.ListComp, _ast.GeneratorExp)):
            return self.safe(node.elt)
        return False

    def _constant_mapping(self, node: _ast.expr) -> bool:
        return (isinstance(node, _ast.Name) and node.id.isupper()) or (
            isinstance(node, _ast.Attribute) and node.attr.isupper()
        )

    def _elements_safe(self, node: _ast.expr) -> bool:
        if isinstance(node, (_ast.GeneratorExp, _ast.ListComp)):
            return self.safe(node.elt)
        return self.safe(node)


SAFE_FIELDS = _safe_fields()


def _interpolations(node: _ast.expr) -> list[_ast.expr]:
    """The values a text argument is built from (what must be escaped, or known safe)."""
    if isinstance(node, _ast.JoinedStr):
        return [v for v in node.values if isinstance(v, _ast.FormattedValue)]
    if isinstance(node, _ast.BinOp) and isinstance(node.op, _ast.Add):
        return _operand(node.left) + _operand(node.right)
    if isinstance(node, _ast.IfExp):
        return _interpolations(node.body) + _interpolations(node.orelse)
    if isinstance(node, _ast.BoolOp):
        return [x for v in node.values for x in _interpolations(v)]
    if isinstance(node, _ast.Call) and isinstance(node.func, _ast.Attribute) and node.func.attr in ("format", "join"):
        return [node]
    if isinstance(node, (_ast.List, _ast.Tuple)):
        return [x for e in node.elts for x in _interpolations(e)]
    return []


def _operand(node: _ast.expr) -> list[_ast.expr]:
    """What one side of a `+` adds to a text: a literal adds nothing, a built text its own values, anything
    else (a name, a call, a subscript) is itself a value that must be escaped or known safe."""
    if isinstance(node, _ast.Constant):
        return []
    if isinstance(node, (_ast.JoinedStr, _ast.BinOp, _ast.IfExp, _ast.BoolOp, _ast.List, _ast.Tuple)):
        return _interpolations(node)
    return [node]


PLOTLY_CALLS = {"layout", "empty"}  # ui.plot.layout(title, ...), ui.plot.empty(title, note)
PLOTLY_KEYS = {"name", "text", "hovertext", "hovertemplate", "title"}  # trace/axis text Plotly draws as HTML


def _drawn_texts(node: _ast.AST) -> list[tuple[int, str, _ast.expr]]:
    """(line, what, text) for every text a Streamlit call renders as Markdown or Plotly draws as HTML."""
    out: list[tuple[int, str, _ast.expr]] = []
    if isinstance(node, _ast.Call) and isinstance(node.func, _ast.Attribute):
        if node.func.attr in MARKDOWN_CALLS:
            texts = list(node.args[:3]) + [k.value for k in node.keywords if k.arg in MARKDOWN_KWARGS]
            out += [(node.lineno, node.func.attr, t) for t in texts]
        elif node.func.attr in PLOTLY_CALLS:
            out += [(node.lineno, node.func.attr, t) for t in node.args[:2]]
    elif isinstance(node, _ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, _ast.Constant) and key.value in PLOTLY_KEYS and value is not None:
                out.append((node.lineno, f"Plotly {key.value}", value))
    return out


def unescaped_markup() -> list[str]:
    found = []
    for folder in ("pages", "ui"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            rel = str(path.relative_to(ROOT))
            tree = _ast.parse(path.read_text())
            safety = _Safety(tree, rel)
            for node in _ast.walk(tree):
                for line, what, text in _drawn_texts(node):
                    for part in _interpolations(text):
                        if not safety.safe(part):
                            found.append(f"{rel}:{line} {what}(…{_ast.unparse(part)[:80]}…)")
    return found


def test_every_value_drawn_as_markdown_is_escaped_or_known_safe():
    assert unescaped_markup() == []
    assert set(KNOWN_SAFE) - KNOWN_SAFE_USED == set(), "KNOWN_SAFE entries that match nothing any more"


def test_the_markup_check_finds_an_unescaped_name(tmp_path):
    tree = _ast.parse("def f(coin: str, n: int):\n    st.warning(f'{coin} has {n} fills')\n")
    safety = _Safety(tree, "x.py")
    call = tree.body[0].body[0].value  # type: ignore[attr-defined]
    parts = _interpolations(call.args[0])
    assert [safety.safe(p) for p in parts] == [False, True]
    escaped = _ast.parse("st.warning(f'{fmt.md_text(coin)}')").body[0].value  # type: ignore[attr-defined]
    assert all(_Safety(_ast.parse(""), "x.py").safe(p) for p in _interpolations(escaped.args[0]))


def test_the_markup_check_finds_a_name_added_to_a_text():
    """`"label: " + coin` draws `coin` as Markdown as surely as an f-string does; a literal or an escaped value
    added to the text is fine."""
    tree = _ast.parse(
        "def f(coin: str, n: int):\n    st.caption(':material/x: ' + coin + ' and ' + fmt.md_text(coin))\n"
    )
    safety = _Safety(tree, "x.py")
    call = tree.body[0].body[0].value  # type: ignore[attr-defined]
    parts = _interpolations(call.args[0])
    assert [_ast.unparse(p) for p in parts] == ["coin", "fmt.md_text(coin)"]
    assert [safety.safe(p) for p in parts] == [False, True]
