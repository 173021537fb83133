"""Shared fixtures: factories, API clients per role, a real Celery worker process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from kombu import pools as kombu_pools
from rest_framework.test import APIClient

from accounts.models import Partner
from accounts.services import partner_key_create
from coop.celery import app as celery_app
from tests.factories import FirmFactory, MembershipFactory, PartnerFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("COOP_TEST_REDIS_URL", "redis://127.0.0.1:6379")
# One queue per test process: Celery caches its routes, so every worker test in a
# process sends to, and starts its worker on, the same queue.
WORKER_QUEUE = f"coop-test-{uuid.uuid4().hex[:8]}"
WORKER_APPLICATION_NAME = "coop-test-worker"


@pytest.fixture(scope="session")
def _no_stray_sessions_at_the_end(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """End, before the test database is dropped, the sessions the live server's request
    threads leave open: one still serving the browser (a poll, a kept-alive connection)
    when the server stops never closes its connection, and the drop would fail."""
    yield
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       "WHERE datname = current_database() AND pid <> pg_backend_pid()")


@pytest.fixture(autouse=True)
def _eager_celery(settings):  # type: ignore[no-untyped-def]
    """Tasks run in-process unless a test asks for the real worker."""
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    """Sign-in throttles live in the cache; no test inherits another's failures."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def firm_user():  # type: ignore[no-untyped-def]
    membership = MembershipFactory(role="owner")
    return membership.user


@pytest.fixture
def other_firm_user():  # type: ignore[no-untyped-def]
    return MembershipFactory(role="owner").user


@pytest.fixture
def coordinator():  # type: ignore[no-untyped-def]
    return UserFactory(is_coordinator=True)


def client_for(user) -> APIClient:  # type: ignore[no-untyped-def]
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api(firm_user) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(firm_user)


@pytest.fixture
def other_api(other_firm_user) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(other_firm_user)


@pytest.fixture
def coordinator_api(coordinator) -> APIClient:  # type: ignore[no-untyped-def]
    return client_for(coordinator)


def partner_client(partner: Partner) -> APIClient:
    key = partner_key_create(partner=partner, name="test").key
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


@pytest.fixture
def partner() -> Partner:
    return PartnerFactory(kind=Partner.Kind.LOGISTICS)


@pytest.fixture
def partner_api(partner) -> APIClient:  # type: ignore[no-untyped-def]
    return partner_client(partner)


@pytest.fixture
def other_partner_api() -> APIClient:
    return partner_client(PartnerFactory(kind=Partner.Kind.LOGISTICS))


@pytest.fixture
def firm(firm_user):  # type: ignore[no-untyped-def]
    return firm_user.memberships.get().firm


__all__ = ["FirmFactory", "client_for", "partner_client"]


def _reset_connections() -> None:
    """Drop cached broker/backend connections so a changed broker_url takes effect."""
    # the result backend is cached once built, per app or per thread
    celery_app._backend_cache = None
    celery_app._local.__dict__.pop("backend", None)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu_pools.reset()  # kombu keeps pools per connection in a global registry


def _purge(queue: str) -> None:
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)


def _close_worker_connections() -> None:
    """End sessions a killed or stopped worker left open on this test database."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s",
            [WORKER_APPLICATION_NAME],
        )


@contextlib.contextmanager
def _workers(request, count: int, extra_env: dict[str, str]) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """`count` real `celery worker` processes on Redis, reading this test's database."""
    if connection.vendor != "postgresql":
        pytest.skip("the worker tests need PostgreSQL")
    queue = WORKER_QUEUE
    # a URL that names its database number is used as it is; else database 1
    broker = REDIS_URL if REDIS_URL.rstrip("/").rsplit("/", 1)[-1].isdigit() else f"{REDIS_URL}/1"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
                        f"?application_name={WORKER_APPLICATION_NAME}",
        "CELERY_BROKER_URL": broker,
        "CELERY_RESULT_BACKEND": broker,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "DATABASE_CONN_MAX_AGE": "0",
        **extra_env,
    }
    previous = {k: celery_app.conf[k] for k in
                ("broker_url", "result_backend", "task_default_queue", "task_always_eager")}
    celery_app.conf.update(broker_url=broker, result_backend=broker, task_default_queue=queue,
                           task_always_eager=False)
    _reset_connections()
    _purge(queue)  # messages an earlier test's worker left behind (e.g. redelivered on kill)
    names = [f"{queue}-{k}" if count > 1 else queue for k in range(count)]
    logs = {name: ROOT / f".worker-{name}.log" for name in names}
    processes: list[tuple[subprocess.Popen[bytes], Any]] = []
    try:
        for name in names:
            log = open(logs[name], "w")  # noqa: SIM115
            processes.append((subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "coop", "worker", "-P", "prefork", "-c",
                 "1", "-Q", queue, "-n", f"{name}@%h", "--without-gossip", "--without-mingle",
                 "--without-heartbeat", "-l", "INFO"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            ), log))
        deadline = time.monotonic() + 60
        for name, (process, _log) in zip(names, processes, strict=True):
            while time.monotonic() < deadline:
                if celery_app.control.ping(destination=[f"{name}@{os.uname().nodename}"],
                                           timeout=1):
                    break
                if process.poll() is not None:
                    raise RuntimeError(f"celery worker exited early: see .worker-{name}.log")
            else:
                raise RuntimeError("celery worker did not answer within 60 s")
        yield names
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            log.close()
        _close_worker_connections()
        _purge(queue)
        celery_app.conf.update(previous)
        _reset_connections()
        report = getattr(request.node, "rep_call", None)
        for name, log_path in logs.items():
            if report is not None and report.failed and log_path.exists():
                artifacts = ROOT / "test-artifacts"
                artifacts.mkdir(exist_ok=True)
                log_path.replace(artifacts / f"{request.node.name}.{name}.worker.log")
            else:
                log_path.unlink(missing_ok=True)


@pytest.fixture
def celery_worker(transactional_db, request) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A real `celery worker` process on Redis, reading this test's PostgreSQL database."""
    with _workers(request, 1, {}) as names:
        yield names[0]


@pytest.fixture
def celery_worker_pair(transactional_db, request) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Two real worker processes on one queue; matching cuts runs into shards of two needs."""
    with _workers(request, 2, {"MATCHING_SHARD_NEEDS": "2"}) as names:
        yield names


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def page(live_server, request, monkeypatch, _no_stray_sessions_at_the_end):  # type: ignore[no-untyped-def]
    """A headless Debian Chromium page on the live server; screenshots a failing test."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                             args=CHROMIUM_ARGS)
        # Playwright's string helpers (wait_for_function) evaluate script, which our CSP
        # forbids; tests marked `csp` run with the policy enforced.
        context = browser.new_context(base_url=live_server.url,
                                      bypass_csp=request.node.get_closest_marker("csp") is None)
        context.set_default_timeout(15_000)
        browser_page = context.new_page()
        try:
            yield browser_page
        finally:
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                artifacts = ROOT / "test-artifacts"
                artifacts.mkdir(exist_ok=True)
                browser_page.screenshot(path=str(artifacts / f"{request.node.name}.png"),
                                        full_page=True)
            context.close()
            browser.close()


def log_in(page, email: str, password: str = "correct-horse-battery-9") -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()
