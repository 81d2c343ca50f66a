"""Is the ClickHouse server one the queries are tested against (config.OLDEST_TESTED_SERVER_VERSION)?

An older server answers most statements, so nothing refuses to run; System Health says plainly that the numbers come
from an untested server, so a statement that fails or reads differently there is not a mystery.
"""

from __future__ import annotations

from lib import config
from lib.inputs import InputError, parse_server_version


def oldest_tested() -> str:
    return ".".join(str(p) for p in config.OLDEST_TESTED_SERVER_VERSION)


def untested_warning(version: object) -> str | None:
    """A sentence when `version` (what `SELECT version()` answered) is older than the oldest tested one or cannot
    be read; None for a tested version (or when there is no answer at all: the panel says the server is down)."""
    if version is None:
        return None
    try:
        got = parse_server_version(version)
    except InputError:  # the answer itself is shown beside the warning (escaped); the sentence holds none of it
        return f"The server's version cannot be read; the queries are tested on {oldest_tested()} and later."
    if got >= config.OLDEST_TESTED_SERVER_VERSION:
        return None
    return (
        f"ClickHouse {got[0]}.{got[1]} is older than any server the queries are tested against "
        f"({oldest_tested()} and later): a panel may fail or a number read differently. Upgrade the server, or test "
        "the dashboard against it before trusting it."
    )
