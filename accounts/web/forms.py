from __future__ import annotations

from django import forms

from ..models import Membership
from ..reference import GrowthStage, ProductCategory, country_choices, currency_choices


class SignupForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(label="Work email")
    password = forms.CharField(widget=forms.PasswordInput, strip=False,
                               help_text="At least 10 characters, not a common password.")
    legal_name = forms.CharField(max_length=200, label="Firm's legal name")
    country = forms.ChoiceField(choices=[("", "Choose a country")] + country_choices())
    billing_currency = forms.ChoiceField(
        choices=[("", "Choose a currency")] + currency_choices(), initial="USD"
    )
    growth_stage = forms.ChoiceField(choices=GrowthStage.choices)
    product_categories = forms.MultipleChoiceField(
        choices=ProductCategory.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


class InvitationAcceptForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your name")
    password = forms.CharField(widget=forms.PasswordInput, strip=False)


class InviteForm(forms.Form):
    email = forms.EmailField(label="Colleague's email")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.MEMBER)


class EmailAuthenticationForm(forms.Form):
    """Used only for the template labels; Django's AuthenticationForm does the work."""
