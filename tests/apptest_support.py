"""AppTest helpers shared by the page-level tests."""

from __future__ import annotations


def category_table_values(shown):
    """A `ui.tables.category_table` as AppTest sees it, back in data units: the category
    pill (a one-item list) as its text, weight columns (shown in percent points) as fractions."""
    from ui.tables import WEIGHT_COLUMNS

    df = shown.copy()
    if "sym" in df.columns:  # a symbol link (…&coin=BTC) back to the symbol
        df["sym"] = [None if v is None else str(v).rsplit("coin=", 1)[-1] for v in df["sym"]]
    if "category" in df.columns:
        df["category"] = [None if v is None else list(v)[0] for v in df["category"]]
    for c in WEIGHT_COLUMNS:
        if c in df.columns:
            df[c] = df[c] / 100.0
    return df


# --- the playbook's numbers in plain Python, to check pages against (not the product's own functions) -------------
W_EPS, MAG_EPS, FLIP_GAP = 0.001, 0.02, 0.0025  # playbook section 0.3; a flip needs targets this far apart


def _num(x):
    return None if x is None or x != x else float(x)


def playbook_category(actual, target, w_eps: float = W_EPS, mag_eps: float = MAG_EPS) -> str:
    """The playbook's section 0.4, written out in plain Python."""
    actual, target = _num(actual), _num(target) or 0.0
    if actual is None:
        return "UNPRICED"
    held_a, held_t = abs(actual) >= w_eps and actual != 0, abs(target) >= w_eps and target != 0
    if not held_t and not held_a:
        return "MATCHED_ZERO"
    if held_t and not held_a:
        return "MISSING_POSITION"
    if held_a and not held_t:
        return "EXTRA_POSITION"
    if (actual > 0) != (target > 0):
        return "WRONG_DIRECTION"
    return "MAGNITUDE_ERROR" if abs(actual - target) > mag_eps + 1e-12 else "MATCHED"


def classifiable(day_rows: list[dict]) -> bool:
    """A day is classified only with its D-2 target set and some fill up to the snapshot (the book is known)."""
    targets = any((r["t2_rows_for_day"] or 0) > 0 for r in day_rows)
    book = any(r["last_fill_hour"] is not None or (r["pos_units"] or 0) != 0 for r in day_rows)
    return targets and book


def day_numbers(day_rows: list[dict]) -> dict:
    """TE, active share, category counts and flips of one day's timeline rows, by hand."""
    priced = [r for r in day_rows if _num(r["actual_weight"]) is not None]
    errs = {r["sym"]: _num(r["actual_weight"]) - (_num(r["weight_t2"]) or 0.0) for r in priced}
    sq = sum(e * e for e in errs.values())
    flips = [
        r["sym"]
        for r in priced
        if _num(r["weight_t1"]) is not None
        and abs(_num(r["actual_weight"]) - _num(r["weight_t1"])) < abs(errs[r["sym"]])
        and abs(_num(r["weight_t1"]) - (_num(r["weight_t2"]) or 0.0)) > FLIP_GAP
    ]
    counts: dict[str, int] = {}
    for r in day_rows:
        c = playbook_category(r["actual_weight"], r["weight_t2"])
        counts[c] = counts.get(c, 0) + 1
    return {
        "te": sq**0.5 if priced else None,
        "active_share": 0.5 * sum(abs(e) for e in errs.values()) if priced else None,
        "counts": counts,
        "n_flips": len(flips),
        "flip_share": sum(errs[s] ** 2 for s in flips) / sq if sq else None,
    }


def active_return(day_rows: list[dict]) -> float | None:
    """Book minus T+2 target return to the next day's snapshot, over the rows with a price and a return."""
    used = [r for r in day_rows if _num(r["actual_weight"]) is not None and _num(r["ret_24h"]) is not None]
    if not used:
        return None
    return sum((_num(r["actual_weight"]) - (_num(r["weight_t2"]) or 0.0)) * _num(r["ret_24h"]) for r in used)


def shown(markdown: str) -> str:
    """What a reader sees of Markdown that lib.format.md_text escaped: the backslash escapes and the
    invisible word joiners (they stop autolinks) removed."""
    import re

    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~$:=&])", r"\1", markdown).replace("\u2060", "")
