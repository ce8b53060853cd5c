"""Helpers for tests that use moto's Athena: result injection, slow queries, and a seam that alters
chosen Athena responses while PyAthena and moto run unchanged underneath."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError


def column_info(name: str, type_: str) -> dict[str, Any]:
    return {
        "CatalogName": "hive",
        "SchemaName": "",
        "TableName": "",
        "Name": name,
        "Label": name,
        "Type": type_,
        "Precision": 19 if type_ == "bigint" else 0,
        "Scale": 0,
        "Nullable": "UNKNOWN",
        "CaseSensitive": False,
    }


def inject(moto: Any, columns: list[tuple[str, str]], rows: list[list[str | None]]) -> None:
    """Queue one result in moto (consumed by the next StartQueryExecution). None is a NULL."""
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{} if v is None else {"VarCharValue": v} for v in row]} for row in rows]
    body = {
        "account_id": "123456789012",
        "region": "us-east-1",
        "results": [{"rows": [header, *data], "column_info": [column_info(n, t) for n, t in columns]}],
    }
    request = urllib.request.Request(
        f"{moto.url}/moto-api/static/athena/query-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def moto_api(moto: Any, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(
        f"{moto.url}/moto-api/{path}",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10):
        pass


@contextmanager
def slow_queries(moto: Any, times: int) -> Iterator[None]:
    """moto's queries advance one state (QUEUED → RUNNING → SUCCEEDED) every `times` polls."""
    moto_api(
        moto,
        "state-manager/set-transition",
        {"model_name": "athena::execution", "transition": {"progression": "manual", "times": times}},
    )
    try:
        yield
    finally:
        moto_api(moto, "state-manager/unset-transition", {"model_name": "athena::execution"})


def received(moto: Any, execution_id: str) -> dict[str, Any]:
    return moto.client("athena").get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]


class FaultyAthena:
    """Wraps a real boto3 Athena client (talking to moto) and alters chosen responses."""

    def __init__(self, client: Any, faults: dict[str, Any]) -> None:
        self._client = client
        self._faults = faults
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if not callable(real) or name.startswith("_") or name == "close":
            return real

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            fault = self._faults.get(name)
            if fault is None:
                return real(**kwargs)
            return fault(real, kwargs)

        return call


class FaultySession:
    """A boto3 Session whose Athena client is a FaultyAthena: PyAthena runs unchanged on top."""

    def __init__(self, faults: dict[str, Any]) -> None:
        import boto3

        self._session = boto3.Session(region_name="us-east-1")
        self.faults = faults
        self.athena: FaultyAthena | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def client(self, service: str, **kwargs: Any) -> Any:
        client = self._session.client(service, **kwargs)
        if service == "athena":
            self.athena = FaultyAthena(client, self.faults)
            return self.athena
        return client


def faulty_connect(session: FaultySession) -> Any:
    """A stand-in for pyathena.connect() whose connection uses the faulty session."""
    import pyathena

    return lambda **kwargs: pyathena.connect(**{**kwargs, "session": session})


def faulty_factory(session: FaultySession) -> Any:
    import pyathena

    def factory(**kwargs: Any) -> Any:
        on_poll = kwargs.pop("on_poll")
        kwargs["session"] = session
        return pyathena.connect(**kwargs).cursor(on_poll=on_poll)

    return factory


def client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)
