"""``python -m connectors.sample OUT [--people N] [--months M] [--seed S] [--fmt csv|parquet]
[--end YYYY-MM-DD]``: write a sample organisation's landing folder and print its summary."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from datetime import date
from pathlib import Path

from .generator import generate_organisation


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m connectors.sample", description=__doc__)
    parser.add_argument("out", type=Path, help="landing folder to write (created if missing)")
    parser.add_argument("--people", type=int, default=250)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fmt", choices=("csv", "parquet"), default="csv")
    parser.add_argument(
        "--end", type=date.fromisoformat, default=None, help="last day of data (default: today)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    summary = generate_organisation(
        args.out,
        people=args.people,
        months=args.months,
        seed=args.seed,
        fmt=args.fmt,
        end=args.end,
    )
    report = asdict(summary)
    report["files"] = len(summary.files)
    sys.stdout.write(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
