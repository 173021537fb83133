"""Pack BPPLIB bin-packing instances and compare containers used with the lower bound.

Each instance is one lane, one container type and volume only: n items of
integer size into bins of one capacity. For each file it prints the containers
`pooling.domain.binpacking.pack` uses, the lower bound ceil(sum / capacity) and
the time taken; then the totals. `--json PATH` writes one object per instance.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import CommandError

from pooling.domain.binpacking import lower_bound, pack, read_bpplib, validate_packing

DEFAULT_GLOB = "*.txt"


def default_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "binpacking"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="BPPLIB instances (default: ../shared/data/binpacking/*.txt).")
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="Seconds of search per instance beyond the constructive stages.")


def run(options: dict[str, Any], out: TextIO) -> list[dict[str, Any]]:
    files = [Path(f) for f in options.get("files") or []]
    if not files:
        files = sorted(default_dir().glob(DEFAULT_GLOB))
    if not files:
        raise CommandError(f"No instances given and none found in {default_dir()}.")
    time_limit = float(options.get("time_limit") or 1.0)
    results: list[dict[str, Any]] = []
    out.write(f"{'instance':<28} {'items':>6} {'containers':>10} {'lower bound':>11} "
              f"{'gap':>4} {'seconds':>8}\n")
    for path in files:
        try:
            instance = read_bpplib(path.read_text(), name=path.stem)
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        start = time.perf_counter()
        bins = pack(instance.sizes, instance.capacity, time_limit=time_limit)
        seconds = time.perf_counter() - start
        validate_packing(bins, instance.sizes, instance.capacity)
        bound = lower_bound(instance)
        results.append({"instance": instance.name, "containers": len(bins),
                        "lower_bound": bound, "seconds": round(seconds, 4)})
        out.write(f"{instance.name:<28} {len(instance.sizes):>6} {len(bins):>10} {bound:>11} "
                  f"{len(bins) - bound:>4} {seconds:>8.3f}\n")
    containers = sum(r["containers"] for r in results)
    bound_total = sum(r["lower_bound"] for r in results)
    seconds_total = sum(r["seconds"] for r in results)
    at_bound = sum(1 for r in results if r["containers"] == r["lower_bound"])
    out.write(f"{'total':<28} {'':>6} {containers:>10} {bound_total:>11} "
              f"{containers - bound_total:>4} {seconds_total:>8.3f}\n")
    out.write(f"{at_bound} of {len(results)} instances packed at the lower bound.\n")
    return results
