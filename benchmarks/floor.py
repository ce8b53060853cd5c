"""The floor: decompress every gzip file on all cores and discard the output. No reader of gzip text
can be faster than this. Usage: python floor.py FOLDER"""

import os
import sys
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

CHUNK = 256 * 1024  # bounded output per call keeps the buffer in cache


def inflate(path: Path) -> int:
    data = path.read_bytes()
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)
    total = 0
    while data:
        total += len(stream.decompress(data, CHUNK))
        data = stream.unconsumed_tail
    return total


def main() -> None:
    files = sorted(Path(sys.argv[1]).rglob("*.log.gz"))
    # zlib releases the GIL while it inflates, so threads use every core.
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        total = sum(pool.map(inflate, files))
    print(total)


if __name__ == "__main__":
    main()
