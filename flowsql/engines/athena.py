"""The Athena engine: sends validated Athena SQL through PyAthena and returns typed Rows.

PyAthena does the API work it is good at (start, poll, retries on throttling, stopping the query on
Ctrl-C). flowsql adds what it lacks: a client-side timeout that stops the query, progress reports,
errors that carry Athena's reason with the execution id and statement, UTC-aware timestamps, and
reading large results from the result CSV in S3 with flowsql's own S3 client. PyAthena builds its
S3 client without the configured endpoint URL; flowsql's honours it (and AWS_ENDPOINT_URL[_S3]),
and falls back to GetQueryResults pages when the result file cannot be read.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flowsql import aws
from flowsql.config import AthenaSettings
from flowsql.errors import ConfigError, CredentialsError, EngineError, QueryFailed
from flowsql.investigations.window import TimeWindow
from flowsql.results import Rows, Stats
from flowsql.tables.spec import TableSpec

PAGE_SIZE = 1000  # GetQueryResults' maximum page
THROTTLE_ATTEMPTS = 8
THROTTLE_BACKOFF_SECONDS = 1.0  # first wait; doubles per attempt, capped at THROTTLE_MAX_DELAY
THROTTLE_MAX_DELAY = 30
TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})

# PyAthena logs failures with logger.exception(); without a handler, logging's last-resort handler
# would print those tracebacks on stderr. flowsql reports every failure itself.
logging.getLogger("pyathena").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class AthenaProgress:
    """One status report while a query runs (sent after every poll)."""

    execution_id: str
    state: str
    elapsed_seconds: float
    bytes_scanned: int | None

    @property
    def done(self) -> bool:
        return self.state in TERMINAL_STATES


class _TimedOut(Exception):
    """Raised from the poll callback to leave PyAthena's wait loop; never escapes the engine."""


