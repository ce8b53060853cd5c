-- SQL macros the Athena -> DuckDB translation calls. Pure SQL (no Python UDFs): they run inside
-- DuckDB's vectorised engine on all cores. Each mirrors one Trino behaviour; see translate.py.
--
-- IP addresses follow Trino's IPADDRESS type: one 128-bit value per address, IPv4 a.b.c.d stored as
-- the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so '10.0.0.1' and '::ffff:10.0.0.1' are equal.
-- Parsing follows Guava's InetAddresses.forString (what Trino uses): four decimal octets 0-255
-- without leading zeros; IPv6 with at most one '::' standing for at least one zero group, 1-4 hex
-- digits a group, and an optional dotted IPv4 tail.

-- Macros expand textually, so an argument used n times is copied n times, and nesting multiplies
-- that. Where a large argument is used more than once it is bound once with a one-element
-- list_transform (DuckDB's only "let"), which keeps binding fast.

-- True when s is an IPv4 dotted quad.
CREATE OR REPLACE MACRO flowsql_is_ipv4_text(s) AS (
    regexp_full_match(s, '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])')
);

-- IPv4 dotted quad -> 0 .. 2^32-1, NULL when s is not one (one string_split: split_part is slow).
CREATE OR REPLACE MACRO flowsql_ipv4(s) AS (
    CASE WHEN flowsql_is_ipv4_text(s) THEN list_transform([string_split(s, '.')], lambda p:
        (CAST(p[1] AS UBIGINT) << 24) + (CAST(p[2] AS UBIGINT) << 16) + (CAST(p[3] AS UBIGINT) << 8)
        + CAST(p[4] AS UBIGINT))[1]
    END
);

-- false for a valid IPv4 text, Trino's cast error otherwise.
CREATE OR REPLACE MACRO flowsql_ipv4_outside(s) AS (
    CASE WHEN flowsql_is_ipv4_text(s) THEN false ELSE error('Cannot cast value to IPADDRESS: ' || s) END
);

-- An IPv6 text with a dotted IPv4 tail rewritten as two hex groups; NULL when the tail is not IPv4.
CREATE OR REPLACE MACRO flowsql_ipv6_tail(t) AS (
    CASE
        WHEN NOT contains(t, '.') THEN t
        WHEN contains(t, ':') THEN list_transform(
            [flowsql_ipv4(regexp_extract(t, '[^:]*$'))],
            lambda v: regexp_extract(t, '^(.*:)[^:]*$', 1) || printf('%x:%x', v >> 16, v & 65535)
        )[1]
    END
);

-- Hex groups (list of 1-4 hex digit strings) -> 4*n hex digits.
CREATE OR REPLACE MACRO flowsql_hex_groups(g) AS (
    array_to_string(list_transform(g, lambda h: lpad(h, 4, '0')), '')
);

CREATE OR REPLACE MACRO flowsql_groups(t) AS (
    CASE WHEN t = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(t, ':') END
);

-- Groups left and right of '::' -> UHUGEINT, NULL when more than seven.
CREATE OR REPLACE MACRO flowsql_ipv6_join(l, r) AS (
    CASE WHEN len(l) + len(r) <= 7 THEN CAST('0x' || flowsql_hex_groups(l) || repeat('0000', 8 - len(l) - len(r))
        || flowsql_hex_groups(r) AS UHUGEINT) END
);

-- IPv6 text (no dotted tail) -> UHUGEINT, NULL when malformed.
CREATE OR REPLACE MACRO flowsql_ipv6_value(t) AS (
    CASE
        WHEN regexp_full_match(t, '([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}')
            THEN CAST('0x' || flowsql_hex_groups(string_split(t, ':')) AS UHUGEINT)
        WHEN regexp_full_match(t, '(([0-9a-f]{1,4}:)*[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:)*[0-9a-f]{1,4})?')
            THEN flowsql_ipv6_join(flowsql_groups(split_part(t, '::', 1)), flowsql_groups(split_part(t, '::', 2)))
    END
);

-- Any address text -> its 128-bit IPADDRESS value, NULL when malformed.
CREATE OR REPLACE MACRO flowsql_try_ip(s) AS (
    CASE WHEN NOT contains(s, ':') THEN CAST(flowsql_ipv4(s) AS UHUGEINT) + CAST(281470681743360 AS UHUGEINT)
    ELSE list_transform([flowsql_ipv6_tail(lower(s))], lambda t: flowsql_ipv6_value(t))[1]
    END
);

-- CAST(s AS IPADDRESS): the value, or Trino's error for text that is not an address.
CREATE OR REPLACE MACRO flowsql_ip(s) AS (
    CASE WHEN s IS NULL THEN NULL
    ELSE coalesce(flowsql_try_ip(s), error('Cannot cast value to IPADDRESS: ' || s))
    END
);

-- True when a 128-bit address value is an IPv4 (mapped) address; Trino treats those as 4-byte.
CREATE OR REPLACE MACRO flowsql_is_ipv4_value(v) AS (
    v >> CAST(32 AS UHUGEINT) = CAST(65535 AS UHUGEINT)
);

-- contains(<literal IPv4 CIDR>, CAST(s AS IPADDRESS)). The translator passes a regular expression
-- matching exactly the dotted quads inside the network, so the common case is one regex test and
-- no arithmetic; high = network >> shift, shift = 32 - prefix serve addresses written as IPv6.
CREATE OR REPLACE MACRO flowsql_in_net4(s, pattern, high, shift) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN regexp_full_match(s, pattern) THEN true
        WHEN NOT contains(s, ':') THEN flowsql_ipv4_outside(s)
        WHEN flowsql_ipv6_head(s) > 0 THEN false  -- IPv6 proper, never IPv4-mapped
        ELSE list_transform([flowsql_ip(s)], lambda v: flowsql_is_ipv4_value(v)
            AND (CAST(v & CAST(4294967295 AS UHUGEINT) AS UBIGINT) >> shift) = high)[1]
    END
);

