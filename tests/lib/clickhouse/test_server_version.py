"""The server version System Health warns about (issue 25 §2: a server reporting 18.16 was accepted without a word)."""

from __future__ import annotations

import pytest

from lib import config
from lib.clickhouse import server_version
from lib.inputs import InputError, parse_server_version


@pytest.mark.parametrize(
    "raw,expected",
    [("26.9.2.1", (26, 9)), ("18.16.1.1", (18, 16)), ("24.8", (24, 8)), (" 25.3.2.39 ", (25, 3))],
)
def test_parse_server_version(raw, expected):
    assert parse_server_version(raw) == expected


@pytest.mark.parametrize("raw", ["", "latest", "２６.9.1", "26", "26.9.1.1.1", "26.9-lts", None])
def test_parse_server_version_refuses(raw):
    with pytest.raises(InputError):
        parse_server_version(raw)


def test_the_warning_names_the_oldest_tested_version():
    assert config.OLDEST_TESTED_SERVER_VERSION == (26, 9)  # the embedded engine's (chdb 4.4.0: 26.9.2.1)
    assert server_version.untested_warning("26.9.2.1") is None and server_version.untested_warning("27.1.1") is None
    assert server_version.untested_warning(None) is None  # no answer: the panel says the server is down
    old = server_version.untested_warning("18.16.1.1")
    assert old is not None and old.startswith("ClickHouse 18.16 is older than") and "(26.9 and later)" in old
    assert "26.8" in (server_version.untested_warning("26.8.9.9") or "")[:15]
    odd = server_version.untested_warning("<b>x</b>")
    assert odd is not None and "cannot be read" in odd and "<b>" not in odd
