"""The columnar cache: what the DuckDB views read from gzip text files, kept as Parquet for later runs.

Decompressing and parsing gzip text is nearly all of a local query's time. The first investigation
over a text file also writes the rows the view produced from it (after every reading rule of the view:
types, what '-' means, columns a file lacks) to a Parquet entry, and later investigations over the same
file read that entry instead. An entry is found by a key over the file's path, size, modification and
change times and the exact SQL that read it, so a rewritten, replaced or re-read-differently file is
never served from the cache (a deleted one is never asked for). Each entry keeps the file's path from
`AWSLogs/` on, so the view cuts the same partition columns out of the entry's path as out of the
file's, and DuckDB skips entries on them as it skips files.

Safe against concurrent runs: an entry is written to a temporary name and renamed into place, readers
hold a shared lock on the cache's lock file while they query, and eviction (least recently used
first, down to the configured size) only runs when it can take the lock exclusively.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from flowsql.errors import ConfigError

try:  # POSIX; elsewhere the cache runs without cross-process locking
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

NAMESPACE = "columnar"
FORMAT_VERSION = "1"  # bump when the layout of an entry changes
DEFAULT_MAX_BYTES = 2_000_000_000
ENTRY_FILE = "entry.json"
LOCK_FILE = ".lock"
# Parquet settings for entries: writing costs about as much CPU as reading the gzip text, and LZ4 with
# version 2 pages and no bloom filters is the cheapest to write of DuckDB's options while reading back
# as fast as any; row groups of 122,880 rows keep min/max statistics for skipping by time.
WRITE_OPTIONS = "FORMAT parquet, COMPRESSION lz4_raw, PARQUET_VERSION v2, WRITE_BLOOM_FILTER false"


FILL_MODES = ("background", "inline")
FILL_ENV = "FLOWSQL_CACHE_FILL"  # overrides the config's cache.fill (a Session argument overrides both)


@dataclass(frozen=True)
class Settings:
    """Whether the cache is used, how large it may grow and when it is filled (config
    `cache: {enabled, max_size, fill}`): `background` answers from the text and writes the entries in
    a detached low-priority process afterwards (flowsql.engines.duckdb.background); `inline` writes
    them before answering, in the run itself."""

    enabled: bool = True
    max_bytes: int = DEFAULT_MAX_BYTES
    fill: str = "background"


def settings(raw: Any) -> Settings:
    """The `cache:` mapping of the config file, checked."""
    if raw is None:
        return Settings()
    if not isinstance(raw, dict):
        raise ConfigError(
            f"config setting cache must be a mapping like {{enabled: true, max_size: 2GB}}, got {raw!r}"
        )
    unknown = sorted(set(raw) - {"enabled", "max_size", "fill"})
    if unknown:
        raise ConfigError(
            f"config setting cache: unknown key(s) {', '.join(unknown)}",
            hint="known: enabled, max_size, fill",
        )
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"config setting cache.enabled must be true or false, got {enabled!r}")
    max_bytes = DEFAULT_MAX_BYTES
    if raw.get("max_size") is not None:
        from flowsql.cost.estimate import parse_size

        try:
            max_bytes = parse_size(raw["max_size"])
        except ConfigError:
            raise ConfigError(
                f"config setting cache.max_size must be a size like 2GB or 500MiB, got {raw['max_size']!r}"
            ) from None
    fill = fill_mode(raw.get("fill"), "config setting cache.fill") or "background"
    return Settings(enabled, max_bytes, fill)


def fill_mode(value: Any, what: str) -> str | None:
    """`value` checked as a fill mode (None stays None: the next source decides)."""
    if value is None:
        return None
    if value not in FILL_MODES:
        raise ConfigError(
            f"{what} must be background or inline, got {value!r}",
            hint="background answers first and fills the cache afterwards; inline fills it while answering",
        )
    return str(value)


def for_config(raw: Any, enabled: bool | None = None, fill: str | None = None) -> ColumnarCache | None:
    """The cache a run uses: None when `enabled` is False (--no-cache), the config's `cache.enabled`
    is false, or FLOWSQL_CACHE_DIR is set to ''. Its fill mode: `fill`, else FLOWSQL_CACHE_FILL, else
    the config's, else background (inline where a detached process is not available)."""
    chosen = settings(raw)
    if enabled is False or (enabled is None and not chosen.enabled):
        return None
    folder = default_folder()
    if not folder:
        return None
    mode = (
        fill_mode(fill, "the cache_fill argument")
        or fill_mode(os.environ.get(FILL_ENV) or None, f"the environment variable {FILL_ENV}")
        or chosen.fill
    )
    if mode == "background":
        from flowsql.engines.duckdb import background

        if not background.supported():
            mode = "inline"
    return ColumnarCache(folder, chosen.max_bytes, fill=mode)


