"""A peer: top_talkers as a plain Python loop over the gzip files (gzip + split, one core).
Usage: python python_loop.py FOLDER START_EPOCH END_EPOCH"""

import gzip
import json
import sys
from pathlib import Path


def main() -> None:
    folder, start, end = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    totals: dict[tuple[str, str], list[int]] = {}
    for path in sorted(Path(folder).rglob("*.log.gz")):
        with gzip.open(path, "rt") as fh:
            header = fh.readline().split()
            src, dst = header.index("srcaddr"), header.index("dstaddr")
            nbytes, packets = header.index("bytes"), header.index("packets")
            first, status = header.index("start"), header.index("log-status")
            for line in fh:
                f = line.split()
                if f[status] != "OK" or not start <= int(f[first]) < end:
                    continue
                key = (f[src], f[dst])
                acc = totals.get(key)
                if acc is None:
                    totals[key] = [int(f[nbytes]), int(f[packets]), 1]
                else:
                    acc[0] += int(f[nbytes])
                    acc[1] += int(f[packets])
                    acc[2] += 1
    top = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0][0], kv[0][1]))[:20]
    print(json.dumps([[s, d, *v] for (s, d), v in top]))


if __name__ == "__main__":
    main()
