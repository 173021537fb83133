"""Pack the public Falkenauer bin-packing sets with the sea planner's one-dimensional core.

Each instance is one lane, one container type and volume only: n whole loads of
integer size into containers of one capacity, packed by
`pooling.domain.packing.pack_bins`, the same code that counts a type's boxes
when the sea planner fills containers. For each file it prints the containers
used, the known optimum (from `optima.tsv` next to the files, when listed),
the L2 lower bound and the seconds taken; then how many reached the optimum
and the slowest. `--json PATH` writes the figures.
"""

from __future__ import annotations

import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings
from django.core.management.base import CommandError

from pooling.domain.packing import bins_lower_bound, pack_bins, validate_bins

DEFAULT_GLOB = "*.txt"
# Each instance must be packed within 2 s; the search gets that less a margin for
# reading, checking and a loaded machine. The stages share the budget in proportion.
TIME_LIMIT = 1.8


def default_dir() -> Path:
    return Path(settings.BASE_DIR).parent / "shared" / "data" / "binpacking" / "falkenauer"


def add_arguments(parser: ArgumentParser) -> None:
    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="BPPLIB instances (default: ../shared/data/binpacking/falkenauer).")
    parser.add_argument("--time-limit", type=float, default=TIME_LIMIT,
                        help="Seconds of search per instance.")


def read_bpplib(text: str) -> tuple[int, list[int]]:
    """The BPPLIB text format: n, then the capacity, then n item sizes, one a line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        raise ValueError("BPPLIB text needs the item count and the capacity on its first lines.")
    try:
        numbers = [int(line.split()[0]) for line in lines]
    except ValueError:
        raise ValueError("Every line of a BPPLIB file must start with an integer.") from None
    count, capacity, sizes = numbers[0], numbers[1], numbers[2:]
    if capacity <= 0:
        raise ValueError(f"The capacity must be positive, got {capacity}.")
    if len(sizes) != count:
        raise ValueError(f"The header announces {count} items but {len(sizes)} sizes follow.")
    return capacity, sizes


def read_optima(folder: Path) -> dict[str, int]:
    path = folder / "optima.tsv"
    if not path.exists():
        return {}
    optima: dict[str, int] = {}
    for line in path.read_text().splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].strip().isdigit():
            optima[parts[0].strip()] = int(parts[1])
    return optima


def run(options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    files = [Path(f) for f in options.get("files") or []]
    if not files:
        files = sorted(default_dir().glob(DEFAULT_GLOB))
    if not files:
        raise CommandError(f"No instances given and none found in {default_dir()}.")
    time_limit = float(options.get("time_limit") or TIME_LIMIT)
    optima: dict[str, int] = {}
    for folder in sorted({f.parent for f in files}):
        optima.update(read_optima(folder))
    results: list[dict[str, Any]] = []
    out.write(f"{'instance':<28} {'items':>6} {'containers':>10} {'optimum':>8} "
              f"{'L2 bound':>8} {'seconds':>8}\n")
    for path in files:
        try:
            capacity, sizes = read_bpplib(path.read_text())
        except (OSError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from None
        start = time.perf_counter()
        bins = pack_bins(sizes, capacity, time_limit=time_limit)
        seconds = time.perf_counter() - start
        validate_bins(bins, sizes, capacity)
        bound = bins_lower_bound(sizes, capacity)
        optimum = optima.get(path.stem)
        results.append({"instance": path.stem, "items": len(sizes), "containers": len(bins),
                        "optimum": optimum, "lower_bound": bound, "seconds": round(seconds, 4)})
        out.write(f"{path.stem:<28} {len(sizes):>6} {len(bins):>10} "
                  f"{optimum if optimum is not None else '-':>8} {bound:>8} {seconds:>8.3f}\n")
    known = [r for r in results if r["optimum"] is not None]
    at_optimum = sum(1 for r in known if r["containers"] == r["optimum"])
    at_bound = sum(1 for r in results if r["containers"] == r["lower_bound"])
    slowest = max(results, key=lambda r: r["seconds"])
    out.write(f"{at_optimum} of {len(known)} instances with a known optimum packed at it; "
              f"{at_bound} of {len(results)} at the L2 bound.\n")
    out.write(f"Slowest: {slowest['instance']} in {slowest['seconds']:.3f} s; "
              f"{sum(1 for r in results if r['seconds'] <= 2.0)} of {len(results)} "
              f"within 2 s.\n")
    return {"instances": results, "at_optimum": at_optimum, "with_optimum": len(known),
            "at_bound": at_bound, "slowest": slowest}
