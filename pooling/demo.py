"""The demo cooperative `make run` loads: idempotent, so loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import Firm, Membership, Partner, PartnerAPIKey, User
from pooling.demos import feed as demo_feed
from pooling.demos import matching as demo_matching
from pooling.demos import needs as demo_needs
from pooling.demos import pools as demo_pools
from pooling.demos import settlement as demo_settlement

DEMO_PASSWORD = "pool-together-2026"  # noqa: S105 - published demo login, local data only

COORDINATOR = ("coordinator@demo.coop", "Casey Coordinator")

FIRMS = [
    # email, name, legal name, country, currency, stage, categories
    ("ana@shenzhen-gadgets.demo", "Ana Li", "Shenzhen Gadgets Ltd", "CN", "USD", "growth",
     ["electronics"]),
    ("ben@pearl-river-home.demo", "Ben Chen", "Pearl River Home Co", "CN", "USD", "startup",
     ["home", "garden"]),
    ("carla@lisboa-ceramics.demo", "Carla Sousa", "Lisboa Ceramics Lda", "PT", "EUR", "mature",
     ["home"]),
    ("dev@mumbai-textiles.demo", "Dev Patel", "Mumbai Textiles Pvt Ltd", "IN", "USD", "growth",
     ["apparel"]),
    ("emi@osaka-beauty.demo", "Emi Sato", "Osaka Beauty KK", "JP", "JPY", "startup",
     ["beauty"]),
    ("farid@kuwait-outdoor.demo", "Farid Al-Sabah", "Kuwait Outdoor Co", "KW", "KWD", "growth",
     ["sports"]),
]

PARTNERS = [
    ("Blue Anchor Logistics (demo)", Partner.Kind.LOGISTICS, "ops@blue-anchor.demo",
     "demoLOGI.blue-anchor-demo-key-0001"),
    ("Brightreach Media (demo)", Partner.Kind.ADVERTISING, "ops@brightreach.demo",
     "demoADVR.brightreach-demo-key-0002"),
]


@dataclass
class DemoReport:
    created: list[str] = field(default_factory=list)
    logins: list[tuple[str, str, str]] = field(default_factory=list)
    partner_keys: list[tuple[str, str]] = field(default_factory=list)


def _user(email: str, name: str, *, coordinator: bool = False) -> tuple[User, bool]:
    user = User.objects.filter(email=email).first()
    if user:
        return user, False
    user = User.objects.create_user(email, DEMO_PASSWORD, full_name=name,
                                    is_coordinator=coordinator, is_staff=coordinator,
                                    is_superuser=coordinator)
    return user, True


def _demo_key(partner: Partner, raw: str) -> None:
    """A fixed, published key so the README's curl examples work against the demo."""
    prefix = raw.partition(".")[0]
    if PartnerAPIKey.objects.filter(prefix=prefix).exists():
        return
    api_key = PartnerAPIKey(partner=partner, name="demo feed")
    api_key.prefix = prefix
    api_key.hashed_key = PartnerAPIKey.objects.key_generator.hash(raw)
    api_key.id = f"{prefix}.{api_key.hashed_key}"
    api_key.save()


@transaction.atomic
def load_accounts(report: DemoReport) -> dict[str, object]:
    coordinator, created = _user(*COORDINATOR, coordinator=True)
    if created:
        report.created.append(f"coordinator {coordinator.email}")
    report.logins.append((coordinator.email, DEMO_PASSWORD, "coordinator (and /admin/)"))
    firms: dict[str, Firm] = {}
    for email, name, legal, country, currency, stage, categories in FIRMS:
        user, created = _user(email, name)
        firm, firm_created = Firm.objects.get_or_create(
            legal_name=legal,
            defaults={"country": country, "billing_currency": currency, "growth_stage": stage,
                      "product_categories": categories, "contact_name": name,
                      "contact_email": email},
        )
        Membership.objects.get_or_create(user=user, firm=firm,
                                         defaults={"role": Membership.Role.OWNER})
        if firm_created:
            report.created.append(f"firm {legal}")
        report.logins.append((email, DEMO_PASSWORD, f"owner of {legal}"))
        firms[legal] = firm
    partners: dict[str, Partner] = {}
    for name, kind, contact, raw_key in PARTNERS:
        partner, created = Partner.objects.get_or_create(
            name=name, defaults={"kind": kind, "contact_email": contact}
        )
        if created:
            report.created.append(f"partner {name}")
        _demo_key(partner, raw_key)
        partner_user, created = _user(contact, f"{name.removesuffix(' (demo)')} operations")
        partner.users.add(partner_user)
        if created:
            report.created.append(f"partner user {contact}")
        report.logins.append((contact, DEMO_PASSWORD, f"partner user of {name}"))
        report.partner_keys.append((name, raw_key))
        partners[name] = partner
    return {"coordinator": coordinator, "firms": firms, "partners": partners}


# Each area extends the demo in pooling/demos/<area>.py with `load(report, ctx)`,
# in this order: what firms need, what partners publish, what matching proposes,
# what happens to pools, what settlement posts.
SECTIONS = (demo_needs, demo_feed, demo_matching, demo_pools, demo_settlement)


def load(report: DemoReport | None = None) -> DemoReport:
    report = report or DemoReport()
    ctx = load_accounts(report)
    for section in SECTIONS:
        with transaction.atomic():
            section.load(report, ctx)
    return report
