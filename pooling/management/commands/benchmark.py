"""`python manage.py benchmark <name>`: speed figures measured as ratios in one run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pooling.benchmarks import csv_import, feed, matching, packing, settlement

# Each benchmark module has `add_arguments(parser)` and `run(options, out) -> dict`
# returning the figures it printed.
BENCHMARKS: dict[str, Any] = {
    "packing": packing, "matching": matching, "feed": feed, "settlement": settlement,
    "csv_import": csv_import,
}


class Command(BaseCommand):
    help = "Run a benchmark and print its figures; --json PATH writes them too."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name, module in BENCHMARKS.items():
            p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0])
            p.add_argument("--json", dest="json_path", help="Write the figures to this file.")
            if hasattr(module, "add_arguments"):
                module.add_arguments(p)

    def handle(self, *args: Any, **options: Any) -> None:
        module = BENCHMARKS[options["benchmark"]]
        figures = module.run(options, self.stdout)
        if options.get("json_path"):
            Path(options["json_path"]).write_text(json.dumps(figures, indent=2, default=str))
            self.stdout.write(f"Figures written to {options['json_path']}")
