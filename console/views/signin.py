"""Signing in and out of the console, and choosing its language."""

from django import forms
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.signin import staff_console_sign_in
from console.access import (
    LANGUAGES,
    SESSION_LANGUAGE,
    console_csp,
    console_locale,
    console_page,
    console_render,
    console_sign_in_session,
    console_sign_out_session,
    safe_next,
    signed_in_staff,
)
from console.errors import error_words
from console.forms import ConsoleForm
from securitycenter.errors import DomainError
from securitycenter.securitylog.record import Origin

_REASONS = {
    "idle": _("You were signed out because the console was left alone for too long."),
    "inactive": _("Your staff account can no longer sign in."),
    "signed_out": _("You have signed out."),
}


class SignInForm(ConsoleForm):
    username = forms.CharField(
        label=_("Username"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "username"})
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    totp = forms.RegexField(
        label=_("Authenticator code"),
        regex=r"^\s*[0-9]{6}\s*$",
        max_length=8,
        error_messages={"invalid": _("Enter the 6 digits your authenticator shows.")},
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


@require_http_methods(["GET", "POST"])
@console_csp
def sign_in(request: HttpRequest) -> HttpResponse:
    with console_locale(request):
        return _sign_in(request)


def _sign_in(request: HttpRequest) -> HttpResponse:
    staff, _why = signed_in_staff(request)
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if staff is not None and request.method == "GET":
        return HttpResponseRedirect(next_url)
    form = SignInForm(request.POST if request.method == "POST" else None)
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            user = staff_console_sign_in(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                totp=form.cleaned_data["totp"].strip(),
                origin=Origin.from_request(request),
            )
        except DomainError as error:
            refusal = error_words(error)
        else:
            console_sign_in_session(request, user)
            return HttpResponseRedirect(next_url)
    notice = _REASONS.get(request.GET.get("reason", ""), "")
    return console_render(
        request,
        "console/sign_in.html",
        {"form": form, "refusal": refusal, "notice": notice, "next": next_url},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
@console_page()
def sign_out(request: HttpRequest) -> HttpResponse:
    console_sign_out_session(request, user=request.staff, reason="signed_out")  # type: ignore[attr-defined]
    return HttpResponseRedirect(reverse("console:sign-in") + "?reason=signed_out")


@require_POST
def language(request: HttpRequest) -> HttpResponse:
    """Switch the console's language for this browser session (before or after signing in)."""
    chosen = request.POST.get("language", "")
    if chosen in dict(LANGUAGES):
        request.session[SESSION_LANGUAGE] = chosen
    back = request.POST.get("next", "")
    return HttpResponseRedirect(safe_next(request, back) if back != reverse("console:sign-in") else back)
