"""The system Chromium and the one set of flags every browser test and benchmark launches it with.

Playwright's own browser download does not work here, so tests and benchmarks drive Debian's `chromium`
(scripts/ensure_chromium.sh installs it). One list, so a flag added for the tests is the benchmarks' too.
"""

from __future__ import annotations

import shutil

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str | None:
    """The system Chromium, or None when it is not installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None
