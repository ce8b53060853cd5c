-- SQL macros the Athena -> DuckDB translation calls. Pure SQL (no Python UDFs): they run inside
-- DuckDB's vectorised engine on all cores. Each mirrors one Trino behaviour; see translate.py.
--
-- IP addresses follow Trino's IPADDRESS type: one 128-bit value per address, IPv4 a.b.c.d stored as
-- the IPv4-mapped IPv6 address ::ffff:a.b.c.d, so '10.0.0.1' and '::ffff:10.0.0.1' are equal.
-- Parsing follows Guava's InetAddresses.forString (what Trino uses): four decimal octets 0-255
-- without leading zeros; IPv6 with at most one '::' standing for at least one zero group, 1-4 hex
-- digits a group, and an optional dotted IPv4 tail.

-- IPv4 dotted quad -> 0 .. 2^32-1, NULL when s is not one.
CREATE OR REPLACE MACRO flowsql_ipv4(s) AS (
    CASE WHEN regexp_full_match(s, '((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])')
    THEN (CAST(split_part(s, '.', 1) AS UBIGINT) << 24) + (CAST(split_part(s, '.', 2) AS UBIGINT) << 16)
        + (CAST(split_part(s, '.', 3) AS UBIGINT) << 8) + CAST(split_part(s, '.', 4) AS UBIGINT)
    END
);

-- An IPv6 text with a dotted IPv4 tail rewritten as two hex groups; NULL when the tail is not IPv4.
CREATE OR REPLACE MACRO flowsql_ipv6_tail(t) AS (
    CASE
        WHEN NOT contains(t, '.') THEN t
        WHEN flowsql_ipv4(regexp_extract(t, '[^:]*$')) IS NOT NULL AND contains(t, ':')
            THEN regexp_extract(t, '^(.*:)[^:]*$', 1)
                || printf('%x:%x', flowsql_ipv4(regexp_extract(t, '[^:]*$')) >> 16,
                    flowsql_ipv4(regexp_extract(t, '[^:]*$')) & 65535)
    END
);

-- Hex groups (list of 1-4 hex digit strings) -> 4*n hex digits.
CREATE OR REPLACE MACRO flowsql_hex_groups(g) AS (
    array_to_string(list_transform(g, lambda h: lpad(h, 4, '0')), '')
);

CREATE OR REPLACE MACRO flowsql_groups(t) AS (
    CASE WHEN t = '' THEN CAST([] AS VARCHAR[]) ELSE string_split(t, ':') END
);

-- IPv6 text (no dotted tail) -> UHUGEINT, NULL when malformed.
CREATE OR REPLACE MACRO flowsql_ipv6_value(t) AS (
    CASE
        WHEN t IS NULL THEN NULL
        WHEN regexp_full_match(t, '([0-9a-f]{1,4}:){7}[0-9a-f]{1,4}')
            THEN CAST('0x' || flowsql_hex_groups(string_split(t, ':')) AS UHUGEINT)
        WHEN regexp_full_match(t, '(([0-9a-f]{1,4}:)*[0-9a-f]{1,4})?::(([0-9a-f]{1,4}:)*[0-9a-f]{1,4})?')
            AND len(flowsql_groups(split_part(t, '::', 1))) + len(flowsql_groups(split_part(t, '::', 2))) <= 7
            THEN CAST('0x' || flowsql_hex_groups(flowsql_groups(split_part(t, '::', 1)))
                || repeat('0000', 8 - len(flowsql_groups(split_part(t, '::', 1)))
                    - len(flowsql_groups(split_part(t, '::', 2))))
                || flowsql_hex_groups(flowsql_groups(split_part(t, '::', 2))) AS UHUGEINT)
    END
);