def default_folder() -> str | None:
    """Where entries live: `columnar/` under the flowsql cache folder (FLOWSQL_CACHE_DIR; '' is off)."""
    from flowsql import diskcache

    return diskcache.folder(NAMESPACE)


def private_folder(path: str) -> None:
    """Create `path` (and missing parents) readable by its owner only; refuse a folder others could
    have written to (the same rule as the statement cache, diskcache.unsafe_reason), since entries
    are read back as query input."""
    from flowsql import diskcache

    os.makedirs(path, mode=0o700, exist_ok=True)
    info = os.lstat(path)
    if hasattr(os, "getuid") and info.st_uid == os.getuid() and info.st_mode & 0o077:
        os.chmod(path, 0o700)  # our own folder, made with a loose umask: tighten it
    problem = diskcache.unsafe_reason(path)
    if problem is not None:
        raise ConfigError(f"not using the cache folder {path}: {problem}", hint="set FLOWSQL_CACHE_DIR")


@dataclass(frozen=True)
class Entry:
    key: str
    folder: str
    data: str  # the Parquet file
    source: str
    size: int  # bytes of the entry on disk
    used: float  # last use (the mtime of its entry.json)


class ColumnarCache:
    """Parquet entries for text files under one folder, bounded to `max_bytes`."""

    def __init__(self, folder: str, max_bytes: int = DEFAULT_MAX_BYTES, *, fill: str = "inline") -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.fill = fill  # "inline": the engine writes entries before answering; "background": after
        self._lock_handle: Any = None
        self.written = 0  # entries this object wrote (eviction is only worth a look after writing)

    # --- keys and lookups ---------------------------------------------------------------------

    @staticmethod
    def key(source: str, recipe: str) -> str | None:
        """The entry key of `source` as it is now on disk, read by `recipe`; None if it is gone."""
        try:
            info = os.stat(source)
        except OSError:
            return None
        material = [
            FORMAT_VERSION,
            recipe,
            source,
            info.st_size,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_ino,
        ]
        return hashlib.sha256(json.dumps(material).encode()).hexdigest()

    def data_path(self, key: str, source: str) -> str:
        """Where an entry's Parquet file sits: its key folder, then the source's path from AWSLogs/ on,
        so the partition regex of the view matches it as it matches the source."""
        posix = source.replace(os.sep, "/")
        at = posix.rfind("/AWSLogs/")
        tail = posix[at + 1 :] if at >= 0 else os.path.basename(posix)
        return os.path.join(self.folder, key, *tail.split("/")) + ".parquet"

    def lookup(self, key: str, source: str) -> str | None:
        """The entry's Parquet file if it is complete; its use is recorded (for LRU eviction)."""
        data = self.data_path(key, source)
        meta = os.path.join(self.folder, key, ENTRY_FILE)
        if not (os.path.isfile(meta) and _looks_like_parquet(data)):
            return None
        with contextlib.suppress(OSError):
            os.utime(meta)
        return data

    # --- writing --------------------------------------------------------------------------------

    def store(self, key: str, source: str, recipe: str, write: Any) -> str | None:
        """Write an entry: `write(path)` writes the Parquet file at `path` (a temporary name, renamed
        into place when complete). Returns the entry's file, or None when it could not be made or the
        source changed while it was read (nothing is kept then)."""
        private_folder(self.folder)
        final = self.data_path(key, source)
        entry_dir = os.path.join(self.folder, key)
        temporary = f"{entry_dir}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        target = os.path.join(temporary, os.path.relpath(final, entry_dir))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        try:
            write(target)
            if self.key(source, recipe) != key:
                raise OSError("the source changed while it was read")
            meta = {"source": source, "bytes": os.path.getsize(target), "written": time.time()}
            with open(os.path.join(temporary, ENTRY_FILE), "w", encoding="utf-8") as handle:
                json.dump(meta, handle)
            try:
                os.rename(temporary, entry_dir)  # atomic; fails if another run just made the same entry
            except OSError:
                if not os.path.isfile(os.path.join(entry_dir, ENTRY_FILE)):
                    raise
        except Exception:
            shutil.rmtree(temporary, ignore_errors=True)
            return None
        shutil.rmtree(temporary, ignore_errors=True)
        self.written += 1
        return final

    # --- listing, eviction, clearing -------------------------------------------------------------

    def entries(self) -> list[Entry]:
        found = []
        try:
            listing = list(os.scandir(self.folder))
        except OSError:
            return []
        for item in listing:
            if not item.is_dir(follow_symlinks=False) or item.name.endswith(".tmp"):
                continue
            meta = os.path.join(item.path, ENTRY_FILE)
            try:
                with open(meta, encoding="utf-8") as handle:
                    info = json.load(handle)
                used = os.stat(meta).st_mtime
            except (OSError, ValueError):
                continue
            source = str(info.get("source", ""))
            found.append(
                Entry(
                    item.name,
                    item.path,
                    self.data_path(item.name, source),
                    source,
                    int(info.get("bytes", 0)),
                    used,
                )
            )
        return found

    def evict(self, keep: frozenset[str] = frozenset()) -> int:
        """Remove least recently used entries until the cache fits its bound; entries in `keep` go
        last. Skipped (0) while another run holds the lock. Returns how many entries went."""
        entries = self.entries()
        total = sum(e.size for e in entries)
        if total <= self.max_bytes:
            return 0
        with self.locked(exclusive=True, wait=False) as held:
            if not held:
                return 0
            removed = 0
            for entry in sorted(entries, key=lambda e: (e.key in keep, e.used)):
                if total <= self.max_bytes:
                    break
                shutil.rmtree(entry.folder, ignore_errors=True)
                total -= entry.size
                removed += 1
            return removed

    def remove(self, key: str) -> None:
        shutil.rmtree(os.path.join(self.folder, key), ignore_errors=True)

    def clear(self, wait_seconds: float = 10.0) -> tuple[int, int]:
        """Remove every entry (waiting up to `wait_seconds` for runs using it, a background fill
        among them) and the fill jobs not yet taken; (entries, bytes)."""
        from flowsql.engines.duckdb import background

        background.drop_queued(self.folder)
        deadline = time.monotonic() + wait_seconds
        while True:
            with self.locked(exclusive=True, wait=False) as held:
                if held:
                    entries = self.entries()
                    for entry in entries:
                        shutil.rmtree(entry.folder, ignore_errors=True)
                    for item in _scandir(self.folder):
                        if item.name.endswith(".tmp"):
                            shutil.rmtree(item.path, ignore_errors=True)
                    return len(entries), sum(e.size for e in entries)
            if time.monotonic() > deadline:
                filling = background.state(self.folder)
                who = f" (a background fill, pid {filling.pid})" if filling and filling.pid else ""
                raise ConfigError(
                    f"the cache in {self.folder} is in use by another flowsql run{who}",
                    hint="try again when it has finished (`flowsql cache info` shows a fill in progress)",
                )
            time.sleep(0.1)

    # --- locking ----------------------------------------------------------------------------------

    def share(self) -> None:
        """Hold the shared lock (a run reading entries) until release(): eviction and clearing by
        other runs wait for it, so no entry this run's views name disappears under them."""
        if self._lock_handle is None:
            self._lock_handle = _lock(self.folder, exclusive=False, wait=True)

    def release(self) -> None:
        handle, self._lock_handle = self._lock_handle, None
        if handle is not None:
            handle.close()  # closing the file releases its lock

    @contextlib.contextmanager
    def locked(self, *, exclusive: bool = False, wait: bool = True) -> Iterator[bool]:
        """The lock file held shared or exclusively for a block; yields whether it could be taken."""
        handle = _lock(self.folder, exclusive=exclusive, wait=wait)
        try:
            yield handle is not None
        finally:
            if handle is not None:
                handle.close()


def _lock(folder: str, *, exclusive: bool, wait: bool) -> Any:
    """The open lock file with its lock taken, or None when `wait` is False and another run holds
    it. Without fcntl (Windows) an unlocked handle: runs are then not protected from each other."""
    private_folder(folder)
    handle = open(os.path.join(folder, LOCK_FILE), "a+b")  # noqa: SIM115 - the caller closes it
    if fcntl is None:  # pragma: no cover - Windows
        return handle
    mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
    try:
        fcntl.flock(handle.fileno(), mode | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        handle.close()
        return None
    return handle


def _looks_like_parquet(path: str) -> bool:
    """Both of Parquet's magic markers in place: an entry cut short (by a full disk, say) is not used."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(4)
            handle.seek(-4, os.SEEK_END)
            return head == b"PAR1" and handle.read(4) == b"PAR1"
    except OSError:
        return False


def _scandir(folder: str) -> list[os.DirEntry[str]]:
    try:
        return list(os.scandir(folder))
    except OSError:
        return []
