"""`python manage.py benchmark <name>`: speed figures measured as ratios in one run."""

from __future__ import annotations

import json
from importlib import import_module
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

# Each benchmark lives in pooling/benchmarks/<name>.py with `add_arguments(parser)`
# and `run(options, out) -> dict` returning the figures it printed.
BENCHMARKS = ("packing", "matching", "matching_quality", "feed", "settlement", "csv_import")


class Command(BaseCommand):
    help = "Run a benchmark and print its figures; --json PATH writes them too."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="benchmark", required=True)
        for name in BENCHMARKS:
            module = self._module(name)
            p = sub.add_parser(name, help=(module.__doc__ or "").strip().splitlines()[0]
                               if module else "not available")
            p.add_argument("--json", dest="json_path", help="Write the figures to this file.")
            if module and hasattr(module, "add_arguments"):
                module.add_arguments(p)

    @staticmethod
    def _module(name: str) -> Any:
        try:
            return import_module(f"pooling.benchmarks.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"pooling.benchmarks.{name}":
                raise
            return None

    def handle(self, *args: Any, **options: Any) -> None:
        module = self._module(options["benchmark"])
        if module is None:
            raise CommandError(f"benchmark {options['benchmark']} is not available")
        figures = module.run(options, self.stdout)
        if options.get("json_path"):
            Path(options["json_path"]).write_text(json.dumps(figures, indent=2, default=str))
            self.stdout.write(f"Figures written to {options['json_path']}")
