"""The read-only gate: a statement reaches ClickHouse only as one SELECT/WITH that reads nothing outside
the database and changes no protected setting."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lib.clickhouse.errors import QueryFailed

# ------------------------------------------------------------ read-only gate
#
# A small lexer, not regexes over the raw text: strings, quoted identifiers and
# comments are recognised in one left-to-right pass, so `'--'` is a string and
# `/* ' */` a comment, whichever comes first. It follows ClickHouse's own lexer
# (src/Parsers/Lexer.cpp) wherever that decides what is code: the comment forms
# `-- …`, `// …`, `# …` and `#!…` (to the end of the line), `/* … */` NESTED (as
# the SQL standard has it: `/* /* */ file() */` is one comment), and its
# whitespace, which includes Unicode spaces and the zero-width ones (U+200B–D,
# U+2060, U+FEFF). Anything the lexer cannot place the same way the server does
# (an unterminated string or comment, a heredoc `$$...$$`, a lone `#`, a
# character outside ASCII that is not one of the server's spaces) is refused.

# Table functions (and the scalar file()) that read or run something outside the
# database: files, URLs, other servers, object stores, processes, the chdb host's
# Python objects. Compared lower-case.
OUTSIDE_FUNCTIONS = frozenset(
    name.lower()
    for name in (
        "file",
        "fileCluster",
        "filesystem",
        "url",
        "urlCluster",
        "remote",
        "remoteSecure",
        "cluster",
        "clusterAllReplicas",
        "s3",
        "s3Cluster",
        "gcs",
        "oss",
        "cosn",
        "hdfs",
        "hdfsCluster",
        "azureBlobStorage",
        "azureBlobStorageCluster",
        "mysql",
        "postgresql",
        "jdbc",
        "odbc",
        "sqlite",
        "mongodb",
        "redis",
        "executable",
        "executablePool",
        "input",
        "deltaLake",
        "deltaLakeCluster",
        "iceberg",
        "icebergS3",
        "icebergAzure",
        "icebergHDFS",
        "icebergLocal",
        "icebergCluster",
        "icebergS3Cluster",
        "hudi",
        "hudiCluster",
        "paimon",
        "arrowFlight",
        "ytsaurus",
        "python",
        "dictionary",
        "s3queue",
        "azureQueue",
        "kafka",
        "nats",
        "rabbitmq",
        "hive",
        "mergeTreeIndex",
        "mergeTreeProjection",
        "fuzzQuery",
        "prometheusQuery",
        "prometheusQueryRange",
        "timeSeriesData",
        "timeSeriesTags",
        "timeSeriesMetrics",
    )
)
# SETTINGS a query may carry itself. Everything else (max_execution_time=0,
# max_result_rows, readonly, timeouts, memory limits, ...) is refused: the
# dashboard sets the limits on every query and a statement must not raise them.
QUERY_SETTINGS_ALLOWED = frozenset(
    {
        "join_use_nulls",
        "use_query_condition_cache",
        "optimize_read_in_order",
        "optimize_aggregation_in_order",
        "aggregate_functions_null_for_empty",
        "allow_experimental_analyzer",
        "enable_analyzer",
        "date_time_output_format",
        "output_format_arrow_string_as_string",
    }
)

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9][0-9A-Za-z_.]*(?:[eE][+-]?[0-9]+)?")
_PARAM = re.compile(r"\{\s*[A-Za-z_][A-Za-z0-9_]*\s*:[^{}]*\}")


@dataclass(frozen=True)
class _Token:
    kind: str  # "word" (bare or quoted identifier), "string", "number", "param", "punct"
    text: str  # a word's name (unquoted), a punctuation mark; strings are not kept

    def is_word(self, *names: str) -> bool:
        return self.kind == "word" and self.text.upper() in names


def _refuse(detail: str) -> QueryFailed:
    return QueryFailed("readonly", "-", detail)


def _quoted(sql: str, i: int, quote: str) -> int:
    """Index just past the closing `quote` of the literal opening at i (backslash and doubling escapes)."""
    j = i + 1
    while j < len(sql):
        c = sql[j]
        if c == "\\":
            j += 2
            continue
        if c == quote:
            if j + 1 < len(sql) and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    raise _refuse("the statement has an unterminated string or quoted name")


# ClickHouse's whitespace (isWhitespaceASCII + skipWhitespacesUTF8): a call hidden behind any other
# character is refused rather than guessed at.
_ASCII_SPACE = frozenset(" \t\n\r\f\v")
_UNICODE_SPACE = frozenset(
    "\u0085\u00a0\u180e\u2028\u2029\u202f\u205f\u2060\u3000\ufeff" + "".join(chr(c) for c in range(0x2000, 0x200E))
)


def _line_comment_end(sql: str, i: int) -> int:
    """Index after a `--`/`//`/`#` comment starting at i: its line's newline (only `\\n` ends it, as on the server)."""
    j = sql.find("\n", i)
    return len(sql) if j < 0 else j + 1


