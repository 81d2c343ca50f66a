"""The demo desk: a deterministic Hyperliquid crypto desk for the embedded engine.

Only the bootstrap (ui/), the command line (`python -m cli demo`), the tests
and the benchmark import this package; the product never does.

* `market`  — coins, correlated hourly prices, funding rates, the model's weights
* `book`    — the book that follows the model under T+2, with scripted mistakes
* `tables`  — the rows of every table in the data contract, visible in a window of time
* `accounts` — the main account and the sub-accounts `--accounts N` adds (their own books and rows)
* `keyed`   — counter-based randomness (a row's draws depend only on its identity)
* `contract` — creates the data contract (queries/schema.sql) in an embedded database
* `desk`    — `seed` / `seed_client`: builds a whole desk; `DeskModel`: rows for any window
* `feeder`  — extends a demo desk in real time (the live embedded default)
"""

from lib.demo.desk import (
    ACCOUNT,
    DEFAULT_START,
    GENERATOR_VERSION,
    DeskModel,
    DeskState,
    is_seeded,
    read_state,
    resolve_span,
    seed,
    seed_client,
)

__all__ = [
    "ACCOUNT",
    "DEFAULT_START",
    "GENERATOR_VERSION",
    "DeskModel",
    "DeskState",
    "is_seeded",
    "read_state",
    "resolve_span",
    "seed",
    "seed_client",
]
