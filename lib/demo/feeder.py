"""The live demo desk: extends the embedded demo in real time, as the desk's ingestion and sync would.

With nothing configured the dashboard runs on an embedded demo desk. Without
this module that desk stops where it was seeded: the sidebar turns amber and
every monitor goes DOWN. The feeder runs inside the app process and, every
tick, inserts the rows that became visible since the desk's end (heartbeats,
account/positions snapshots, candles, funding, the 00:00 rebalance against the
D-2 targets, new targets, orders, sync runs, the occasional duplicate): exactly
`DeskModel.rows(previous end, now)`, so a desk extended tick by tick equals a
desk seeded fresh to the same time (lib/demo/desk.py).

Pure Python, no Streamlit: the clock is injectable (tests drive it across
midnight) and the writable client is given. It must only ever be handed the
embedded database the app itself created: `for_settings()` refuses anything
else (a configured URL, secrets, or a `chdb://` path), and the dashboard's own
reads keep going through the read-only DeskClient.

Each tick also writes a heartbeat of the "demo_feeder" monitor (status, rows,
the error if it failed), so System Health shows the feeder like any monitor.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from lib.config import DEMO_FEEDER_MONITOR, DEMO_REBUILD_AFTER_DAYS, TableMap, table_map
from lib.demo.desk import (
    DEFAULT_START,
    GENERATOR_VERSION,
    DeskModel,
    DeskState,
    Progress,
    insert_window,
    is_seeded,
    read_state,
    seed_client,
    write_state,
)
from lib.demo.simulation.market import DAY_MS

log = logging.getLogger("desk.demo_feeder")
Clock = Callable[[], float]  # seconds since the epoch, like time.time


@dataclass
class FeederStatus:
    """What the feeder last did (read by the UI; written by the feeder thread)."""

    state: str = "starting"  # starting, catching up, live, failed, stopped
    desk_end: datetime | None = None
    last_tick_at: datetime | None = None
    last_error: str | None = None
    ticks: int = 0
    rows_last_tick: int = 0
    cpu_s: float = 0.0  # thread CPU time spent in ticks
    since: float = field(default_factory=time.monotonic)

    @property
    def cpu_share(self) -> float:
        """CPU seconds per wall second since the feeder started (1.0 = one core)."""
        return self.cpu_s / max(time.monotonic() - self.since, 1e-9)


class Feeder:
    """Extends one demo desk (one TableMap in one embedded engine) up to the clock's now."""

    def __init__(
        self,
        client: Any,
        *,
        tables: TableMap | None = None,
        clock: Clock = time.time,
        start: datetime = DEFAULT_START,
        coins: int = 60,
        seed: int = 7,
        rebuild_after_days: float = DEMO_REBUILD_AFTER_DAYS,
        host: str | None = None,
        accounts: int | None = None,
    ):
        """`accounts` None: a new desk has one account, an existing one keeps its own (the desk state's);
        a number: the desk must have that many, and one with another count is rebuilt."""
        self.client = client
        self.tables = tables or table_map()
        self.clock = clock
        self.start, self.coins, self.seed = start, coins, seed
        self.wanted_accounts = accounts
        self.accounts = accounts or 1
        self.rebuild_after_days = rebuild_after_days
        self.host = host or socket.gethostname()
        self.status = FeederStatus()
        self.state: DeskState | None = None
        self._model: DeskModel | None = None
        self._lock = threading.Lock()  # one writer at a time (catch-up in a page run, ticks in the thread)

    # -- time
    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)

    # -- start: seed, rebuild or catch up
    def prepare(self, progress: Progress | None = None) -> str:
        """Bring the desk to now. Returns what was done: seeded, rebuilt, caught up or current."""
        say = progress or (lambda f, m: None)
        with self._lock:
            t0 = time.perf_counter()
            cpu0 = time.thread_time()
            self.status.state = "catching up"
            state = read_state(self.client, self.tables)
            now = self.now_ms()
            if state is None or state.generator != GENERATOR_VERSION:
                done = "rebuilt" if is_seeded(self.client, self.tables) else "seeded"
                self._seed(now, say)
            elif (now - state.end_ms) / DAY_MS > self.rebuild_after_days or (
                self.wanted_accounts is not None and self.wanted_accounts != state.accounts
            ):
                done = "rebuilt"
                self.start = datetime.combine(state.start, datetime.min.time(), UTC)
                self.coins, self.seed = state.coins, state.seed
                self.accounts = self.wanted_accounts or state.accounts
                self._seed(now, say)
            else:
                self.state = state
                self.start = datetime.combine(state.start, datetime.min.time(), UTC)
                self.coins, self.seed, self.accounts = state.coins, state.seed, state.accounts
                done = "caught up" if now > state.end_ms else "current"
                self._catch_up(now, say)
            rows = self.status.rows_last_tick
            self._beat("ok", f"{done} to {self.state.end:%Y-%m-%d %H:%M:%S} UTC", rows, t0)
            self.status.cpu_s += time.thread_time() - cpu0
            self.status.state = "live"
            say(1.0, f"demo desk {done} ({time.perf_counter() - t0:.1f} s)")
            log.info("demo desk %s to %s in %.1f s", done, self.state.end, time.perf_counter() - t0)
            return done

    def _seed(self, now_ms: int, say: Progress) -> None:
        end = datetime.fromtimestamp(now_ms / 1000, UTC)
        summary = seed_client(
            self.client,
            start=self.start,
            end=end,
            coins=self.coins,
            seed=self.seed,
            tables=self.tables,
            force=True,
            progress=lambda f, m: say(0.9 * f, m),
            accounts=self.accounts,
        )
        self.state = read_state(self.client, self.tables)
        self.status.rows_last_tick = sum(summary["tables"].values())
        self._catch_up(now_ms, say)  # the seconds after the whole minute the seed ended at

    def _catch_up(self, now_ms: int, say: Progress) -> None:
        """Extend to now_ms one UTC day at a time (progress per day)."""
        assert self.state is not None
        lo = self.state.end_ms
        if now_ms <= lo:
            return
        cuts = list(range((lo // DAY_MS + 1) * DAY_MS, now_ms, DAY_MS)) + [now_ms]
        self._model_for(now_ms)  # one model through today serves every earlier day too
        total = 0
        for k, hi in enumerate(cuts):
            when = datetime.fromtimestamp(hi / 1000, UTC)
            say(k / len(cuts), f"catching up: {when:%Y-%m-%d %H:%M} UTC ({k + 1}/{len(cuts)})")
            total += self._advance(hi)
        self.status.rows_last_tick = total

    # -- every tick
    def _model_for(self, t_ms: int) -> DeskModel:
        if self._model is None or not self._model.covers(t_ms):
            day = datetime.fromtimestamp(t_ms / 1000, UTC).date()
            self._model = DeskModel(self.start.date(), day, self.coins, self.seed, self.tables, self.accounts)
        return self._model

    def _advance(self, hi_ms: int) -> int:
        assert self.state is not None
        lo = self.state.end_ms
        if hi_ms <= lo:
            return 0
        out = insert_window(self.client, self._model_for(hi_ms), lo, hi_ms)
        self.state = DeskState(hi_ms, GENERATOR_VERSION, self.seed, self.coins, self.start.date(), self.accounts)
        write_state(self.client, self.tables, self.state)
        self.status.desk_end = self.state.end
        return sum(t.num_rows for t in out.values())

    def tick(self) -> int:
        """Extend the desk to now; a failure is logged and beaten, never raised. Returns rows inserted."""
        with self._lock:
            t0 = time.perf_counter()
            cpu0 = time.thread_time()
            try:
                if self.state is None:
                    raise RuntimeError("the demo desk was not prepared")
                rows = self._advance(self.now_ms())
            except Exception as exc:  # noqa: BLE001 - a tick must never kill the thread; the error is shown
                msg = f"{type(exc).__name__}: {exc}"[:500]
                log.exception("demo feeder tick failed")
                self.status.state, self.status.last_error = "failed", msg
                self._beat("error", msg, 0, t0)
                rows = -1
            else:
                self.status.state, self.status.rows_last_tick = "live", rows
                self._beat("ok", "", rows, t0)
            self.status.ticks += 1
            self.status.last_tick_at = self._now()
            self.status.cpu_s += time.thread_time() - cpu0
            return rows

    def _beat(self, status: str, message: str, rows: int, t0: float) -> None:
        """One heartbeat of the demo_feeder monitor; if even that fails, the log has it."""
        try:
            self.client.insert_arrow(
                self.tables.qualified("heartbeat"),
                pa.table(
                    {
                        "ts": pa.array([self.now_ms()], pa.timestamp("ms", tz="UTC")),
                        "monitor": pa.array([DEMO_FEEDER_MONITOR]),
                        "host": pa.array([self.host]),
                        "status": pa.array([status]),
                        "message": pa.array([message]),
                        "rows": pa.array([max(rows, 0)], pa.uint64()),
                        "duration_ms": pa.array([int((time.perf_counter() - t0) * 1000)], pa.uint32()),
                    }
                ),
            )
        except Exception:  # noqa: BLE001 - the database itself is failing; silence is what System Health shows
            log.exception("demo feeder could not write its heartbeat")

    # -- the background thread
    def run(self, stop: threading.Event, interval_s: float) -> None:
        """Tick every interval_s until stop is set; log what the feeder costs once an hour."""
        next_report = time.monotonic() + 3600
        while not stop.wait(interval_s):
            self.tick()
            if time.monotonic() >= next_report:
                next_report += 3600
                log.info(
                    "demo feeder: %d ticks, desk at %s, %.2f%% of one core",
                    self.status.ticks,
                    self.status.desk_end,
                    100 * self.status.cpu_share,
                )
        self.status.state = "stopped"


class FeederThread:
    """A Feeder ticking in a daemon thread (stops with the process, or with stop())."""

    def __init__(self, feeder: Feeder, interval_s: float):
        self.feeder = feeder
        self.interval_s = interval_s
        self._stop = threading.Event()
        self.thread = threading.Thread(
            target=feeder.run, args=(self._stop, interval_s), name="demo-feeder", daemon=True
        )

    def start(self) -> FeederThread:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self.thread.is_alive() and threading.current_thread() is not self.thread:
            self.thread.join(timeout)


def for_settings(settings: Any) -> str | None:
    """The embedded demo path the feeder may write to, or None.

    Only the embedded default (nothing configured: no URL, no secrets, no
    chdb:// path) is the app's own database; anything configured is read-only."""
    if not getattr(settings, "embedded_default", False):
        return None
    primary = settings.primary
    return primary.path if primary.kind == "chdb" else None


def open_writer(path: str) -> Any:
    """A writable clickhouse-connect client on the embedded path: its own chdb handle in
    this process's engine (chdb allows many handles to the one engine a process hosts)."""
    import clickhouse_connect

    return clickhouse_connect.get_client(dsn=f"chdb://{path}")


__all__ = ["Feeder", "FeederStatus", "FeederThread", "for_settings", "open_writer"]