-- contains(<literal IPv6 CIDR>, CAST(s AS IPADDRESS)): high = network >> shift, shift = 128 - prefix.
CREATE OR REPLACE MACRO flowsql_in_net6(s, high, shift) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN NOT contains(s, ':') THEN flowsql_ipv4_outside(s)
        ELSE list_transform([flowsql_ip(s)], lambda v: NOT flowsql_is_ipv4_value(v)
            AND v >> CAST(shift AS UHUGEINT) = CAST(high AS UHUGEINT))[1]
    END
);

-- The first group of a plain IPv6 text (no dotted tail; validated by one regular expression, as
-- Guava would accept it), NULL for anything else. Most flow-log IPv6 addresses are plain, and the
-- first group alone decides membership in a short-prefix network or rules out an IPv4-mapped address,
-- without the 128-bit parse (about 15 µs a row).
CREATE OR REPLACE MACRO flowsql_ipv6_head(s) AS (
    CASE WHEN NOT contains(s, '.') AND regexp_full_match(lower(s), '([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,7}:|([0-9a-f]{1,4}:){1,6}:[0-9a-f]{1,4}|([0-9a-f]{1,4}:){1,5}(:[0-9a-f]{1,4}){1,2}|([0-9a-f]{1,4}:){1,4}(:[0-9a-f]{1,4}){1,3}|([0-9a-f]{1,4}:){1,3}(:[0-9a-f]{1,4}){1,4}|([0-9a-f]{1,4}:){1,2}(:[0-9a-f]{1,4}){1,5}|[0-9a-f]{1,4}:(:[0-9a-f]{1,4}){1,6}|:((:[0-9a-f]{1,4}){1,7}|:)')
        THEN CASE WHEN starts_with(s, ':') THEN 0 ELSE CAST('0x' || split_part(s, ':', 1) AS INTEGER) END
    END
);

-- flowsql_in_net6 for a network of prefix 16 or less whose first group is not 0 (fc00::/7, 2000::/3).
-- IPv4-mapped addresses start with group 0 and stay outside, as in Trino. high = first group >> (shift - 112).
CREATE OR REPLACE MACRO flowsql_in_net6_head(s, high, shift) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN NOT contains(s, ':') THEN flowsql_ipv4_outside(s)
        WHEN flowsql_ipv6_head(s) IS NOT NULL THEN flowsql_ipv6_head(s) >> (shift - 112) = high
        ELSE flowsql_in_net6(s, CAST(high AS VARCHAR), shift)
    END
);

