from django.urls import path

from . import views

app_name = "accounts_api"

urlpatterns = [
    path("auth/token/", views.TokenObtainApi.as_view(), name="token"),
    path("auth/token/revoke/", views.TokenRevokeApi.as_view(), name="token-revoke"),
    path("me/", views.MeApi.as_view(), name="me"),
    path("firms/<int:firm_id>/", views.FirmDetailApi.as_view(), name="firm-detail"),
    path("partner/me/", views.PartnerMeApi.as_view(), name="partner-me"),
    path("partners/<int:partner_id>/keys/", views.PartnerKeyListCreateApi.as_view(),
         name="partner-keys"),
    path("partners/<int:partner_id>/keys/<str:key_id>/revoke/",
         views.PartnerKeyRevokeApi.as_view(), name="partner-key-revoke"),
]
