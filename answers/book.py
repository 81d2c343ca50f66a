"""The book's answers every surface reads: risk at the newest account snapshot.

Pages load the same statements with their failure handling (`ui.data.load`) and apply the same lib maths;
alerts, reports and commands call these.
"""

from __future__ import annotations

from lib.book import risk
from queries.book import risk as risk_queries


def account_risk_now() -> dict:
    """Equity, margin used, notional, withdrawable and their ratios at the newest account snapshot (summed over
    the accounts in scope; rows dated in the future do not count): `lib.book.risk.account_totals`."""
    return risk.account_totals(risk_queries.latest_account_risk())
