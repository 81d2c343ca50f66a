"""What every command shares: exit codes, argument types from lib.inputs, quiet logs."""

from __future__ import annotations

import argparse
import logging
from typing import Callable

from lib.inputs import InputError

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_NO_DATA = 2
EXIT_CLICKHOUSE = 3


def input_type(parse: Callable[[str], object]) -> Callable[[str], object]:
    """Wrap a lib.inputs parser so argparse reports its message (and exits 2)."""

    def convert(raw: str) -> object:
        try:
            return parse(raw)
        except InputError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    return convert


def quiet_logs() -> None:
    """Keep stderr for the command's own messages.

    The query functions are st.cache_data-wrapped: outside Streamlit they log 'No
    runtime found' & co. The ClickHouse driver logs its own line before raising;
    the QueryFailed message says the same in words a user can act on.
    """
    import streamlit.logger as st_logger

    st_logger.set_log_level(logging.ERROR)
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    logging.getLogger("clickhouse_connect").setLevel(logging.CRITICAL)
