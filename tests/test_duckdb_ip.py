"""contains(cidr, CAST(x AS IPADDRESS)) on DuckDB against an independent Python model of Trino's
IpAddressFunctions.contains, over many random networks and addresses (IPv4, IPv6, IPv4-mapped)."""

from __future__ import annotations

import ipaddress
import random

import duckdb
import pytest

from flowsql.engines.translate import MACROS, to_duckdb

SCHEMA = {"main": {"pairs": {"cidr": "string", "addr": "string"}}}


def trino_contains(cidr: str, addr: str) -> bool:
    """Trino: network and address compared as 4-byte values when IPv4 (or IPv4-mapped), else 16."""
    base_text, _, prefix_text = cidr.partition("/")
    base = ipaddress.ip_address(base_text)
    if base.version == 6 and base.ipv4_mapped is not None:
        base = base.ipv4_mapped
    address = ipaddress.ip_address(addr)
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if base.version != address.version:
        return False
    prefix = int(prefix_text)
    bits = 32 if base.version == 4 else 128
    if prefix == 0:
        return True
    return int(base) >> (bits - prefix) == int(address) >> (bits - prefix)


def random_network(rng: random.Random) -> str:
    kind = rng.random()
    if kind < 0.5:
        prefix = rng.randint(0, 32)
        value = rng.getrandbits(32) >> (32 - prefix) << (32 - prefix) if prefix else 0
        return f"{ipaddress.IPv4Address(value)}/{prefix}"
    prefix = rng.randint(0, 128)
    value = rng.getrandbits(128)
    return f"{ipaddress.IPv6Address(value)}/{prefix}"


def random_address(rng: random.Random, near: str) -> str:
    network = ipaddress.ip_network(near, strict=False)
    kind = rng.random()
    if kind < 0.4:  # inside the network
        host_bits = network.max_prefixlen - network.prefixlen
        value = int(network.network_address) | (rng.getrandbits(host_bits) if host_bits else 0)
        address = ipaddress.ip_address(value)
    elif kind < 0.7:
        address = ipaddress.IPv4Address(rng.getrandbits(32))
    else:
        address = ipaddress.IPv6Address(rng.getrandbits(128))
    text = str(address)
    if address.version == 4 and rng.random() < 0.15:
        text = f"::ffff:{text}"  # the same IPv4 address written as IPv6
    elif address.version == 6 and rng.random() < 0.3:
        text = address.exploded.upper()
    return text


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    connection.execute(MACROS)
    return connection


def test_literal_networks_match_trino(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(20240501)
    for _ in range(40):
        cidr = random_network(rng)
        addresses = [random_address(rng, cidr) for _ in range(200)]
        con.execute("CREATE OR REPLACE TABLE pairs AS SELECT unnest(?) AS addr, '' AS cidr", [addresses])
        sql = to_duckdb(
            f"SELECT addr, contains('{cidr}', CAST(addr AS IPADDRESS)) AS inside FROM pairs", schema=SCHEMA
        )
        got = dict(con.execute(sql).fetchall())
        expected = {a: trino_contains(cidr, a) for a in addresses}
        assert got == expected, cidr


def test_networks_from_a_column_match_trino(con: duckdb.DuckDBPyConnection) -> None:
    rng = random.Random(7)
    pairs = []
    for _ in range(400):
        cidr = random_network(rng)
        pairs.append((cidr, random_address(rng, cidr)))
    con.execute(
        "CREATE OR REPLACE TABLE pairs AS SELECT unnest(?) AS cidr, unnest(?) AS addr",
        [[c for c, _ in pairs], [a for _, a in pairs]],
    )
    sql = to_duckdb(
        "SELECT cidr, addr, contains(cidr, CAST(addr AS IPADDRESS)) AS inside FROM pairs", schema=SCHEMA
    )
    for cidr, addr, inside in con.execute(sql).fetchall():
        assert inside == trino_contains(cidr, addr), (cidr, addr)
