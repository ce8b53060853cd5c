"""A peer: top_talkers with flowlogs-reader (PyPI), reading the same objects from S3 (the benchmark's
moto server, via AWS_ENDPOINT_URL). Usage: python flowlogs_reader_peer.py BUCKET/PREFIX START END"""

import json
import os
import sys
from calendar import timegm
from datetime import datetime, timedelta, timezone

import boto3
from flowlogs_reader import S3FlowLogsReader


def main() -> None:
    location, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    client = boto3.client("s3", region_name="us-east-1", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    # It selects files by the time in their names (records' end times): pad like the partitions.
    first = datetime.fromtimestamp(start, timezone.utc).replace(tzinfo=None)
    last = datetime.fromtimestamp(end, timezone.utc).replace(tzinfo=None) + timedelta(minutes=15)
    reader = S3FlowLogsReader(location, start_time=first, end_time=last, boto_client=client)
    totals: dict[tuple[str, str], list[int]] = {}
    for record in reader:
        if record.log_status != "OK" or not start <= timegm(record.start.utctimetuple()) < end:
            continue
        key = (record.srcaddr, record.dstaddr)
        acc = totals.get(key)
        if acc is None:
            totals[key] = [record.bytes, record.packets, 1]
        else:
            acc[0] += record.bytes
            acc[1] += record.packets
            acc[2] += 1
    top = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0][0], kv[0][1]))[:20]
    print(json.dumps([[s, d, *v] for (s, d), v in top]))


if __name__ == "__main__":
    main()
