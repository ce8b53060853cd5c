import socket

import pytest


def test_moto_server_serves_s3_on_loopback(moto):
    s3 = moto.client("s3")
    s3.create_bucket(Bucket="flow-logs-bucket")
    s3.put_object(Bucket="flow-logs-bucket", Key="AWSLogs/x", Body=b"1")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="flow-logs-bucket")["Contents"]] == ["AWSLogs/x"]
    assert moto.url.startswith("http://127.0.0.1:")


def test_reset_between_tests(moto):
    assert moto.client("s3").list_buckets()["Buckets"] == []


def test_leaving_loopback_is_refused():
    with pytest.raises(ConnectionRefusedError, match="may not leave loopback"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)
    with socket.socket() as s, pytest.raises(ConnectionRefusedError, match="may not leave loopback"):
        s.connect(("198.51.100.1", 80))


def test_boto3_without_endpoint_cannot_reach_aws(monkeypatch):
    import boto3
    import botocore.exceptions

    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    client = boto3.client(
        "s3",
        region_name="us-east-1",
        config=__import__("botocore.config").config.Config(retries={"max_attempts": 0}),
    )
    with pytest.raises(botocore.exceptions.EndpointConnectionError):
        client.list_buckets()
