"""Links between pages that carry the view along (the sidebar's range, the refresh, the target's own selection).

Relative links (`trades?…`) resolve against the app's own address, so they work behind any host
name or base path; a table's LinkColumn and st.page_link both take them.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from ui.shell.sidebar import Selection


def trades_drilldown_prefix(selection: Selection) -> str:
    """A link to the Trades drill-down over the sidebar's range, ending with `coin=`: append the coin."""
    return "trades?" + urlencode(selection.link_params(tab="drilldown")) + "&coin="


def orders_prefix(selection: Selection, day: date) -> str:
    """A link to the Trades Orders tab for one UTC day, ending with `orders_coin=`: append the coin (the orders
    behind a symbol the day's rebalance did not finish)."""
    params = selection.link_params(tab="orders", **{"from": day, "to": day})
    params.pop("range", None)
    return "trades?" + urlencode(params) + "&orders_coin="
