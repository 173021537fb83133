"""The packing benchmark command: its JSON figures, on instances the test writes."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command


def test_packing_benchmark_reports_containers_optimum_and_slowest(tmp_path):
    # given two BPPLIB instances, one with its optimum listed in optima.tsv
    (tmp_path / "exact_three.txt").write_text("3\n100\n50\n30\n20\n")
    (tmp_path / "five_of_sixty.txt").write_text("5\n100\n60\n60\n60\n60\n60\n")
    (tmp_path / "optima.tsv").write_text("instance\toptimum\nfive_of_sixty\t5\n")
    target = tmp_path / "packing.json"
    out = StringIO()

    # when the benchmark runs on them
    call_command("benchmark", "packing", str(tmp_path / "exact_three.txt"),
                 str(tmp_path / "five_of_sixty.txt"), "--json", str(target), stdout=out)

    # then each instance is reported with containers, optimum, bound and seconds
    figures = json.loads(target.read_text())
    rows = figures["instances"]
    assert [r["instance"] for r in rows] == ["exact_three", "five_of_sixty"]
    assert [r["containers"] for r in rows] == [1, 5]
    assert [r["optimum"] for r in rows] == [None, 5]
    assert [r["lower_bound"] for r in rows] == [1, 5]
    assert figures["at_optimum"] == 1 and figures["with_optimum"] == 1
    assert "Slowest:" in out.getvalue()


def test_matching_quality_benchmark_compares_with_its_own_optimum(tmp_path):
    # given two small markets of each kind
    target = tmp_path / "quality.json"
    out = StringIO()
    # when the quality benchmark runs
    call_command("benchmark", "matching_quality", "--markets", "2", "--seed", "7",
                 "--lane-demands", "300", "--json", str(target), stdout=out)
    # then every kind reports gaps against the optimum and never beats it by more than
    # the exact container plans allow
    figures = json.loads(target.read_text())
    for kind in ("sea", "air", "ads"):
        row = figures[kind]
        assert row["markets"] == 2
        assert 0 <= row["at_optimum"] <= 2
        assert 0 <= row["mean_gap"] <= row["worst_gap"]
        assert 0 <= row["saving_captured"] <= 1
    assert "saving captured" in out.getvalue()
    # and the large lane is measured against its lower bound, which it never beats
    lane = figures["large_lane"]
    assert lane["demands"] == 300 and lane["gap_to_bound"] >= 0
    assert "lower bound" in out.getvalue()


def test_the_lane_bound_never_exceeds_the_optimum_of_a_small_market():
    import random

    from pooling.benchmarks import matching_quality as quality
    from pooling.domain import logistics_matching
    from pooling.domain.fit import ship_window
    from pooling.domain.tariff import price
    from pooling.domain.units import Mode

    card = quality._sea_card()
    rng = random.Random(11)
    for _ in range(15):
        demands = quality._demands(rng, Mode.SEA_FCL)
        alone = [price(card, gross_kg=d.gross_kg, volume_cbm=d.volume_cbm,
                       splittable=d.splittable).total for d in demands]
        spans = [ship_window(ready_from=d.ready_from, deliver_by=d.deliver_by,
                             transit_days=card.transit_days) for d in demands]
        windows = [(max(w.first, quality.TODAY), w.last) for w in spans]
        best = quality.optimum(windows, alone, lambda members, d=demands: (
            logistics_matching.pool_total(card, [d[i] for i in members])))
        assert quality.lane_lower_bound(card, demands) <= best


@pytest.mark.django_db
def test_matching_benchmark_measures_against_reads_on_both_sides_and_leaves_nothing(tmp_path):
    # given a small generated market
    from pooling.models import Pool, ShippingDemand

    target = tmp_path / "matching.json"
    out = StringIO()

    # when the one-process benchmark runs on it
    call_command("benchmark", "matching", "--demands", "400", "--lanes", "20",
                 "--json", str(target), stdout=out)

    # then the ratio is the match against the quicker of the reads before and after it
    figures = json.loads(target.read_text())
    before, after = figures["load_seconds_before_and_after"]
    assert figures["load_seconds"] == pytest.approx(min(before, after), abs=0.002)
    assert figures["match_to_load_ratio"] == pytest.approx(
        figures["match_seconds"] / figures["load_seconds"], rel=0.05)  # of rounded figures
    assert figures["demands_read"] == 400
    assert figures["pooled_needs"] + figures["unplaced"] == 400 + figures["ad_needs_read"]
    assert "Match / load" in out.getvalue()
    # and the generated rows were rolled back
    assert not ShippingDemand.objects.exists() and not Pool.objects.exists()
