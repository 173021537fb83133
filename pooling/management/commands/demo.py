from typing import Any

from django.core.management.base import BaseCommand
from django.test.utils import override_settings

from pooling import demo


class Command(BaseCommand):
    help = "Load the demo cooperative (idempotent: loading twice changes nothing)."

    def handle(self, *args: Any, **options: Any) -> None:
        # Notifications of the demo's own story go to the in-app list, not the console.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
            report = demo.load()
        if report.created:
            self.stdout.write("Created: " + "; ".join(report.created))
        else:
            self.stdout.write("The demo cooperative is already loaded; nothing changed.")
        self.stdout.write(self.style.SUCCESS("\nDemo logins (http://127.0.0.1:8000/accounts/login/):"))
        for email, password, role in report.logins:
            self.stdout.write(f"  {email:34} {password:22} {role}")
        self.stdout.write(self.style.SUCCESS("\nDemo partner API keys (Authorization: Api-Key <key>):"))
        for name, key in report.partner_keys:
            self.stdout.write(f"  {name:34} {key}")
