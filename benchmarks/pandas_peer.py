"""A peer: top_talkers with pandas (read_csv per file, concat, groupby).
Usage: python pandas_peer.py FOLDER START_EPOCH END_EPOCH"""

import json
import sys
from pathlib import Path

import pandas as pd

USE = ["srcaddr", "dstaddr", "packets", "bytes", "start", "log-status"]


def main() -> None:
    folder, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    frames = [
        pd.read_csv(
            path,
            sep=" ",
            compression="gzip",
            na_values=["-"],
            usecols=USE,
            dtype={"srcaddr": str, "dstaddr": str},
        )
        for path in sorted(Path(folder).rglob("*.log.gz"))
    ]
    df = pd.concat(frames, ignore_index=True)
    df = df[(df["log-status"] == "OK") & (df["start"] >= start) & (df["start"] < end)]
    top = (
        df.groupby(["srcaddr", "dstaddr"], as_index=False)
        .agg(bytes=("bytes", "sum"), packets=("packets", "sum"), flows=("bytes", "size"))
        .sort_values(["bytes", "packets", "srcaddr", "dstaddr"], ascending=[False, False, True, True])
        .head(20)
    )
    rows = [[s, d, int(b), int(p), int(n)] for s, d, b, p, n in top.itertuples(index=False)]
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
