"""An embedded (chdb) database directory that another process has open.

chdb runs a ClickHouse server inside the process and, like ClickHouse, takes
an exclusive lock (flock) on `<path>/status`, which holds the owner's PID. A
second process that opens the same directory gets "Cannot lock file ...
status. Another server instance in same directory is already running" on
stderr and a bare `BAD_ARGUMENTS: Error initializing EmbeddedServer` from the
driver, which the client would otherwise call "unreachable".

* `holder(path)` tells who holds it (another process's PID, or None);
* `locked_message(path, pid)` says what is wrong and what to do;
* `snapshot(path)` makes a consistent read-only copy for a command-line reader:
  MergeTree parts are immutable once renamed into place, so the copy hardlinks
  every committed part's files (ClickHouse's own FREEZE does the same), copies
  the small mutable files (metadata), and skips parts still being written
  (tmp_*) or being removed. A part merged during the copy leaves both the
  merged and the source parts in it; ClickHouse ignores covered parts on load.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

_PID = re.compile(r"PID:\s*(\d+)")
_PART = re.compile(r"^[A-Za-z0-9-]+_\d+_\d+_\d+(_\d+)?$")  # partition_min_max_level[_mutation]
_SKIP_DIRS = ("tmp_", "delete_tmp_", "detached")


def holder(path: str | Path) -> int | None:
    """PID of *another* process holding the database directory, or None when it is free
    (or held by this process: chdb shares one engine between this process's handles).
    0 when it is held but the PID cannot be read."""
    status = Path(path) / "status"
    try:
        fd = os.open(status, os.O_RDONLY)
    except OSError:
        return None  # no status file: nobody runs a server there
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                return None
            text = os.pread(fd, 4096, 0).decode(errors="replace")
            m = _PID.search(text)
            pid = int(m.group(1)) if m else 0
            return None if pid == os.getpid() else pid
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


def process_name(pid: int) -> str:
    """A short description of a process ('streamlit run app.py ...'), '' when unknown."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    parts = [p for p in raw.decode(errors="replace").split("\0") if p]
    text = " ".join(Path(parts[0]).name if i == 0 else p for i, p in enumerate(parts))
    return " ".join(text.split())[:120]


def locked_message(path: str | Path, pid: int | None) -> str:
    """What is wrong and what to do, for a database directory another process has open."""
    who = f"process {pid}" if pid else "another process"
    name = process_name(pid) if pid else ""
    if name:
        who += f" ({name})"
    dashboard = "streamlit" in name or not name
    what = "a running dashboard" if dashboard else "another program"
    return (
        f"the embedded database {path} is open in {what}: {who}. chdb lets only one process open a database "
        f"directory at a time. Stop that process, or build a second desk with `python -m cli demo --path <dir>` "
        f"and point CLICKHOUSE_URL=chdb://<dir> at it."
    )


@dataclass(frozen=True)
class Snapshot:
    path: Path  # the copy (a temporary directory)
    taken_at: float  # time.time() when the copy was made
    seconds: float  # how long it took
    files: int


def snapshot(path: str | Path, into: str | Path | None = None) -> Snapshot:
    """A consistent read-only copy of a chdb database directory another process has open."""
    t0 = time.perf_counter()
    src = Path(path)
    dst = Path(into) if into else Path(tempfile.mkdtemp(prefix="desk-snapshot-"))
    files = 0
    for root, dirs, names in os.walk(src):
        rel = Path(root).relative_to(src)
        out = dst / rel
        out.mkdir(parents=True, exist_ok=True)
        keep = []
        for d in dirs:
            full = Path(root) / d
            if full.is_symlink():  # Atomic databases link data/ and metadata/ into store/ (relative links)
                os.symlink(os.readlink(full), out / d)
            elif d.startswith(_SKIP_DIRS) or (rel == Path(".") and d in ("tmp", "user_files")):
                continue
            elif _PART.match(d):
                n = _link_part(full, out / d)
                files += n
            else:
                keep.append(d)
        dirs[:] = keep
        for name in names:
            if rel == Path(".") and name == "status":
                continue  # the owner's lock file
            full = Path(root) / name
            try:
                if full.is_symlink():
                    os.symlink(os.readlink(full), out / name)
                else:
                    shutil.copy2(full, out / name)
                files += 1
            except FileNotFoundError:
                continue  # removed while we copied (a dropped table's leftovers)
    return Snapshot(dst, time.time(), time.perf_counter() - t0, files)


def _link_part(src: Path, dst: Path) -> int:
    """Hardlink one committed part's files; 0 (and nothing left behind) if it vanished meanwhile."""
    try:
        dst.mkdir()
        n = 0
        for entry in os.scandir(src):
            if entry.is_dir(follow_symlinks=False):  # projections: small, copied whole
                shutil.copytree(entry.path, dst / entry.name)
                continue
            try:
                os.link(entry.path, dst / entry.name)
            except OSError as exc:
                if exc.errno != errno.EXDEV:
                    raise
                shutil.copy2(entry.path, dst / entry.name)  # another filesystem: copy
            n += 1
        return n
    except FileNotFoundError:
        shutil.rmtree(dst, ignore_errors=True)
        return 0
