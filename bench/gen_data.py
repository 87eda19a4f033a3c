#!/usr/bin/env python3
"""Reproducible benchmark data for sluice (fixed seed: same bytes on every run).

    bench/gen_data.py OUT_DIR [--rows 1000000] [--small-files 2000] [--small-rows 50]

Writes
    OUT_DIR/large/readings.csv        --rows rows (~57 MB for 1,000,000)
    OUT_DIR/small/readings_NNNN.csv   --small-files files of --small-rows rows each
with the header sensor_id,ts,temperature,humidity,pressure,status: sensor_id an
integer 1..5000, ts ISO 8601 UTC with milliseconds (increasing), three floats with
2 or 3 decimals, status one of ok/warn/fail/maintenance. Every file name maps to
the table `readings` under sluice's table-name rule.
"""

import argparse
import os
import random
import time

HEADER = "sensor_id,ts,temperature,humidity,pressure,status\n"
STATUSES = ["ok", "warn", "fail", "maintenance"]
START_MS = 1772323200000  # 2026-03-01T00:00:00.000Z


def rows(rng, n, start_ms):
    """Yields n CSV lines; returns nothing. Timestamps start at start_ms."""
    ms = start_ms
    last_s = -1
    prefix = ""
    randint = rng.randint
    rand = rng.random
    choice = rng.choice
    for _ in range(n):
        ms += randint(1, 40)
        s, frac = divmod(ms, 1000)
        if s != last_s:
            prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s))
            last_s = s
        yield (f"{randint(1, 5000)},{prefix}.{frac:03d}Z,{-20 + 60 * rand():.2f},"
               f"{100 * rand():.3f},{950 + 100 * rand():.3f},{choice(STATUSES)}\n")


def write_csv(path, lines):
    tmp = path + ".tmp"
    with open(tmp, "w", newline="") as f:
        f.write(HEADER)
        buf = []
        for line in lines:
            buf.append(line)
            if len(buf) >= 10000:
                f.write("".join(buf))
                buf.clear()
        f.write("".join(buf))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out_dir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--small-files", type=int, default=2000)
    ap.add_argument("--small-rows", type=int, default=50)
    ap.add_argument("--seed", type=int, default=20260301)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    large = os.path.join(args.out_dir, "large")
    small = os.path.join(args.out_dir, "small")
    os.makedirs(large, exist_ok=True)
    os.makedirs(small, exist_ok=True)

    t0 = time.monotonic()
    write_csv(os.path.join(large, "readings.csv"), rows(rng, args.rows, START_MS))
    start = START_MS + 40 * args.rows + 1000
    for i in range(args.small_files):
        write_csv(os.path.join(small, f"readings_{i:04d}.csv"),
                  rows(rng, args.small_rows, start + i * 60_000))
    size = os.path.getsize(os.path.join(large, "readings.csv"))
    print(f"gen_data: {args.rows} rows ({size / 1e6:.1f} MB) + {args.small_files} files x "
          f"{args.small_rows} rows in {time.monotonic() - t0:.1f}s -> {args.out_dir}")


if __name__ == "__main__":
    main()
