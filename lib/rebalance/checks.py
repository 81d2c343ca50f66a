"""A pre-trade check's result, and the weights check: is a target file a book the mandate allows?

`weights_check` is the one definition of "absurd targets": the preflight runs it on the next targets, and
Positions and Tracking Error run it on the live targets (weights in percent instead of fractions sum far
above 1 and make the TE meaningless, e.g. a TE of 806%: the page says why instead of showing it bare).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from lib import config
from lib import format as fmt

PASS, FAIL, NOT_EVALUATED = "pass", "fail", "not evaluated"
STATUSES = (PASS, FAIL, NOT_EVALUATED)


@dataclass(frozen=True)
class Check:
    """One check: what it checks, pass / fail / not evaluated, its numbers in one line, and the names behind
    a failure (or the reason it could not be evaluated)."""

    key: str
    title: str
    status: str
    numbers: str
    names: tuple[str, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def failed(self) -> bool:
        return self.status == FAIL

    def to_json(self) -> dict:
        return {
            "check": self.key,
            "title": self.title,
            "status": self.status,
            "numbers": self.numbers,
            "names": list(self.names),
            "values": fmt.json_value(dict(self.values)),
        }


def not_evaluated(key: str, title: str, reason: str) -> Check:
    return Check(key, title, NOT_EVALUATED, reason)


def weight_stats(targets: pl.DataFrame) -> dict[str, Any]:
    """n, sum (= net), gross, long, short and the largest |weight| (with its symbol) of `sym, weight` rows;
    rows whose weight is not a finite number are counted apart (`n_bad`), never summed."""
    w = pl.col("weight").cast(pl.Float64)
    good = targets.filter(w.is_finite())
    n_bad = targets.height - good.height
    if good.height == 0:
        return {"n": 0, "n_bad": n_bad, "sum": None, "gross": None, "long": None, "short": None, "largest": None}
    top = good.sort(pl.col("weight").abs(), descending=True).row(0, named=True)
    row = good.select(
        w.sum().alias("sum"),
        w.abs().sum().alias("gross"),
        w.clip(lower_bound=0).sum().alias("long"),
        w.clip(upper_bound=0).sum().alias("short"),
    ).row(0, named=True)
    return {
        "n": good.height,
        "n_bad": n_bad,
        **{k: float(v) for k, v in row.items()},
        "largest": abs(float(top["weight"])),
        "largest_sym": str(top["sym"]),
    }


def weights_check(targets: pl.DataFrame, limits: Mapping[str, float] = config.MANDATE_LIMITS) -> Check:
    """The mandate's weight limits on a target file (`sym, weight`): |sum| (the net exposure) at most
    net_max, gross (sum of |w|) within [gross_min, gross_max], the largest |w| at most weight_max, and
    every weight a finite number. Fails naming what is outside its limit."""
    title = "Weights within the mandate"
    s = weight_stats(targets)
    if s["n"] == 0:
        return Check("weights", title, FAIL, "no usable weight in the file", ("no weights",), s)
    numbers = (
        f"{s['n']} symbols · sum (net) {fmt.weight(s['sum'])} · gross {fmt.pct(s['gross'], 1)} "
        f"(long {fmt.pct(s['long'], 1)}, short {fmt.pct(-s['short'], 1)}) · largest {s['largest_sym']} "
        f"{fmt.pct(s['largest'], 2)}"
    )
    problems = []
    if abs(s["sum"]) > limits["net_max"]:
        problems.append(f"net {fmt.weight(s['sum'])} beyond ±{fmt.pct(limits['net_max'], 0)}")
    if s["gross"] > limits["gross_max"]:
        problems.append(f"gross {fmt.pct(s['gross'], 1)} above {fmt.pct(limits['gross_max'], 0)}")
    if s["gross"] < limits["gross_min"]:
        problems.append(f"gross {fmt.pct(s['gross'], 1)} below {fmt.pct(limits['gross_min'], 0)}")
    if s["largest"] > limits["weight_max"]:
        problems.append(f"{s['largest_sym']} {fmt.pct(s['largest'], 2)} above {fmt.pct(limits['weight_max'], 0)}")
    if s["n_bad"]:
        problems.append(f"{fmt.plural(s['n_bad'], 'weight')} not a number")
    limits_text = (
        f"limits: |net| ≤ {fmt.pct(limits['net_max'], 0)}, gross {fmt.pct(limits['gross_min'], 0)}–"
        f"{fmt.pct(limits['gross_max'], 0)}, |w| ≤ {fmt.pct(limits['weight_max'], 0)}"
    )
    return Check("weights", title, FAIL if problems else PASS, f"{numbers} ({limits_text})", tuple(problems), s)


def absurd_days(timeline: pl.DataFrame, limits: Mapping[str, float] = config.MANDATE_LIMITS) -> list[tuple[Any, Check]]:
    """The holdings days of a timeline (`queries.tracking.tracking_error.timeline`) whose T+2 target file
    fails the weights check: [(day, check)], oldest first. Days without targets are not judged here."""
    if timeline.height == 0 or "has_t2_row" not in timeline.columns:
        return []
    rows = timeline.filter(pl.col("has_t2_row")).select("holdings_date", "sym", pl.col("weight_t2").alias("weight"))
    out = []
    for (day,), part in sorted(rows.partition_by("holdings_date", as_dict=True).items()):
        check = weights_check(part, limits)
        if check.failed:
            out.append((day, check))
    return out
