"""The band around the cumulative active return (live − model): what is ordinary for this desk.

Pure. The desk's own realised tracking error sets the band: sigma is the standard deviation (n − 1) of its
daily active returns over the `window` days before the range starts, each read with the model re-based to
the live equity that day (queries/tracking/model_book.sql: active_rebased_bp), so one bad month does not
widen its own band. Over the range the cumulative active return (the sum of the daily active returns, bp)
is compared with ±k·sigma·√t, t the days since the range started: a random walk of ordinary days stays
inside it about 95% of the time for k = 2. Outside below: the live book is behind the model by more than
its own history explains.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from lib import config
from lib import format as fmt

INSIDE, BELOW, ABOVE = "inside", "below", "above"


@dataclass(frozen=True)
class Band:
    """The cumulative active return per day of the range and its band (None where unknown)."""

    days: tuple[date, ...]
    cumulative_bp: tuple[float | None, ...]  # after each day (the day's own included)
    limit_bp: tuple[float | None, ...]  # k * sigma * sqrt(t), t = 1, 2, ... (None without a sigma)
    sigma_bp: float | None  # daily sigma of the active return, bp
    n_history: int  # days with a known active return in the look-back window
    window_days: int
    k: float

    @property
    def te_annual(self) -> float | None:
        """The realised tracking error the band rests on, annualised (a fraction)."""
        return None if self.sigma_bp is None else self.sigma_bp / 1e4 * math.sqrt(config.ANNUALISATION_DAYS)

    def method_lines(self) -> tuple[str, ...]:
        """How the band is drawn (stated on the chart): the rule, then where sigma comes from."""
        if self.sigma_bp is None:
            return (
                "No band: too little history to say what is ordinary for this desk",
                f"(fewer than {config.MODEL_BAND_MIN_DAYS} days with a known active return in the "
                f"{self.window_days} days before the range: {self.n_history}).",
            )
        return (
            f"Band ±{self.k:g}σ√t around 0, t = days since the range started; σ = {self.sigma_bp:.1f} bp a day,",
            f"the std of the daily active return (live − model) over the {self.n_history} days before the range "
            f"(realised TE {fmt.pct(self.te_annual, 1)} annualised ×√{config.ANNUALISATION_DAYS}).",
        )

    @property
    def method(self) -> str:
        return " ".join(self.method_lines())

    def status(self, i: int) -> str | None:
        c, lim = self.cumulative_bp[i], self.limit_bp[i]
        if c is None or lim is None:
            return None
        return BELOW if c < -lim else ABOVE if c > lim else INSIDE

    @property
    def last(self) -> int | None:
        """The index of the newest day with a known cumulative return."""
        known = [i for i, c in enumerate(self.cumulative_bp) if c is not None]
        return known[-1] if known else None

    def outside_since(self) -> date | None:
        """The first day of the run of days, ending with the newest, outside the band on the newest one's side."""
        i = self.last
        if i is None or self.status(i) in (None, INSIDE):
            return None
        side = self.status(i)
        first = i
        while first > 0 and self.status(first - 1) == side:
            first -= 1
        return self.days[first]

    def sentence(self) -> str:
        """'Live is −85.0 bp behind the model over 30 days, beyond the 2σ band of −60.0 bp.'"""
        i = self.last
        if i is None:
            return "Live against the model book: no day with a known active return yet."
        c, lim, n = self.cumulative_bp[i], self.limit_bp[i], i + 1
        assert c is not None
        where = "behind" if c < 0 else "ahead of"
        head = f"Live is {fmt.bps(c)} {where} the model over {fmt.plural(n, 'day')}"
        if lim is None:
            return head + " (no band: too little history to say what is ordinary)."
        edge = -lim if c < 0 else lim
        if self.status(i) == INSIDE:
            return head + f", within the ±{self.k:g}σ band of ±{lim:.1f} bp."
        return head + f", beyond the {self.k:g}σ band of {fmt.bps(edge)}."


def sigma(history_bp: Sequence[float | None], min_days: int = config.MODEL_BAND_MIN_DAYS) -> tuple[float | None, int]:
    """(daily sigma in bp, days used): the sample standard deviation of the known values; None with too few."""
    known = [float(x) for x in history_bp if x is not None and math.isfinite(float(x))]
    if len(known) < max(2, min_days):
        return None, len(known)
    return statistics.stdev(known), len(known)


def band(
    days: Sequence[date],
    daily_bp: Sequence[float | None],
    history_bp: Sequence[float | None],
    window_days: int = config.MODEL_BAND_WINDOW_DAYS,
    k: float = config.MODEL_BAND_SIGMAS,
) -> Band:
    """The cumulative active return over `days` (a day with an unknown return is a gap; the sum goes on over the
    known ones) and its ±k·sigma·√t band, sigma from `history_bp` (the days before the range)."""
    s, n = sigma(history_bp)
    cumulative: list[float | None] = []
    running = 0.0
    for x in daily_bp:
        if x is None or not math.isfinite(float(x)):
            cumulative.append(None)
            continue
        running += float(x)
        cumulative.append(running)
    limits = [None if s is None else k * s * math.sqrt(t) for t in range(1, len(days) + 1)]
    return Band(tuple(days), tuple(cumulative), tuple(limits), s, n, window_days, float(k))