def _block_comment_end(sql: str, i: int) -> int:
    """Index after the `/* … */` comment opening at i, counting nested `/*` as the server does."""
    depth, j, n = 1, i + 2, len(sql)
    while j + 1 < n:
        pair = sql[j : j + 2]
        if pair == "/*":
            depth, j = depth + 1, j + 2
        elif pair == "*/":
            depth, j = depth - 1, j + 2
            if depth == 0:
                return j
        else:
            j += 1
    raise _refuse("the statement has an unterminated comment")


def tokenize(sql: str) -> list[_Token]:
    """Tokens of a statement; comments dropped, string contents never looked at."""
    out: list[_Token] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        if c in _ASCII_SPACE or c in _UNICODE_SPACE:
            i += 1
        elif sql.startswith("--", i) or sql.startswith("//", i):
            i = _line_comment_end(sql, i)
        elif c == "#":
            if not sql.startswith(("# ", "#!"), i):
                raise _refuse("a '#' that does not start a comment ('# ' or '#!') is not accepted")
            i = _line_comment_end(sql, i)
        elif sql.startswith("/*", i):
            i = _block_comment_end(sql, i)
        elif c == "'":
            i = _quoted(sql, i, "'")
            out.append(_Token("string", ""))
        elif c in '`"':
            j = _quoted(sql, i, c)
            out.append(_Token("word", sql[i + 1 : j - 1].replace(c + c, c)))
            i = j
        elif c == "$":
            raise _refuse("heredoc strings ($$...$$) are not accepted")
        elif c == "{" and (m := _PARAM.match(sql, i)):
            out.append(_Token("param", m.group(0)))
            i = m.end()
        elif m := _WORD.match(sql, i):
            out.append(_Token("word", m.group(0)))
            i = m.end()
        elif m := _NUMBER.match(sql, i):
            out.append(_Token("number", m.group(0)))
            i = m.end()
        elif not c.isascii() or not c.isprintable():
            raise _refuse(f"the character U+{ord(c):04X} is not accepted outside a string")
        else:
            out.append(_Token("punct", c))
            i += 1
    return out


def _settings_names(tokens: list[_Token], at: int) -> list[str]:
    """Every name assigned (`name =`) after the SETTINGS at tokens[at], up to the end of its (sub)query."""
    names: list[str] = []
    depth = 0
    for i in range(at + 1, len(tokens)):
        tok = tokens[i]
        if tok.kind == "punct" and tok.text == "(":
            depth += 1
        elif tok.kind == "punct" and tok.text == ")":
            depth -= 1
            if depth < 0:
                break
        elif (
            tok.kind == "word"
            and i + 1 < len(tokens)
            and tokens[i + 1].text == "="
            and tokens[i + 1].kind == "punct"
            and (i + 2 >= len(tokens) or tokens[i + 2].text != "=")
        ):
            names.append(tok.text)
    return names


def ensure_read_only(sql: str) -> None:
    """Refuse anything but one SELECT/WITH statement that stays inside the database.

    Defence in depth: no user input reaches SQL text, and the server runs every
    query with readonly=2 and the time limit anyway. Refused: more than one
    statement, anything but SELECT/WITH, INTO OUTFILE, SETTINGS outside a
    small allow-list (a query must not lift the limits the dashboard sets),
    and table functions that reach outside the database (file, url, remote, s3, ...).
    """
    tokens = tokenize(sql)
    while tokens and tokens[-1].text == ";" and tokens[-1].kind == "punct":
        tokens.pop()
    if any(t.kind == "punct" and t.text == ";" for t in tokens):
        raise _refuse("only one statement per query is allowed")
    first = next((t for t in tokens if not (t.kind == "punct" and t.text == "(")), None)
    if first is None or not first.is_word("SELECT", "WITH"):
        word = first.text.upper() if first is not None else "(empty)"
        raise _refuse(f"only SELECT/WITH statements may run, not {word[:40]}")
    for i, tok in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if tok.is_word("INTO") and nxt is not None and nxt.is_word("OUTFILE"):
            raise _refuse("INTO OUTFILE is not allowed")
        if tok.is_word("SETTINGS"):
            for name in _settings_names(tokens, i):
                if name.lower() not in QUERY_SETTINGS_ALLOWED:
                    raise _refuse(
                        f"SETTINGS {name[:60]} is not allowed in a query: the dashboard sets the "
                        "limits (readonly, time and size limits) on every query"
                    )
        if (
            tok.kind == "word"
            and tok.text.lower() in OUTSIDE_FUNCTIONS
            and nxt is not None
            and nxt.kind == "punct"
            and nxt.text == "("
        ):
            raise _refuse(f"the function {tok.text[:40]}() reaches outside the database and is not allowed")
