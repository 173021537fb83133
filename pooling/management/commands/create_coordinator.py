"""Create the cooperative's first coordinator (or make an existing user one)."""

from __future__ import annotations

import getpass
import os
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User


class Command(BaseCommand):
    help = ("Create a coordinator who reviews and locks pools and keeps the programme catalogue. "
            "The password comes from --password, COORDINATOR_PASSWORD, or a prompt.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--name", default="", help="The coordinator's full name.")
        parser.add_argument("--password", default=None,
                            help="Prefer COORDINATOR_PASSWORD or the prompt: a flag shows in ps.")

    def handle(self, *args: Any, **options: Any) -> None:
        email = User.objects.normalize_email(options["email"]).strip()
        if "@" not in email:
            raise CommandError(f"'{email}' is not an e-mail address.")
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            if user.is_coordinator:
                self.stdout.write(f"{user.email} is already a coordinator; nothing changed.")
                return
            user.is_coordinator = True
            user.save(update_fields=["is_coordinator"])
            self.stdout.write(self.style.SUCCESS(f"{user.email} is now a coordinator."))
            return
        password = options["password"] or os.environ.get("COORDINATOR_PASSWORD")
        if not password:
            password = getpass.getpass(f"Password for {email}: ")
        try:
            validate_password(password, User(email=email, full_name=options["name"]))
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        user = User.objects.create_user(email, password, full_name=options["name"],
                                        is_coordinator=True)
        self.stdout.write(self.style.SUCCESS(
            f"Coordinator {user.email} created. Log in at /accounts/login/ and open the console."))
