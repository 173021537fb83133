"""`python manage.py match`: run matching once, in this process, and print what it proposed."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from pooling.domain.wording import counted
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
            f"Read {counted(inputs.get('demands', 0), 'open demand')}, "
            f"{counted(inputs.get('ad_needs', 0), 'ad need')}, "
            f"{counted(inputs.get('rate_cards', 0), 'rate card')}, "
            f"{counted(inputs.get('capacity_offers', 0), 'capacity offer')}, "
            f"{counted(inputs.get('programmes', 0), 'programme')}.\n"
            f"Proposed {counted(run.proposed_count, 'pool')}; {counted(len(run.unplaced), 'need')} "
            f"left unplaced; "
            f"saving {saving or 'nothing'}."
        )
