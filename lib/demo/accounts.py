"""The desk's accounts: the main account and the sub-accounts `python -m cli demo --accounts N` adds.

A sub-account is its own Hyperliquid account under the same desk (named after
the main address with a suffix, so a trader sees whose it is): its own deposits
and withdrawals, its own smaller book (lib/demo/simulation/book.py FollowerSim: the
model's weights on a few coins), its own fills, orders, funding and snapshots,
polled by the same monitors in the same rounds as the main account. The main
account's rows never depend on how many accounts the desk has.
"""

from __future__ import annotations

from dataclasses import dataclass

from lib.demo.tables import ACCOUNT


@dataclass(frozen=True)
class SubAccount:
    name: str
    initial_deposit: float  # USDC, at the desk's start (the main account starts with 1,000,000)
    ledger: tuple[tuple[str, str, float], ...]  # (UTC time, type, usdc) later movements, kept when inside the span
    coins: tuple[str, ...]  # the coins its book trades (playbook names: present with any --coins)
    gross: float  # gross exposure / equity it aims for
    cap: float  # largest |weight| of one coin


SUB_ACCOUNTS: tuple[SubAccount, ...] = (
    SubAccount(
        name=f"{ACCOUNT}:sub1",
        initial_deposit=250_000.0,
        ledger=(
            ("2025-12-03 10:26:51", "deposit", 50_000.0),
            ("2025-12-12 15:08:19", "withdraw", -75_000.0),
            ("2026-02-05 09:12:40", "deposit", 100_000.0),
            ("2026-06-23 17:44:02", "withdraw", -60_000.0),
        ),
        coins=("BTC", "ETH", "SOL", "BNB", "XRP", "AVAX", "LINK", "AAVE"),
        gross=0.9,
        cap=0.25,
    ),
    SubAccount(
        name=f"{ACCOUNT}:sub2",
        initial_deposit=400_000.0,
        ledger=(
            ("2025-12-20 08:41:07", "deposit", 25_000.0),
            ("2026-03-18 13:55:31", "withdraw", -40_000.0),
            ("2026-08-04 06:17:12", "deposit", 80_000.0),
        ),
        coins=("BTC", "ETH", "SOL", "ADA", "LTC", "UNI", "ARB", "SUI", "NEAR", "TRX"),
        gross=1.1,
        cap=0.2,
    ),
)
MAX_ACCOUNTS = 1 + len(SUB_ACCOUNTS)


def account_names(accounts: int) -> list[str]:
    """The names of a desk with `accounts` accounts, main first."""
    if not 1 <= accounts <= MAX_ACCOUNTS:
        raise ValueError(f"a demo desk has 1 to {MAX_ACCOUNTS} accounts, not {accounts}")
    return [ACCOUNT] + [s.name for s in SUB_ACCOUNTS[: accounts - 1]]
