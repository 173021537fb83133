from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from accounts.tasks import firms_count
from tests.factories import FirmFactory

ROOT = Path(__file__).resolve().parent.parent


def test_production_settings_pass_the_deploy_check() -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": "x" * 20 + "a-long-random-production-secret-key-value-0123456789",
        "DJANGO_ALLOWED_HOSTS": "coop.example.com",
        "DATABASE_URL": os.environ.get("DATABASE_URL", "sqlite:///:memory:"),
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_ENV"] = "production"
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


@pytest.mark.worker
def test_a_task_travels_through_redis_to_a_real_worker(celery_worker) -> None:
    FirmFactory.create_batch(3)

    result = firms_count.delay()

    assert result.get(timeout=30) == 3
