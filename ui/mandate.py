"""The note a page shows above its numbers when the live targets fail the mandate's weight limits.

The check is lib/rebalance/checks.py weights_check, the pre-trade check's own function: weights in percent
instead of fractions sum far above 1 and make a TE of 806% that means nothing; the page says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import streamlit as st

from lib import format as fmt
from lib.rebalance.checks import Check


def absurd_targets(failed: Sequence[tuple[date, Check]], what: str) -> None:
    """An error naming each target file (by holdings day) outside the limits, and what is not meaningful."""
    if not failed:
        return
    lines = [f"- holdings {d.isoformat()}: {fmt.md_text('; '.join(c.names))}" for d, c in failed[:10]]
    more = f"\n- … {fmt.plural(len(failed) - 10, 'more day')}" if len(failed) > 10 else ""
    st.error(
        f"**The targets of {fmt.plural(len(failed), 'day')} fail the mandate's weight limits** (lib/config.py MANDATE_LIMITS): "
        f"{what} measured against them is not meaningful until they are fixed.\n" + "\n".join(lines) + more,
        icon=":material/rule:",
    )
