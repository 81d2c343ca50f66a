"""Two costs of Streamlit's AppTest that a test run pays hundreds of times, and that say nothing about the app.

Both are set once per process, by tests/conftest.py and by tests/numbers_reader.py (which runs pages in a process
of its own). Neither changes what a script run does or what AppTest reports; a run that does not finish within
its timeout still fails the same way.
"""

from __future__ import annotations

import functools
import threading
from typing import Any


def scan_installed_components_once() -> None:
    """Each new AppTest scans every installed distribution's metadata for Streamlit v2 components
    (streamlit/components/v2/manifest_scanner.py: ~900 metadata files, 0.29 CPU-s here), and the suite makes
    hundreds of them. The installed packages do not change during a run, so the scan runs once per process."""
    from streamlit.components.v2 import manifest_scanner

    manifest_scanner.scan_component_manifests = functools.cache(manifest_scanner.scan_component_manifests)


def wait_for_runs_without_polling() -> None:
    """AppTest waits for a script run by waking every millisecond and scanning the run's whole event list (one
    event per element sent) for SHUTDOWN: ~1,000 wake-ups a second of run, each taking the GIL from the script
    thread. Waiting on the SHUTDOWN event itself ends at the same moment and costs nothing meanwhile (4 page
    modules, 4 paired runs on a busy machine: 67.9 -> 63.5 CPU-s on average, measured 2026-12-07)."""
    from streamlit.runtime.scriptrunner import ScriptRunnerEvent
    from streamlit.testing.v1 import local_script_runner

    def require_widgets_deltas(runner: Any, timeout: float = 3) -> None:
        stopped = threading.Event()

        def on_event(sender: Any, event: ScriptRunnerEvent, **kwargs: Any) -> None:
            if event == ScriptRunnerEvent.SHUTDOWN:
                stopped.set()

        runner.on_event.connect(on_event, weak=False)
        try:
            if runner.script_stopped() or stopped.wait(timeout):
                return
        finally:
            runner.on_event.disconnect(on_event)
        # as AppTest's own: stop the runner so the script does not hang forever, then fail
        runner.request_stop()
        runner.join()
        raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

    local_script_runner.require_widgets_deltas = require_widgets_deltas


def lighten() -> None:
    scan_installed_components_once()
    wait_for_runs_without_polling()
