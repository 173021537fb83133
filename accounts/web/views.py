"""Web pages for accounts: sign-up, invitations, choosing the acting firm."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from .. import services
from ..tenancy import SESSION_KEY, membership_for
from ..throttling import login_failed, login_retry_after
from .forms import InvitationAcceptForm, InviteForm, SignupForm


class LoginView(auth_views.LoginView):
    """The sign-in form; failed attempts are counted per account and per address."""

    template_name = "accounts/login.html"

    def _email(self) -> str:
        return str(self.request.POST.get("username", ""))[:254]

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        wait = login_retry_after(request, self._email())
        if wait is None:
            return super().post(request, *args, **kwargs)
        minutes = max(1, -(-wait // 60))
        form = AuthenticationForm(request, initial={"username": self._email()})
        response = self.render_to_response(self.get_context_data(
            form=form, throttled=(f"Too many failed sign-ins. Try again in {minutes} "
                                  f"minute{'s' if minutes != 1 else ''}.")))
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        login_failed(self.request, self._email())
        return super().form_invalid(form)


def _add_errors(form: object, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        target = field if field in form.fields else None  # type: ignore[attr-defined]
        for error in errors:
            form.add_error(target, error)  # type: ignore[attr-defined]


def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.firm_signup(**form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            request.session[SESSION_KEY] = membership.firm_id
            messages.success(request, f"Welcome! {membership.firm} is now part of the cooperative.")
            return redirect("pooling:dashboard")
    return render(request, "accounts/signup.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST":
        try:
            if request.user.is_authenticated:
                membership = services.invitation_accept(token=token, user=request.user)  # type: ignore[arg-type]
            elif form.is_valid():
                membership = services.invitation_accept(token=token, **form.cleaned_data)
                login(request, membership.user,
                      backend="django.contrib.auth.backends.ModelBackend")
            else:
                return render(request, "accounts/invitation_accept.html",
                              {"form": form, "invitation": invitation})
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            request.session[SESSION_KEY] = membership.firm_id
            messages.success(request, f"You joined {membership.firm}.")
            return redirect("pooling:dashboard")
    return render(request, "accounts/invitation_accept.html",
                  {"form": form, "invitation": invitation})


@login_required
def invite(request: HttpRequest) -> HttpResponse:
    firm = request.firm  # type: ignore[attr-defined]
    if not firm:
        messages.error(request, "You do not act for a firm yet.")
        return redirect("home")
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                firm=firm, invited_by=request.user,  # type: ignore[arg-type]
                link_for=lambda token: request.build_absolute_uri(
                    reverse("accounts:invitation-accept", args=[token])
                ),
                **form.cleaned_data,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:invite")
    invitations = firm.invitations.select_related("invited_by")[:20]
    return render(request, "accounts/invite.html", {"form": form, "invitations": invitations})


@login_required
@require_POST
def switch_firm(request: HttpRequest) -> HttpResponse:
    membership = membership_for(request.user, request.POST.get("firm"))
    if membership is None:
        messages.error(request, "You are not a member of that firm.")
    else:
        request.session[SESSION_KEY] = membership.firm_id
        messages.success(request, f"You now act for {membership.firm}.")
    return redirect("pooling:dashboard")
