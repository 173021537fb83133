"""Celery tasks: thin, idempotent wrappers over services, enqueued on commit.

Each area keeps its tasks in its own module; names are explicit
(`pooling.tasks.<name>`) so the beat schedule does not depend on module layout.
"""

from pooling.tasks import lifecycle, matching, settlement, webhooks

__all__ = ["lifecycle", "matching", "settlement", "webhooks"]
