"""contains(cidr, CAST(x AS IPADDRESS)) on DuckDB against an independent Python model of Trino's
IpAddressFunctions.contains, over many random networks and addresses (IPv4, IPv6, IPv4-mapped)."""

from __future__ import annotations

import ipaddress
import random

import duckdb
import pytest

from flowsql.engines.duckdb.translate import MACROS, to_duckdb

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


def short_ipv6_network(rng: random.Random) -> str:
    """A network decided by the first group alone (prefix ≤ 16), like fc00::/7: the fast path."""
    prefix = rng.randint(1, 16)
    value = (rng.getrandbits(16) >> (16 - prefix) << (16 - prefix)) or (1 << (16 - prefix))
    return f"{ipaddress.IPv6Address(value << 112)}/{prefix}"


def ipv6_spellings(rng: random.Random, address: ipaddress.IPv6Address) -> str:
    """The same address compressed, exploded, upper-case, or with its last groups as a dotted tail."""
    choice = rng.random()
    if choice < 0.4:
        return str(address)
    if choice < 0.6:
        return address.exploded
    if choice < 0.8:
        return str(address).upper()
    low = int(address) & 0xFFFFFFFF
    head = address.exploded.rsplit(":", 2)[0]
    return f"{head}:{ipaddress.IPv4Address(low)}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_short_prefix_networks_and_ipv4_networks_over_ipv6_text(
    con: duckdb.DuckDBPyConnection, seed: int
) -> None:
    rng = random.Random(seed)
    for _ in range(15):
        cidr = short_ipv6_network(rng) if rng.random() < 0.6 else random_network(rng)
        network = ipaddress.ip_network(cidr, strict=False)
        addresses = set()
        for _ in range(150):
            kind = rng.random()
            if kind < 0.4 and network.version == 6:
                host = rng.getrandbits(network.max_prefixlen - network.prefixlen)
                addresses.add(ipv6_spellings(rng, ipaddress.IPv6Address(int(network.network_address) | host)))
            elif kind < 0.7:
                addresses.add(ipv6_spellings(rng, ipaddress.IPv6Address(rng.getrandbits(128))))
            elif kind < 0.85:
                addresses.add(f"::ffff:{ipaddress.IPv4Address(rng.getrandbits(32))}")
            else:
                addresses.add(str(ipaddress.IPv6Address(rng.getrandbits(16))))  # ::xxxx, first group 0
        rows = sorted(addresses)
        con.execute("CREATE OR REPLACE TABLE pairs AS SELECT unnest(?) AS addr, '' AS cidr", [rows])
        sql = to_duckdb(
            f"SELECT addr, contains('{cidr}', CAST(addr AS IPADDRESS)) AS inside FROM pairs", schema=SCHEMA
        )
        got = dict(con.execute(sql).fetchall())
        assert got == {a: trino_contains(cidr, a) for a in rows}, cidr