class AthenaEngine:
    """Runs one statement at a time on Athena; see the module docstring for the division of work."""

    name = "athena"

    def __init__(
        self,
        spec: TableSpec,
        settings: AthenaSettings,
        *,
        progress: Callable[[AthenaProgress], None] | None = None,
        cursor_factory: Callable[..., Any] | None = None,
        poll_interval: float = 0.5,
    ) -> None:
        self.spec = spec
        self.settings = settings
        self.progress = progress
        self.poll_interval = poll_interval
        self._cursor_factory = cursor_factory
        self._connection: Any = None
        self._s3: Any = None

    # --- connection ---------------------------------------------------------------------------

    def connect_kwargs(self) -> dict[str, Any]:
        """Arguments for pyathena.connect(): settings first, boto3's standard environment second."""
        from pyathena.util import RetryConfig

        from flowsql.engines.athena_results import UtcConverter

        session = aws.session(self.settings)
        region = self.settings.region or session.region_name
        if not region:
            raise ConfigError(
                "no AWS Region is set for Athena",
                hint="pass --region, set AWS_REGION / AWS_DEFAULT_REGION, or add athena.region to the config",
            )
        kwargs: dict[str, Any] = {
            "session": session,
            "region_name": region,
            "schema_name": self.spec.database,
            "poll_interval": self.poll_interval,
            "kill_on_interrupt": True,
            "converter": UtcConverter(),
            "retry_config": RetryConfig(
                attempt=THROTTLE_ATTEMPTS,
                multiplier=THROTTLE_BACKOFF_SECONDS,  # type: ignore[arg-type]
                max_delay=THROTTLE_MAX_DELAY,
            ),
        }
        if not (self.settings.output_location or self.settings.workgroup or _pyathena_env()):
            raise ConfigError(
                "Athena needs a place for query results: no output location or workgroup is set",
                hint="run `flowsql init` (it reads the workgroup and saves where results go), or pass "
                "--output-location s3://BUCKET/PREFIX/ or --workgroup NAME",
            )
        if self.settings.output_location:
            kwargs["s3_staging_dir"] = self.settings.output_location
        if self.settings.workgroup:
            kwargs["work_group"] = self.settings.workgroup
        if self.settings.endpoint_url:
            kwargs["endpoint_url"] = self.settings.endpoint_url
        if self.settings.result_reuse_minutes:
            kwargs["result_reuse_enable"] = True
            kwargs["result_reuse_minutes"] = int(self.settings.result_reuse_minutes)
        return kwargs

    def _cursor(self, on_poll: Callable[[Any], None]) -> Any:
        """A fresh cursor for one statement; the connection (boto3 clients) is made once."""
        if self._cursor_factory is not None:
            return self._cursor_factory(**self.connect_kwargs(), on_poll=on_poll)
        if self._connection is None:
            self._connection = _pyathena_connect(**self.connect_kwargs())
        return self._connection.cursor(on_poll=on_poll)

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def s3_client(self) -> Any:
        """flowsql's S3 client for these settings (endpoint URL honoured); also for scan estimates."""
        if self._s3 is None:
            self._s3 = aws.client("s3", self.settings)
        return self._s3

    # --- running ------------------------------------------------------------------------------

    def execute(self, sql: str, *, window: TimeWindow | None = None) -> Rows:
        """Run one statement; typed Rows with execution id, bytes scanned and cost in .stats.
        The window needs no use here: the partition predicate in `sql` bounds Athena's scan."""
        from pyathena.error import DatabaseError, OperationalError

        started = time.monotonic()
        timeout = self.settings.timeout_seconds
        last: dict[str, Any] = {}

        def on_poll(execution: Any) -> None:
            elapsed = time.monotonic() - started
            last["state"] = execution.state
            last["reason"] = execution.state_change_reason or execution.error_message
            if self.progress is not None:
                self.progress(
                    AthenaProgress(
                        execution.query_id or "",
                        execution.state or "",
                        elapsed,
                        execution.data_scanned_in_bytes,
                    )
                )
            if timeout and elapsed > timeout and execution.state not in TERMINAL_STATES:
                raise _TimedOut

        cursor = self._cursor(on_poll)
        try:
            try:
                cursor.execute(sql)
            except _TimedOut:
                self._stop(cursor)
                raise QueryFailed(
                    f"the Athena query did not finish within {timeout:g} s; flowsql stopped it",
                    execution_id=cursor.query_id,
                    statement=sql,
                    state="CANCELLED",
                    hint="raise athena.timeout_seconds in the config, or narrow the time window",
                ) from None
            except OperationalError as exc:
                state = last.get("state")
                if state in ("FAILED", "CANCELLED"):
                    verb = "failed" if state == "FAILED" else "was cancelled"
                    raise QueryFailed(
                        f"the Athena query {verb}: {last.get('reason') or exc}",
                        execution_id=cursor.query_id,
                        statement=sql,
                        state=state,
                    ) from None
                if state == "SUCCEEDED":  # the first result page is fetched inside execute()
                    raise _read_failed(cursor, exc) from None
                raise EngineError(f"talking to Athena failed: {_describe(exc)}") from None
            except DatabaseError as exc:
                # A credentials problem is not the statement's fault: one message, no SQL dump.
                if (problem := _credentials_problem(exc)) is not None:
                    raise problem from None
                raise QueryFailed(
                    f"Athena refused to start the query: {_describe(exc)}",
                    statement=sql,
                    hint=_start_hint(exc, self.settings),
                ) from None
            except BaseException:
                # Ctrl-C is handled by PyAthena (it stops the query and waits); anything else that
                # escapes the wait, such as a failing progress callback, must not leave it running.
                if cursor.query_id and last.get("state") not in TERMINAL_STATES:
                    with contextlib.suppress(Exception):
                        cursor.cancel()
                raise
            try:
                columns, rows, source = self._read_rows(cursor)
            except DatabaseError as exc:
                raise _read_failed(cursor, exc) from None
            stats = Stats(
                engine=self.name,
                elapsed_seconds=time.monotonic() - started,
                execution_id=cursor.query_id,
                bytes_scanned=cursor.data_scanned_in_bytes,
                statement=sql,
                result_source=source,
            )
            return Rows(columns, rows, stats)
        finally:
            cursor.close()

    def _stop(self, cursor: Any) -> None:
        """StopQueryExecution for a query flowsql gives up on; a failure to stop is reported too."""
        try:
            cursor.cancel()
        except Exception as exc:
            raise QueryFailed(
                f"the Athena query timed out and could not be stopped: {_describe(exc)}",
                execution_id=cursor.query_id,
                state="RUNNING",
                hint="stop it in the Athena console so it does not keep scanning",
            ) from None

    def _read_rows(self, cursor: Any) -> tuple[list[str], list[Sequence[Any]], str]:
        """Small results from the first GetQueryResults page; large ones from the result CSV.

        PyAthena has fetched the first page (999 rows after the header) inside execute(); asking
        for a full page more tells "that was all" from "there is more" with public API, at the cost
        of one extra page for large results. Those are then read in one GET of the result file."""
        description = cursor.description or []
        columns = [d[0] for d in description]
        types = [str(d[1]) for d in description]
        first = cursor.fetchmany(PAGE_SIZE)
        if len(first) < PAGE_SIZE:
            return columns, first, "GetQueryResults"
        location = cursor.output_location
        if location:
            rows = self._read_result_file(location, types)
            if rows is not None and len(rows) >= len(first):
                return columns, rows, "s3"
        return columns, first + cursor.fetchall(), "GetQueryResults"

    def _read_result_file(self, location: str, types: Sequence[str]) -> list[tuple[Any, ...]] | None:
        """The whole result from its CSV in S3, typed; None when it cannot be read (caller pages)."""
        from botocore.exceptions import BotoCoreError, ClientError

        from flowsql.engines.athena_results import convert_rows, parse_result_csv

        try:
            bucket, key = aws.split_s3(location)
            body = self.s3_client().get_object(Bucket=bucket, Key=key)["Body"].read()
            records = parse_result_csv(body.decode("utf-8"))
        except (BotoCoreError, ClientError, ConfigError, ValueError, UnicodeDecodeError):
            return None
        if not records or len(records[0]) != len(types):
            return None
        return convert_rows(records[1:], types)


def _pyathena_env() -> bool:
    """PyAthena's own variables for the result location and workgroup, which it reads when unset."""
    import os

    return bool(os.environ.get("AWS_ATHENA_S3_STAGING_DIR") or os.environ.get("AWS_ATHENA_WORK_GROUP"))


def _pyathena_connect(**kwargs: Any) -> Any:
    import pyathena

    return pyathena.connect(**kwargs)


def _read_failed(cursor: Any, exc: BaseException) -> EngineError:
    return EngineError(f"reading the result of Athena query {cursor.query_id} failed: {_describe(exc)}")


def _credentials_problem(exc: BaseException) -> CredentialsError | None:
    causes = [exc, exc.__cause__, exc.__context__]
    return next((p for c in causes if c is not None and (p := aws.credentials_problem(c))), None)


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__
    if cause is not None and getattr(cause, "response", None):
        return aws.describe_client_error(cause)
    return str(exc) or type(exc).__name__


def _start_hint(exc: BaseException, settings: AthenaSettings) -> str | None:
    text = _describe(exc).lower()
    if "output location" in text or ("outputlocation" in text and not settings.output_location):
        return "pass --output-location s3://bucket/prefix/ or use a workgroup with a result location"
    if "workgroup" in text:
        return "check --workgroup and that it is enabled"
    return None
