from .advisor import FirmProfile
from .feed import (
    Booking,
    CapacityOffer,
    FxRate,
    Invoice,
    InvoiceLine,
    RateCard,
    ShipmentReferenceLink,
    SpendReport,
    TrackingEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from .ledger import Account, LedgerEntry, LedgerTransaction, Settlement, SettlementShare
from .needs import AdNeed, ChannelProgramme, PackageLine, ShippingDemand
from .pools import MatchingRun, MatchingShard, Notification, Pool, PoolEvent, PoolMember
from .preferences import EmailPreference

__all__ = [
    "Account", "AdNeed", "Booking", "CapacityOffer", "ChannelProgramme", "EmailPreference",
    "FirmProfile", "FxRate", "Invoice",
    "InvoiceLine", "LedgerEntry", "LedgerTransaction", "MatchingRun", "MatchingShard", "Notification",
    "PackageLine", "Pool", "PoolEvent", "PoolMember", "RateCard", "Settlement",
    "SettlementShare", "ShipmentReferenceLink", "ShippingDemand", "SpendReport", "TrackingEvent",
    "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
]
