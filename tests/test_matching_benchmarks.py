"""The packing benchmark command: its JSON figures, on two quick instances."""

from __future__ import annotations

import json
from io import StringIO

from django.core.management import call_command


def test_packing_benchmark_writes_one_object_per_instance(tmp_path):
    # given two BPPLIB instances: three items filling one bin exactly, and five of 60
    exact = tmp_path / "exact_three.txt"
    exact.write_text("3\n100\n50\n30\n20\n")
    loose = tmp_path / "five_of_sixty.txt"
    loose.write_text("5\n100\n60\n60\n60\n60\n60\n")
    target = tmp_path / "packing.json"
    out = StringIO()

    # when the benchmark runs on them
    call_command("benchmark", "packing", str(exact), str(loose), "--json", str(target), stdout=out)

    # then the JSON is a list with the instance, containers, lower bound and seconds
    figures = json.loads(target.read_text())
    assert [f["instance"] for f in figures] == ["exact_three", "five_of_sixty"]
    assert all(set(f) == {"instance", "containers", "lower_bound", "seconds"} for f in figures)
    assert [f["lower_bound"] for f in figures] == [1, 3]
    assert [f["containers"] for f in figures] == [1, 5]
    assert all(isinstance(f["seconds"], float) and f["seconds"] >= 0 for f in figures)
    text = out.getvalue()
    assert "five_of_sixty" in text and "total" in text
