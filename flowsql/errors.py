"""The one error hierarchy. The CLI prints any FlowsqlError as one line (or block) and exits non-zero."""

from __future__ import annotations


class FlowsqlError(Exception):
    """Base of every error flowsql raises on purpose: a message meant for a human, no traceback."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(FlowsqlError):
    """A table option, config file value or command-line flag is wrong."""

    exit_code = 2


class LogFormatError(ConfigError):
    """A LogFormat string or a file header line cannot be turned into fields."""


class LocationError(ConfigError):
    """An S3 URI or local folder is malformed, unreachable or holds no flow logs."""


class CredentialsError(FlowsqlError):
    """No AWS credentials were found, or AWS rejected the ones found (expired, unknown key)."""


class ParameterError(FlowsqlError):
    """An investigation parameter has a wrong name or value."""

    exit_code = 2


class QueryNotFound(FlowsqlError):
    """No investigation has that name."""

    exit_code = 2


class QueryDefinitionError(FlowsqlError):
    """An investigation file is malformed (metadata, template, declared parameters)."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, hint: str | None = None
    ) -> None:
        where = path if line is None else f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message, hint=hint)
        self.path = path
        self.line = line


class ValidationError(FlowsqlError):
    """Rendered SQL failed a check (parse, columns, tables, partition predicate, aliases)."""

    def __init__(
        self, message: str, *, line: int | None = None, col: int | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message, hint=hint)
        self.line = line
        self.col = col


class NotAvailable(ValidationError):
    """The investigation needs fields the table's log format does not have."""


class UnsupportedConstruct(ValidationError):
    """Valid Athena SQL that the local engine cannot run with the same meaning (named in the message)."""


class CatalogError(FlowsqlError):
    """Creating or reading the Glue/Athena table failed, or an existing table differs."""


class TableConflict(CatalogError):
    """A table of that name exists with a different definition."""


class EngineError(FlowsqlError):
    """A query failed on an engine."""


class QueryFailed(EngineError):
    """Athena reported FAILED or CANCELLED, or DuckDB raised while running."""

    def __init__(
        self,
        message: str,
        *,
        execution_id: str | None = None,
        statement: str | None = None,
        state: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.execution_id = execution_id
        self.statement = statement
        self.state = state

    def __str__(self) -> str:
        parts = [self.message]
        if self.state:
            parts.append(f"  state: {self.state}")
        if self.execution_id:
            parts.append(f"  query execution id: {self.execution_id}")
        if self.hint:
            parts.append(f"  hint: {self.hint}")
        if self.statement:
            parts.append("  statement:")
            parts.extend("    " + line for line in self.statement.splitlines())
        return "\n".join(parts)


class BadFile(EngineError):
    """A flow-log file cannot be read: truncated gzip, wrong field count, not a flow log."""

    def __init__(self, path: str, reason: str, *, hint: str | None = None) -> None:
        super().__init__(f"cannot read {path}: {reason}", hint=hint)
        self.path = path
        self.reason = reason


class ScanLimitExceeded(EngineError):
    """The estimated scan is above the configured --max-scan."""

    exit_code = 3