-- Any address text -> its 128-bit IPADDRESS value, NULL when malformed.
CREATE OR REPLACE MACRO flowsql_try_ip(s) AS (
    CASE WHEN NOT contains(s, ':') THEN CAST(flowsql_ipv4(s) AS UHUGEINT) + CAST(281470681743360 AS UHUGEINT)
    ELSE flowsql_ipv6_value(flowsql_ipv6_tail(lower(s)))
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

-- contains(<literal IPv4 CIDR>, CAST(s AS IPADDRESS)), network pre-shifted by the translator:
-- high = network >> shift, shift = 32 - prefix length. The dotted-quad fast path avoids 128-bit work.
CREATE OR REPLACE MACRO flowsql_in_net4(s, high, shift) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN NOT contains(s, ':')
            THEN coalesce(flowsql_ipv4(s), error('Cannot cast value to IPADDRESS: ' || s)) >> shift = high
        ELSE flowsql_is_ipv4_value(flowsql_ip(s))
            AND (CAST(flowsql_ip(s) & CAST(4294967295 AS UHUGEINT) AS UBIGINT) >> shift) = high
    END
);

-- contains(<literal IPv6 CIDR>, CAST(s AS IPADDRESS)): high = network >> shift, shift = 128 - prefix.
CREATE OR REPLACE MACRO flowsql_in_net6(s, high, shift) AS (
    CASE
        WHEN s IS NULL THEN NULL
        WHEN NOT contains(s, ':')
            THEN coalesce(flowsql_ipv4(s), error('Cannot cast value to IPADDRESS: ' || s)) IS NULL
        ELSE NOT flowsql_is_ipv4_value(flowsql_ip(s))
            AND flowsql_ip(s) >> CAST(shift AS UHUGEINT) = CAST(high AS UHUGEINT)
    END
);

-- contains(cidr, CAST(s AS IPADDRESS)) for a CIDR that is not a literal: Trino's checks in order.
CREATE OR REPLACE MACRO flowsql_contains_cidr(cidr, s) AS (
    CASE
        WHEN cidr IS NULL OR s IS NULL THEN NULL
        WHEN NOT contains(cidr, '/') THEN error('Invalid CIDR')
        WHEN flowsql_try_ip(split_part(cidr, '/', 1)) IS NULL THEN error('Invalid network IP address')
        WHEN NOT regexp_full_match(split_part(cidr, '/', 2), '[+-]?[0-9]{1,9}')
            THEN error('Invalid prefix length: ' || cidr)
        WHEN CAST(split_part(cidr, '/', 2) AS INTEGER) < 0 THEN error('Invalid prefix length')
        WHEN flowsql_is_ipv4_value(flowsql_try_ip(split_part(cidr, '/', 1)))
            THEN CASE
                WHEN CAST(split_part(cidr, '/', 2) AS INTEGER) > 32
                    THEN error('Prefix length exceeds address length')
                WHEN (flowsql_try_ip(split_part(cidr, '/', 1)) & CAST(4294967295 AS UHUGEINT))
                        & ((CAST(1 AS UHUGEINT) << CAST(32 - CAST(split_part(cidr, '/', 2) AS INTEGER) AS UHUGEINT))
                            - CAST(1 AS UHUGEINT)) != CAST(0 AS UHUGEINT)
                    THEN error('Invalid CIDR')
                ELSE flowsql_is_ipv4_value(flowsql_ip(s))
                    AND flowsql_ip(s) >> CAST(32 - CAST(split_part(cidr, '/', 2) AS INTEGER) AS UHUGEINT)
                        = flowsql_try_ip(split_part(cidr, '/', 1))
                            >> CAST(32 - CAST(split_part(cidr, '/', 2) AS INTEGER) AS UHUGEINT)
            END
        WHEN CAST(split_part(cidr, '/', 2) AS INTEGER) > 128 THEN error('Prefix length exceeds address length')
        ELSE NOT flowsql_is_ipv4_value(flowsql_ip(s))
            AND (CAST(split_part(cidr, '/', 2) AS INTEGER) = 0
                OR flowsql_ip(s) >> CAST(128 - CAST(split_part(cidr, '/', 2) AS INTEGER) AS UHUGEINT)
                    = flowsql_try_ip(split_part(cidr, '/', 1))
                        >> CAST(128 - CAST(split_part(cidr, '/', 2) AS INTEGER) AS UHUGEINT))
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
