"""`python manage.py match`: run matching once, in this process, and print what it proposed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pooling.models import MatchingRun
from pooling.services.matching import matching_run_execute, matching_run_start


class Command(BaseCommand):
    help = "Match open shipping demands and ad needs into proposed pools, once."

    def handle(self, *args: Any, **options: Any) -> None:
        run = matching_run_start(trigger=MatchingRun.Trigger.COMMAND, enqueue=False)
        run = matching_run_execute(run_id=run.pk)
        if run.status != MatchingRun.Status.SUCCEEDED:
            raise CommandError(f"Matching run #{run.pk} failed: {run.error}")
        inputs = run.inputs
        saving = ", ".join(f"{cur} {amount}" for cur, amount in run.total_saving.items())
        self.stdout.write(
            f"Matching run #{run.pk} succeeded in {run.duration_ms} ms.\n"
            f"Read {inputs.get('demands', 0)} open demands, {inputs.get('ad_needs', 0)} ad "
            f"needs, {inputs.get('rate_cards', 0)} rate cards, "
            f"{inputs.get('capacity_offers', 0)} capacity offers, "
            f"{inputs.get('programmes', 0)} programmes.\n"
            f"Proposed {run.proposed_count} pools; {len(run.unplaced)} needs left unplaced; "
            f"saving {saving or 'nothing'}."
        )
