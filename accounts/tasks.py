from celery import shared_task

from .models import Firm


@shared_task
def firms_count() -> int:
    """How many firms the worker's database holds; shows a worker reaches the same database."""
    return Firm.objects.count()


@shared_task(name="accounts.tasks.idempotency_records_prune")
def idempotency_records_prune() -> int:
    from .services import idempotency_records_prune as prune

    return prune()
