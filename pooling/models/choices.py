from django.db import models

from pooling.domain.units import Mode as DomainMode


class Mode(models.TextChoices):
    AIR = DomainMode.AIR.value, "Air"
    EXPRESS = DomainMode.EXPRESS.value, "Express"
    SEA_LCL = DomainMode.SEA_LCL.value, "Sea LCL"
    SEA_FCL = DomainMode.SEA_FCL.value, "Sea FCL"
    RAIL = DomainMode.RAIL.value, "Rail"
    ROAD = DomainMode.ROAD.value, "Road"


class CargoClass(models.TextChoices):
    GENERAL = "general", "General cargo"
    LITHIUM = "lithium_batteries", "Lithium batteries (UN3480/UN3481)"
    LIQUIDS = "liquids", "Liquids"
    POWDERS = "powders", "Powders"
    MAGNETIC = "magnetic", "Magnetic"
    OTHER_DG = "other_dg", "Other dangerous goods"


class Incoterm(models.TextChoices):
    EXW = "EXW", "EXW Ex Works"
    FCA = "FCA", "FCA Free Carrier"
    CPT = "CPT", "CPT Carriage Paid To"
    CIP = "CIP", "CIP Carriage and Insurance Paid To"
    DAP = "DAP", "DAP Delivered at Place"
    DPU = "DPU", "DPU Delivered at Place Unloaded"
    DDP = "DDP", "DDP Delivered Duty Paid"
    FAS = "FAS", "FAS Free Alongside Ship"
    FOB = "FOB", "FOB Free on Board"
    CFR = "CFR", "CFR Cost and Freight"
    CIF = "CIF", "CIF Cost, Insurance and Freight"


class Equipment(models.TextChoices):
    GP20 = "20GP", "20' general purpose"
    GP40 = "40GP", "40' general purpose"
    HC40 = "40HC", "40' high cube"


class Channel(models.TextChoices):
    AMAZON_SP = "amazon_sp", "Amazon Sponsored Products"
    AMAZON_DSP = "amazon_dsp", "Amazon DSP"
    EBAY_PL = "ebay_pl", "eBay Promoted Listings"
    ALIEXPRESS = "aliexpress", "AliExpress ads"
    GOOGLE = "google_ads", "Google Ads"
    META = "meta_ads", "Meta ads"
    TIKTOK = "tiktok_ads", "TikTok ads"
    YOUTUBE = "youtube", "YouTube"
    INSTAGRAM_SHOPPING = "instagram_shopping", "Instagram Shopping"
    TIKTOK_LIVE = "tiktok_live", "TikTok Live/Shop"
    AMAZON_LIVE = "amazon_live", "Amazon Live"


class BusinessModel(models.TextChoices):
    MARKETPLACE = "marketplace", "Marketplace platform"
    INDEPENDENT_SITE = "independent_site", "Independent site"
    SOCIAL = "social", "Social"
    LIVESTREAM = "livestream", "Livestream"
