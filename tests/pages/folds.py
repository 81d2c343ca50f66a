"""Open a page's lazy folds (ui/state.lazy_expander) in AppTest, as a reader's clicks would."""

from __future__ import annotations

from typing import Any


def open_folds(at: Any, rounds: int = 3) -> Any:
    """Open every keyed fold the run drew, rerun, and again for folds that appear inside them; an unkeyed
    expander (a plain one, or text drawn inside a fold) has no state and is left as it is."""
    for _ in range(rounds):
        closed = [e.key for e in at.expander if e.key and not at.session_state[e.key]]
        if not closed:
            break
        for key in closed:
            at.session_state[key] = True  # what a click on the fold writes
        at.run()
    return at
