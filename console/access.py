"""Who is at the console: the staff member signed in on this browser session, and what their role opens.

The console has its own door. A bearer token (a customer's or an agent's) or an API key opens nothing here:
only the session cookie that the console's sign-in (password + authenticator code) set. The session names
the staff user and when they last did something; a session left alone for STAFF_TOKEN_IDLE_TIMEOUT is
ended on its next request (and the page sends itself to the sign-in screen when that time has passed, so an
unattended desk does not keep showing a customer). Every page names the one permission it needs, checked
with `accounts.roles.staff_has`, the check the services themselves make.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from typing import Any, cast
from zoneinfo import ZoneInfo

from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.csrf import rotate_token
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from accounts.roles import staff_has, staff_roles
from accounts.signin import staff_console_sign_out
from securitycenter.securitylog.record import Origin

SESSION_STAFF = "console.staff_user_id"
SESSION_SEEN = "console.last_seen"
SESSION_LANGUAGE = "console.language"
# The console's readers sit at the 95588 centre: money in yuan, times in Beijing time, Chinese first.
TIME_ZONE = ZoneInfo("Asia/Shanghai")
LANGUAGES = (("zh-hans", "简体中文"), ("en", "English"))
DEFAULT_LANGUAGE = "zh-hans"

ROLE_NAMES = {
    "agent": _("agent"),
    "supervisor": _("supervisor"),
    "auditor": _("auditor"),
    "administrator": _("administrator"),
}

View = Callable[..., HttpResponse]

# The project's Content-Security-Policy forbids every form (its API pages have none); the console's pages post
# their forms to the console itself, and nowhere else.
CONSOLE_CSP = {"form-action": ["'self'"]}
console_csp = csp_update(CONSOLE_CSP)


@contextmanager
def console_locale(request: HttpRequest) -> Iterator[None]:
    """Language and time zone of a console page (the console's choice, not the browser's header), for the
    length of the request only: the thread serves API requests next, which must not read Beijing time."""
    language = request.session.get(SESSION_LANGUAGE, DEFAULT_LANGUAGE)
    if language not in dict(LANGUAGES):
        language = DEFAULT_LANGUAGE
    with translation.override(language), timezone.override(TIME_ZONE):
        request.LANGUAGE_CODE = language
        yield


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def idle_seconds() -> int:
    return int(settings.STAFF_TOKEN_IDLE_TIMEOUT.total_seconds())


def console_sign_in_session(request: HttpRequest, user: Any) -> None:
    """Start the console session of `user`, who has just passed the sign-in: a new session key and a new CSRF
    token, so nothing planted in the browser before the sign-in carries over."""
    language = request.session.get(SESSION_LANGUAGE)
    request.session.flush()
    if language:
        request.session[SESSION_LANGUAGE] = language
    request.session[SESSION_STAFF] = user.pk
    request.session[SESSION_SEEN] = timezone.now().isoformat()
    rotate_token(request)


def console_sign_out_session(request: HttpRequest, *, user: Any, reason: str) -> None:
    staff_console_sign_out(user=user, origin=Origin.from_request(request), reason=reason)
    language = request.session.get(SESSION_LANGUAGE)
    request.session.flush()
    if language:
        request.session[SESSION_LANGUAGE] = language


def signed_in_staff(request: HttpRequest) -> tuple[Any | None, str]:
    """(staff user, "") for a live console session, else (None, why: "" never signed in, "idle", "inactive")."""
    user_id = request.session.get(SESSION_STAFF)
    if user_id is None:
        return None, ""
    user = get_user_model()._default_manager.filter(pk=user_id).first()
    if user is None or not user.is_active:
        request.session.flush()
        return None, "inactive"
    seen = request.session.get(SESSION_SEEN)
    now = timezone.now()
    if seen is None or now - datetime.fromisoformat(seen) >= settings.STAFF_TOKEN_IDLE_TIMEOUT:
        console_sign_out_session(request, user=user, reason="idle")
        return None, "idle"
    request.session[SESSION_SEEN] = now.isoformat()
    return user, ""


def sign_in_url(request: HttpRequest, reason: str = "") -> str:
    url = reverse("console:sign-in")
    query = []
    if reason:
        query.append(f"reason={reason}")
    if request.method == "GET" and not is_htmx(request):
        query.append(f"next={request.get_full_path()}")
    return url + ("?" + "&".join(query) if query else "")


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after the sign-in: a console page of this host, never another site."""
    if (
        candidate
        and candidate.startswith(reverse("console:queue"))
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=False)
    ):
        return candidate
    return reverse("console:queue")


def _to_sign_in(request: HttpRequest, reason: str) -> HttpResponse:
    url = sign_in_url(request, reason)
    if is_htmx(request):
        # htmx follows a redirect inside its request and would paste the sign-in page into a panel.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return HttpResponseRedirect(url)


def console_page(permission: str = "accounts.agent_access") -> Callable[[View], View]:
    """A console page for staff signed in at the console who hold `permission` (and agent_access).

    No console session: a redirect to the sign-in page. Signed in without the role: a 403 page that says so.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            with console_locale(request):
                staff, why = signed_in_staff(request)
                if staff is None:
                    return _to_sign_in(request, why)
                request.staff = staff  # type: ignore[attr-defined]
                if not (staff_has(staff, "accounts.agent_access") and staff_has(staff, permission)):
                    return console_render(request, "console/forbidden.html", status=403)
                return view(request, *args, **kwargs)

        return cast(View, console_csp(wrapped))

    return decorator


def console_render(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> HttpResponse:
    """Render a console page with the layout's context: who is signed in, their roles, what the menu shows."""
    staff = getattr(request, "staff", None)
    layout: dict[str, Any] = {"console_languages": LANGUAGES, "console_time_zone": TIME_ZONE.key}
    if staff is not None:
        layout |= {
            "console_staff": staff,
            "console_roles": [ROLE_NAMES.get(role, role) for role in staff_roles(staff)],
            "console_can_approve": staff_has(staff, "accounts.approve_unfreeze"),
            "console_idle_seconds": idle_seconds(),
        }
    return render(request, template, layout | (context or {}), status=status)
