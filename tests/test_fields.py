import pytest

from flowsql.errors import LogFormatError
from flowsql.tables import fields

V2 = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"


def test_catalogue_covers_versions_2_to_8():
    versions = {f.version for f in fields.CATALOGUE}
    assert versions == {2, 3, 4, 5, 7, 8}  # version 6 added only Transit Gateway fields
    assert len(fields.CATALOGUE) == 14 + 7 + 4 + 4 + 10 + 1
    assert tuple(V2.split()) == fields.DEFAULT_FORMAT
    for f in fields.CATALOGUE:
        assert f.column == f.name.replace("-", "_")
        assert f.text_type in {"int", "bigint", "string"}
        assert f.meaning


def test_parquet_types_follow_the_physical_types():
    assert fields.BY_NAME["protocol"].text_type == "bigint"
    assert fields.BY_NAME["protocol"].parquet_type == "int"
    assert fields.BY_NAME["bytes"].parquet_type == "bigint"
    assert fields.BY_NAME["account-id"].parquet_type == "string"


def test_parse_log_format_keeps_order():
    parsed = fields.parse_log_format("${vpc-id} ${srcaddr}  ${end} ${tcp-flags}")
    assert [f.column for f in parsed] == ["vpc_id", "srcaddr", "end", "tcp_flags"]
    assert [f.version for f in parsed] == [3, 2, 2, 3]


def test_unknown_field_is_a_string_column_in_place():
    parsed = fields.parse_log_format("${srcaddr} ${encryption-status} ${dstaddr}")
    assert [f.column for f in parsed] == ["srcaddr", "encryption_status", "dstaddr"]
    assert parsed[1].text_type == "string" and not parsed[1].known


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("${srcaddr} ${srcaddr}", "'srcaddr' appears twice"),
        ("${version} ${srcaddr", "'${srcaddr' opens '${' without a closing '}'"),
        ("${version} srcaddr", "'srcaddr' is not a ${field} token"),
        ("${Src_Addr}", "'Src_Addr' is not a flow-log field name"),
        ("${a}${b}", "'${a}${b}' is not a ${field} token"),
    ],
)
def test_malformed_log_format_names_the_token(text, fragment):
    with pytest.raises(LogFormatError) as err:
        fields.parse_log_format(text)
    assert fragment in str(err.value)


def test_header_line():
    parsed = fields.parse_header(V2 + " vpc-id")
    assert [f.name for f in parsed] == [*V2.split(), "vpc-id"]
    with pytest.raises(LogFormatError, match="appears twice"):
        fields.parse_header("version version")


def test_quoting():
    assert fields.quote_query("end") == '"end"'
    assert fields.quote_query("srcaddr") == "srcaddr"
    assert fields.quote_ddl("start") == "`start`"
