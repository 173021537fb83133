"""Celery tasks: thin, idempotent wrappers over services, enqueued on commit.

Each area keeps its tasks in its own module; names are explicit
(`pooling.tasks.<name>`) so the beat schedule does not depend on module layout.
"""

from importlib import import_module

for _module in ("matching", "lifecycle", "webhooks", "settlement"):
    try:
        import_module(f"{__name__}.{_module}")
    except ModuleNotFoundError as exc:  # an area not built yet
        if exc.name != f"{__name__}.{_module}":
            raise
