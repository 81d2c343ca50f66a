"""The embedded demo desk in the app: built or caught up before the first page renders, then kept live.

With nothing configured (`settings.embedded_default`), the first script run of
the process brings the demo desk to now, with progress shown (a missing desk is
built, a very old one or one from another generator rebuilt, otherwise the
missing hours are generated), and starts one background feeder thread per
process (st.cache_resource) that extends the desk every DESK_DEMO_TICK_S
seconds through its own writable chdb handle (lib/demo/feeder.py). Pages keep
reading through the read-only DeskClient. A configured ClickHouse (URL,
secrets or a chdb:// path) is never written to and gets no feeder.
"""

from __future__ import annotations

import atexit
import threading
import time

import streamlit as st

from lib import config
from lib import format as fmt
from lib.clickhouse.client import DeskClient
from lib.demo import feeder

_prepare_lock = threading.Lock()


def _stop(thread: feeder.FeederThread) -> None:
    thread.stop()


@st.cache_resource(show_spinner=False, on_release=_stop)
def _feeder_thread(path: str) -> feeder.FeederThread:
    """One feeder per process and embedded path; not started until the desk is prepared."""
    thread = feeder.FeederThread(feeder.Feeder(feeder.open_writer(path)), config.DEMO_TICK_S)
    atexit.register(thread.stop, 2.0)
    return thread


def ensure_demo(client: DeskClient) -> feeder.FeederStatus | None:
    """Make the embedded demo current and keep it live; None when a ClickHouse is configured."""
    if not client.settings.embedded_default:
        return None
    path = feeder.for_settings(client.settings)
    if path is None:
        return None
    try:
        thread = _feeder_thread(path)
    except Exception as exc:  # noqa: BLE001 - e.g. the directory is locked by another process
        st.error(
            f"**The embedded demo desk could not be opened for writing.** {fmt.md_text(_reason(exc, path))}",
            icon=":material/error:",
        )
        return None
    if thread.thread.is_alive():
        return thread.feeder.status
    with _prepare_lock:
        if not thread.thread.is_alive():
            with st.status("Bringing the demo desk up to date…", expanded=True) as box:
                bar = st.progress(0.0)

                def progress(frac: float, text: str) -> None:
                    bar.progress(min(max(frac, 0.0), 1.0), text=text)

                t0 = time.perf_counter()
                try:
                    done = thread.feeder.prepare(progress)
                except Exception as exc:  # noqa: BLE001 - the page shows it; the next run tries again
                    box.update(label="The demo desk could not be brought up to date", state="error")
                    st.error(
                        f"**Demo feeder failed.** {type(exc).__name__}: {fmt.md_text(exc)}", icon=":material/error:"
                    )
                    return thread.feeder.status
                box.update(
                    label=f"Demo desk {done} to {thread.feeder.state.end:%Y-%m-%d %H:%M} UTC "
                    f"({time.perf_counter() - t0:.1f} s)",
                    state="complete",
                    expanded=False,
                )
            st.cache_data.clear()
            thread.start()
    return thread.feeder.status


def _reason(exc: Exception, path: str) -> str:
    from lib.clickhouse import embedded_lock as chdb_lock

    pid = chdb_lock.holder(path)
    if pid is not None:
        return chdb_lock.locked_message(path, pid)
    return f"{type(exc).__name__}: {str(exc)[:300]}"
