"""``lagesbild sample DIR``: write the fictional Exempelkommun sample data."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sample",
        help="write the fictional Exempelkommun sample data into a folder",
        description="Generate Exempelkommun (districts, gazetteer, two incident files, a "
        "trygghet survey, map pins and truth.json) deterministically from a seed and write it "
        "into DIR. The default seed reproduces the committed sample_data/ byte for byte.",
    )
    p.add_argument("directory", metavar="DIR", help="target folder (created when missing)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the generator (default: the seed of sample_data/)")
    p.set_defaults(handler=run_sample)


def run_sample(args: argparse.Namespace) -> int:
    from ..sample import DEFAULT_SEED, write_sample

    seed = DEFAULT_SEED if args.seed is None else args.seed
    paths = write_sample(args.directory, seed=seed)
    total = 0
    for name, path in paths.items():
        size = path.stat().st_size
        total += size
        print(f"{name:24s} {size / 1024:8.1f} kB")
    print(f"Exempelkommun (seed {seed}) written to {args.directory} ({total / 1e6:.1f} MB).")
    return 0