-- contains(network, address) on parsed parts: n = network value, p = prefix, a = address value.
CREATE OR REPLACE MACRO flowsql_in_network(n, p, a) AS (
    CASE
        WHEN flowsql_is_ipv4_value(n) THEN CASE
            WHEN p > 32 THEN error('Prefix length exceeds address length')
            WHEN p < 32 AND n & ((CAST(1 AS UHUGEINT) << CAST(32 - p AS UHUGEINT)) - CAST(1 AS UHUGEINT))
                != CAST(0 AS UHUGEINT) THEN error('Invalid CIDR')
            ELSE flowsql_is_ipv4_value(a) AND a >> CAST(32 - p AS UHUGEINT) = n >> CAST(32 - p AS UHUGEINT)
        END
        WHEN p > 128 THEN error('Prefix length exceeds address length')
        ELSE NOT flowsql_is_ipv4_value(a)
            AND (p = 0 OR a >> CAST(128 - p AS UHUGEINT) = n >> CAST(128 - p AS UHUGEINT))
    END
);

-- contains(cidr, CAST(s AS IPADDRESS)) for a CIDR that is not a literal: Trino's checks in order.
CREATE OR REPLACE MACRO flowsql_contains_cidr(cidr, s) AS (
    CASE
        WHEN cidr IS NULL OR s IS NULL THEN NULL
        WHEN NOT contains(cidr, '/') THEN error('Invalid CIDR')
        WHEN NOT regexp_full_match(split_part(cidr, '/', 2), '[+-]?[0-9]{1,9}')
            THEN error('Invalid prefix length: ' || cidr)
        WHEN CAST(split_part(cidr, '/', 2) AS INTEGER) < 0 THEN error('Invalid prefix length')
        ELSE list_transform(
            [flowsql_try_ip(split_part(cidr, '/', 1))],
            lambda n: CASE
                WHEN n IS NULL THEN error('Invalid network IP address')
                ELSE list_transform([flowsql_ip(s)], lambda a: flowsql_in_network(n, CAST(split_part(cidr, '/', 2) AS INTEGER), a))[1]
            END
        )[1]
    END
);

-- Trino's CAST(varchar AS <type>) accepts less than DuckDB's: Integer.parseInt / Long.parseLong
-- (optional sign, digits, nothing else), Double.parseDouble (trimmed; NaN, Infinity, an f/d suffix),
-- new BigDecimal(text), booleans t/f/1/0/true/false, dates yyyy-m-d (trimmed).
CREATE OR REPLACE MACRO flowsql_is_integer_text(s) AS (regexp_full_match(s, '[+-]?[0-9]+'));
CREATE OR REPLACE MACRO flowsql_is_double_text(s) AS (
    regexp_full_match(s, '\s*[+-]?(NaN|Infinity|([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?[fFdD]?)\s*')
);
CREATE OR REPLACE MACRO flowsql_double_text(s) AS (regexp_replace(trim(s), '[fFdD]$', ''));
CREATE OR REPLACE MACRO flowsql_is_decimal_text(s) AS (
    regexp_full_match(s, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?')
);
CREATE OR REPLACE MACRO flowsql_is_boolean_text(s) AS (lower(s) IN ('t', 'f', '1', '0', 'true', 'false'));
CREATE OR REPLACE MACRO flowsql_is_date_text(s) AS (regexp_full_match(s, '\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}\s*'));
CREATE OR REPLACE MACRO flowsql_is_timestamp_text(s) AS (
    regexp_full_match(s, '\s*[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}( [0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}(\.[0-9]{1,12})?)?)?\s*')
);
CREATE OR REPLACE MACRO flowsql_cast_error(s, type_name) AS (
    error('Cannot cast ''' || s || ''' to ' || type_name)
);

-- Trino's regexp_extract: NULL (not '') when the pattern does not match.
CREATE OR REPLACE MACRO flowsql_regexp_extract(s, pattern, grp) AS (
    CASE WHEN regexp_matches(s, pattern) THEN regexp_extract(s, pattern, grp) END
);

-- Trino's split_part: NULL (not '') past the last field.
CREATE OR REPLACE MACRO flowsql_split_part(s, delim, n) AS (
    CASE WHEN n <= len(string_split(s, delim)) THEN split_part(s, delim, n) END
);

-- Trino's decimal division on unscaled values: n / d rounded half away from zero (divideRoundUp).
CREATE OR REPLACE MACRO flowsql_div_half_up(n, d) AS (
    n // d + CASE WHEN 2 * abs(n % d) >= abs(d) THEN sign(n) * sign(d) ELSE 0 END
);
