"""The chart and grid code's preload (ui/shell/preload.py): the right chunks, or none rather than a wrong one."""

from pathlib import Path

import streamlit

from ui.shell import preload, sidebar


def _folder(tmp_path: Path, *names: str) -> Path:
    for name in names:
        (tmp_path / name).write_text("export {};\n")
    return tmp_path


def test_finds_one_chunk_per_component(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "PlotlyChart.abc123.js", "DataFrame.-x_9.js", "DataFrameCell.zz.js.map", "index.q.js")
    assert preload.chunk_names.__wrapped__(folder) == ("PlotlyChart.abc123.js", "DataFrame.-x_9.js")


def test_an_ambiguous_or_missing_chunk_is_left_out(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "PlotlyChart.a.js", "PlotlyChart.b.js")
    assert preload.chunk_names.__wrapped__(folder) == ()
    assert preload.script(()) == ""


def test_the_installed_streamlit_has_both_chunks() -> None:
    """A Streamlit upgrade that renames them fails here (the preload would silently stop)."""
    names = preload.chunk_names()
    assert [n.split(".")[0] for n in names] == ["PlotlyChart", "DataFrame"]
    folder = Path(streamlit.__file__).parent / "static" / "static" / "js"
    entry = next(folder.glob("index.*.js")).read_text()
    for name in names:
        assert f"import(`./{name}`)" in entry  # the same URL the front end's lazy import asks for


def test_the_script_imports_each_chunk_once_per_tab() -> None:
    text = preload.script(("PlotlyChart.abc.js", "DataFrame.def.js"))
    assert '["PlotlyChart.abc.js", "DataFrame.def.js"]' in text
    assert "window.__deskPreloaded" in text and "import(new URL(name, entry.src).href)" in text


def test_it_rides_in_the_sidebars_existing_script(monkeypatch) -> None:
    drawn: list[str] = []
    monkeypatch.setattr(sidebar.st, "html", lambda body, **_: drawn.append(body))
    sidebar._enter_commits_dates()
    assert len(drawn) == 1 and drawn[0].count("<script>") == 1
    assert "__deskPreloaded" in drawn[0] and "__deskEnterCommitsDates" in drawn[0]


def test_a_view_with_no_chart_first_leaves_the_chart_code_out() -> None:
    names = ("PlotlyChart.abc.js", "DataFrame.def.js")
    text = preload.script(names, charts=False)
    assert '["DataFrame.def.js"]' in text and "PlotlyChart" not in text
    assert preload.script(("PlotlyChart.abc.js",), charts=False) == ""
    # the guard is per chunk: a chart page after a page without one still imports the chart code
    assert "if (done[name]) continue;" in preload.script(names)


def test_only_trades_fills_view_opens_without_a_chart() -> None:
    assert not preload.first_view_draws_charts("trades", {})
    assert not preload.first_view_draws_charts("trades", {"tab": "fills", "coins": "BTC"})
    assert preload.first_view_draws_charts("trades", {"tab": "per_day"})
    assert preload.first_view_draws_charts("trades", {"coin": "BTC"})  # the drill-down opens on its chart
    for page in ("", "positions", "tracking_error", "system_health"):
        assert preload.first_view_draws_charts(page, {})
