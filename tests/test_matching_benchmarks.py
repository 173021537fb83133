"""The packing benchmark command: its JSON figures, on two quick instances."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

from django.core.management import call_command

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "binpacking"


def test_packing_benchmark_writes_one_object_per_instance(tmp_path):
    # given two instances
    files = [DATA / "Falkenauer_u120_00.txt", DATA / "Falkenauer_t120_08.txt"]
    target = tmp_path / "packing.json"
    out = StringIO()

    # when the benchmark runs on them
    call_command("benchmark", "packing", *map(str, files), "--json", str(target), stdout=out)

    # then the JSON is a list with the instance, containers, lower bound and seconds
    figures = json.loads(target.read_text())
    assert [f["instance"] for f in figures] == ["Falkenauer_u120_00", "Falkenauer_t120_08"]
    assert all(set(f) == {"instance", "containers", "lower_bound", "seconds"} for f in figures)
    assert [f["lower_bound"] for f in figures] == [48, 40]
    assert all(f["containers"] >= f["lower_bound"] for f in figures)
    assert all(isinstance(f["seconds"], float) and f["seconds"] >= 0 for f in figures)
    text = out.getvalue()
    assert "Falkenauer_t120_08" in text and "total" in text
