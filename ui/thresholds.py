"""The classification controls shared by Positions and Tracking Error."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lib import config
from lib import format as fmt
from lib.inputs import parse_mag_rule, parse_url_decimal
from lib.tracking import snapshot as te_snapshot
from ui.state import set_url, url_value

_RULE_TEXT = {
    "absolute": "absolute: |actual − target| > MAG_EPS (the playbook's rule)",
    "relative": "relative: |actual − target| > MAG_EPS × |target|",
}


def threshold_inputs(prefix: str, w_col: Any, m_col: Any) -> te_snapshot.Thresholds:
    """W_EPS / MAG_EPS inputs in two columns, the magnitude rule below; refused values are explained."""
    # the strict URL parser: ASCII digits only (float() alone takes '٠.٠١' and '1e-2'), a length bound
    w_url = url_value("w_eps", lambda raw: parse_url_decimal(raw, "W_EPS", *config.W_EPS_RANGE), config.W_EPS)
    m_url = url_value("mag_eps", lambda raw: parse_url_decimal(raw, "MAG_EPS", *config.MAG_EPS_RANGE), config.MAG_EPS)
    w_raw = w_col.number_input(
        "W_EPS: flat below (weight)",
        value=w_url,
        step=0.0005,
        format="%.4f",
        key=f"{prefix}_w_eps",
        help=f"Playbook default {config.W_EPS}; allowed {config.W_EPS_RANGE}.",
    )
    m_raw = m_col.number_input(
        "MAG_EPS: magnitude error above",
        value=m_url,
        step=0.005,
        format="%.4f",
        key=f"{prefix}_mag_eps",
        help=f"Playbook default {config.MAG_EPS}; allowed {config.MAG_EPS_RANGE}.",
    )
    rule0 = url_value("rule", parse_mag_rule, config.DEFAULT_MAG_RULE)
    rule = st.radio(
        "Magnitude rule",
        options=list(config.MAG_RULES),
        index=list(config.MAG_RULES).index(rule0),
        key=f"{prefix}_rule",
        horizontal=True,
        format_func=_RULE_TEXT.get,
        help="The playbook writes the rule as absolute, but its Dec 5–7 counts (~30 magnitude errors of a few "
        "bp each) are only reproduced by the relative reading. Absolute is the default.",
    )
    set_url(rule=None if rule == config.DEFAULT_MAG_RULE else rule)
    th = te_snapshot.thresholds(w_raw, m_raw, rule)
    set_url(
        w_eps=None if th.errors or th.w_eps == config.W_EPS else th.w_eps,
        mag_eps=None if th.errors or th.mag_eps == config.MAG_EPS else th.mag_eps,
    )
    for message in th.errors:
        st.error(f"Refused: {fmt.md_text(message)}.", icon=":material/block:")
    return th
