"""Finding the caller, opening a service session (how the caller was verified), and the customer view with its
actions. Every read and act goes through the services of `locks.agents`, `locks.emergency` and `locks.holds`,
which check the role and write the security log; the console only asks and says."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import labels
from console.access import console_page, console_render
from console.confirm import Action, action_run
from console.errors import error_words
from console.forms import ConsoleForm
from console.templatetags.console import money
from locks.agents.calls import bank_call_end, bank_call_start
from locks.agents.customer_view import customer_view, phone_masked
from locks.agents.freezes import freeze_lift_request, remote_freeze_place
from locks.agents.sessions import customer_lookup, service_session_close, service_session_live, service_session_open
from locks.decision.policy import CHANNELS
from locks.emergency.scenarios import Scenario
from locks.emergency.services import action_sentence, emergency_apply
from locks.emergency.texts import SCENARIO_NAMES
from locks.holds.services import hold_stop
from locks.models import BankCall, Hold, RemoteFreeze, ServiceSession
from locks.rules.display import CHANNEL_NAMES, channels_display, regions_display, time_windows_display
from locks.securitylog.entries import EntryContext, sentence
from securitycenter.errors import DomainError, NotFound
from securitycenter.securitylog.record import Actor, Origin

LOG_LINES = 20

# --- forms ---------------------------------------------------------------------------------------------


class LookupForm(ConsoleForm):
    by = forms.ChoiceField(label=gettext_lazy("Look up by"), choices=labels.LOOKUP_KINDS)
    value = forms.CharField(label=gettext_lazy("What the caller gave"), max_length=64)


class SessionOpenForm(ConsoleForm):
    customer_number = forms.CharField(widget=forms.HiddenInput, max_length=32)
    verification_method = forms.ChoiceField(
        label=gettext_lazy("How was the caller verified?"), choices=labels.VERIFICATION_METHODS
    )
    call_reference = forms.CharField(label=gettext_lazy("Call reference"), max_length=64)
    reason = forms.CharField(label=gettext_lazy("Why you open the record"), max_length=200)


class FreezeForm(ConsoleForm):
    scope = forms.ChoiceField(
        label=gettext_lazy("What to freeze"), choices=labels.FREEZE_SCOPES, widget=forms.RadioSelect
    )
    channels = forms.MultipleChoiceField(
        label=gettext_lazy("Channels (only for “the channels chosen below”)"),
        choices=[(c, CHANNEL_NAMES.get(c, c)) for c in CHANNELS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason_code = forms.ChoiceField(label=gettext_lazy("Reason"), choices=labels.FREEZE_REASONS)
    note = forms.CharField(label=gettext_lazy("Note for the record"), max_length=500, required=False)
    expires_at = forms.DateTimeField(
        label=gettext_lazy("Ends by itself at (Beijing time; empty: until lifted)"),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "channels" and not data.get("channels"):
            self.add_error("channels", _("Choose the channels to switch off."))
        return data


class EmergencyForm(ConsoleForm):
    scenario = forms.ChoiceField(
        label=gettext_lazy("Scenario"),
        choices=[(s.value, SCENARIO_NAMES[s]) for s in Scenario if s != Scenario.LOST_CARD],
    )


def _per_object(prefix: str, object_id: Any) -> str:
    """Field ids of a form shown once per hold or freeze: unique on the page, the same in its htmx panel."""
    return f"id_{prefix}{object_id}_%s"


def _posted_id(request: HttpRequest, key: str) -> str:
    value = request.POST.get(key, "")
    return value if value.isdigit() else ""


class HoldStopForm(ConsoleForm):
    hold_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Why the transfer is stopped"), min_length=3, max_length=500)


class LiftRequestForm(ConsoleForm):
    freeze_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Why it should be lifted"), min_length=3, max_length=500)


class NothingForm(ConsoleForm):
    """An action with nothing to fill in: only the confirmation."""


# --- look-up and service sessions -------------------------------------------------------------------------


def _origin(request: HttpRequest) -> Origin:
    return Origin.from_request(request)


@require_http_methods(["GET", "POST"])
@console_page("accounts.view_customer")
def lookup(request: HttpRequest) -> HttpResponse:
    """Find the caller. What was searched is not shown again or logged; who was found needs a session to see."""
    form = LookupForm(request.POST if request.method == "POST" else None)
    found = None
    refusal = ""
    if request.method == "POST" and form.is_valid():
        try:
            found = customer_lookup(
                agent=request.staff,  # type: ignore[attr-defined]
                by=form.cleaned_data["by"],
                value=form.cleaned_data["value"],
                origin=_origin(request),
            )
        except DomainError as error:
            refusal = error_words(error)
    session_form = (
        SessionOpenForm(initial={"customer_number": found.customer_number, "reason": _("The customer called 95588")})
        if found is not None
        else None
    )
    return _lookup_page(request, form=form, found=found, refusal=refusal, session_form=session_form)


def _lookup_page(request: HttpRequest, **context: Any) -> HttpResponse:
    failed = bool(context.get("refusal")) or (request.method == "POST" and not context["form"].is_valid())
    return console_render(
        request,
        "console/lookup.html",
        {"nav": "lookup", "phone_masked": phone_masked, **context},
        status=400 if failed else 200,
    )


@require_POST
@console_page("accounts.view_customer")
def session_open(request: HttpRequest) -> HttpResponse:
    form = SessionOpenForm(request.POST)
    refusal = ""
    if form.is_valid():
        try:
            session = service_session_open(
                agent=request.staff,  # type: ignore[attr-defined]
                origin=_origin(request),
                **form.cleaned_data,
            )
        except DomainError as error:
            refusal = error_words(error)
        else:
            return HttpResponseRedirect(reverse("console:customer", args=[session.pk]))
    return _lookup_page(request, form=LookupForm(), found=None, refusal=refusal, session_form=form)


# --- the customer view --------------------------------------------------------------------------------


def freeze_scope_words(scope: str, channels: list[str]) -> str:
    if scope == RemoteFreeze.Scope.CHANNELS:
        return channels_display(channels)
    return str(dict(labels.FREEZE_SCOPES)[scope])


def _customer_page(request: HttpRequest, session_id: int, panels: dict[str, Any], status: int = 200) -> HttpResponse:
    view = customer_view(agent=request.staff, session_id=session_id, origin=_origin(request))  # type: ignore[attr-defined]
    live_call = (
        BankCall.objects.filter(session=view.session, ended_at__isnull=True, ends_at__gt=timezone.now())
        .order_by("-started_at")
        .first()
    )
    held = [h for h in view.holds if h.status == Hold.Status.HELD]
    defaults = {
        "freeze": {"form": FreezeForm(initial={"scope": "card_not_present", "reason_code": "suspected_fraud"})},
        "emergency": {"form": EmergencyForm()},
        "call": {"form": NothingForm()},
    }
    panels = {**defaults, **panels}
    hold_panels = [(h, _panel_for(panels, "hold_stop", "hold_id", h.pk, HoldStopForm, "hold")) for h in held]
    freeze_panels = [
        (f, _panel_for(panels, "lift_request", "freeze_id", f.pk, LiftRequestForm, "freeze"))
        for f in view.remote_freezes
        if f.status == RemoteFreeze.Status.ACTIVE
    ]
    for state in [*panels.values(), *(p for _o, p in hold_panels), *(p for _o, p in freeze_panels)]:
        state.setdefault("session", view.session)
    return console_render(
        request,
        "console/customer.html",
        {
            "nav": "lookup",
            "view": view,
            "phone": phone_masked(view.customer.phone),
            "panels": panels,
            "live_call": live_call,
            "labels": labels,
            "verification": dict(labels.VERIFICATION_METHODS).get(
                view.session.verification_method, view.session.verification_method
            ),
            "freeze_reasons": dict(labels.FREEZE_REASONS),
            "regions": {
                item.account.pk: regions_display(item.locks["region"]["mode"], item.locks["region"]["regions"])
                for item in view.accounts
            },
            "times": {item.account.pk: time_windows_display(item.locks["time"]["windows"]) for item in view.accounts},
            "log": _log_lines(view),
            "channel_names": CHANNEL_NAMES,
            "freeze_scope_words": {f.pk: freeze_scope_words(f.scope, f.channels) for f in view.remote_freezes},
            "hold_panels": hold_panels,
            "freeze_panels": freeze_panels,
        },
        status=status,
    )


def _log_lines(view: Any) -> list[tuple[Any, str]]:
    """The customer's security log as the customer reads it in the app (the same sentences), newest first."""
    events = view.security_log[:LOG_LINES]
    context = EntryContext(events, customer_id=view.customer.pk)
    return [(event, sentence(event, context)) for event in events]


def _panel_for(
    panels: dict[str, Any], name: str, key: str, object_id: int, form_class: type[forms.Form], prefix: str
) -> dict[str, Any]:
    """The state of the per-object panel: the submitted one for the object it was about, else an empty form."""
    state = panels.get(name)
    if state is None or str(state["form"][key].value()) != str(object_id):
        state = {"form": form_class(initial={key: object_id}, auto_id=_per_object(prefix, object_id))}
    state["panel_id"] = f"panel-{prefix}-{object_id}"
    return state


@require_GET
@console_page("accounts.view_customer")
def customer(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        return _customer_page(request, session_id, {})
    except DomainError as error:
        return _session_gone(request, error)


def _session_gone(request: HttpRequest, error: DomainError) -> HttpResponse:
    messages.error(request, error_words(error))
    return HttpResponseRedirect(reverse("console:lookup"))


def _session(request: HttpRequest, session_id: int) -> ServiceSession:
    return service_session_live(agent=request.staff, session_id=session_id)  # type: ignore[attr-defined]


def _run(
    request: HttpRequest,
    session_id: int,
    *,
    name: str,
    form: forms.Form,
    ask: Callable[[ServiceSession, dict[str, Any]], str],
    perform: Callable[[ServiceSession, dict[str, Any]], str],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """One action of the customer view, inside the agent's own live session."""
    try:
        session = _session(request, session_id)
    except DomainError as error:
        return _session_gone(request, error)
    done = reverse("console:customer", args=[session_id])
    action = Action(
        name=name,
        form=form,
        ask=lambda data: ask(session, data),
        perform=lambda data: perform(session, data),
        done_url=done,
        page=lambda panels, status: _customer_page(request, session_id, panels, status),
    )
    return action_run(request, action, {"session": session, **(extra or {})})


@require_POST
@console_page("accounts.freeze_features")
def freeze(request: HttpRequest, session_id: int) -> HttpResponse:
    def words(session: ServiceSession, data: dict[str, Any]) -> dict[str, str]:
        until = ""
        if data.get("expires_at"):
            until = _(" It ends by itself at %(time)s.") % {
                "time": timezone.localtime(data["expires_at"]).strftime("%Y-%m-%d %H:%M")
            }
        return {
            "scope": freeze_scope_words(data["scope"], data.get("channels") or []),
            "customer": session.customer.name,
            "reason": str(dict(labels.FREEZE_REASONS)[data["reason_code"]]),
            "until": until,
        }

    def ask(session: ServiceSession, data: dict[str, Any]) -> str:
        return _(
            "Freeze %(scope)s on every account and card of %(customer)s now? Reason: %(reason)s.%(until)s"
        ) % words(session, data)

    def perform(session: ServiceSession, data: dict[str, Any]) -> str:
        remote_freeze_place(
            agent=request.staff,  # type: ignore[attr-defined]
            customer=session.customer,
            session_id=session.pk,
            scope=data["scope"],
            channels=data.get("channels") or [],
            reason_code=data["reason_code"],
            note=data.get("note", ""),
            expires_at=data.get("expires_at"),
            origin=_origin(request),
        )
        return _(
            "Frozen: %(scope)s on every account and card of %(customer)s, effective now. "
            "The customer has been told by SMS and push.%(until)s"
        ) % words(session, data)

    return _run(request, session_id, name="freeze", form=FreezeForm(request.POST), ask=ask, perform=perform)


@require_POST
@console_page("accounts.freeze_features")
def emergency(request: HttpRequest, session_id: int) -> HttpResponse:
    def name(data: dict[str, Any]) -> str:
        return str(SCENARIO_NAMES[Scenario(data["scenario"])])

    def ask(session: ServiceSession, data: dict[str, Any]) -> str:
        return _(
            "Apply the emergency scenario “%(scenario)s” for %(customer)s now? "
            "It tightens their protection at once and signs them out everywhere."
        ) % {"scenario": name(data), "customer": session.customer.name}

    def perform(session: ServiceSession, data: dict[str, Any]) -> str:
        outcome = emergency_apply(
            customer=session.customer,
            scenario=Scenario(data["scenario"]),
            actor=Actor.agent(request.staff),  # type: ignore[attr-defined]
            origin=_origin(request),
            source=f"agent:{session.pk}",
        )
        did = " ".join(action_sentence(a) for a in outcome.actions) or _("Nothing needed changing.")
        return _("“%(scenario)s” applied for %(customer)s. %(did)s") % {
            "scenario": name(data),
            "customer": session.customer.name,
            "did": did,
        }

    return _run(request, session_id, name="emergency", form=EmergencyForm(request.POST), ask=ask, perform=perform)


def _session_hold(session: ServiceSession, hold_id: int) -> Hold | None:
    return Hold.objects.select_related("account").filter(pk=hold_id, account__customer=session.customer).first()


@require_POST
@console_page("accounts.stop_hold")
def hold_stop_view(request: HttpRequest, session_id: int) -> HttpResponse:
    def described(session: ServiceSession, data: dict[str, Any]) -> dict[str, str]:
        hold = _session_hold(session, data["hold_id"])
        if hold is None:
            return {"amount": "?", "account": "?"}
        return {"amount": money(hold.amount, hold.currency), "account": hold.account.masked_number}

    def ask(session: ServiceSession, data: dict[str, Any]) -> str:
        return _(
            "Stop the held transfer of %(amount)s from %(account)s? The money will not leave, and the payment "
            "core is told."
        ) % described(session, data)

    def perform(session: ServiceSession, data: dict[str, Any]) -> str:
        hold = _session_hold(session, data["hold_id"])
        if hold is None:
            raise NotFound(_("This held transfer is not one of this customer's."), code="unknown_hold")
        hold_stop(
            agent=request.staff,  # type: ignore[attr-defined]
            hold_id=hold.pk,
            reason=data["reason"],
            origin=_origin(request),
        )
        return _("Stopped: the held transfer of %(amount)s from %(account)s will not be paid.") % described(
            session, data
        )

    hold_id = _posted_id(request, "hold_id")
    form = HoldStopForm(request.POST, auto_id=_per_object("hold", hold_id))
    extra = {"panel_id": f"panel-hold-{hold_id}"}
    return _run(request, session_id, name="hold_stop", form=form, ask=ask, perform=perform, extra=extra)


@require_POST
@console_page("accounts.work_callbacks")
def call_start(request: HttpRequest, session_id: int) -> HttpResponse:
    def ask(session: ServiceSession, data: dict[str, Any]) -> str:
        return _(
            "Start a call to %(customer)s? While it lasts, their app shows that 95588 is calling, with your staff "
            "number and a code for you to say."
        ) % {"customer": session.customer.name}

    def perform(session: ServiceSession, data: dict[str, Any]) -> str:
        call = bank_call_start(agent=request.staff, session_id=session.pk, origin=_origin(request))  # type: ignore[attr-defined]
        return _("Call started. Say the code %(code)s: the customer's app shows the same code.") % {
            "code": call.spoken_code
        }

    return _run(request, session_id, name="call", form=NothingForm(request.POST), ask=ask, perform=perform)


@require_POST
@console_page("accounts.work_callbacks")
def call_end(request: HttpRequest, session_id: int, call_id: int) -> HttpResponse:
    """Ending a call loosens nothing and is asked for by the agent on the line: done at once, and said."""
    try:
        _session(request, session_id)
        bank_call_end(agent=request.staff, call_id=call_id, origin=_origin(request))  # type: ignore[attr-defined]
    except DomainError as error:
        messages.error(request, error_words(error))
    else:
        messages.success(request, _("Call ended: the customer's app no longer shows it."))
    return HttpResponseRedirect(reverse("console:customer", args=[session_id]))


@require_POST
@console_page("accounts.unfreeze_features")
def lift_request(request: HttpRequest, session_id: int) -> HttpResponse:
    def scope(session: ServiceSession, data: dict[str, Any]) -> str:
        freeze = RemoteFreeze.objects.filter(pk=data["freeze_id"], customer=session.customer).first()
        return freeze_scope_words(freeze.scope, freeze.channels) if freeze is not None else "?"

    def ask(session: ServiceSession, data: dict[str, Any]) -> str:
        return _(
            "Ask a supervisor to lift the freeze of %(scope)s? Nothing is lifted until another staff member approves."
        ) % {"scope": scope(session, data)}

    def perform(session: ServiceSession, data: dict[str, Any]) -> str:
        freeze_lift_request(
            agent=request.staff,  # type: ignore[attr-defined]
            session_id=session.pk,
            freeze_id=data["freeze_id"],
            reason=data["reason"],
            origin=_origin(request),
        )
        return _("Request sent: a supervisor must approve it before the freeze of %(scope)s is lifted.") % {
            "scope": scope(session, data)
        }

    freeze_id = _posted_id(request, "freeze_id")
    form = LiftRequestForm(request.POST, auto_id=_per_object("freeze", freeze_id))
    extra = {"panel_id": f"panel-freeze-{freeze_id}"}
    return _run(request, session_id, name="lift_request", form=form, ask=ask, perform=perform, extra=extra)


@require_POST
@console_page("accounts.view_customer")
def session_close(request: HttpRequest, session_id: int) -> HttpResponse:
    try:
        session = service_session_close(agent=request.staff, session_id=session_id, origin=_origin(request))  # type: ignore[attr-defined]
    except DomainError as error:
        messages.error(request, error_words(error))
        return HttpResponseRedirect(reverse("console:queue"))
    messages.success(
        request, _("Service session closed: %(customer)s's record is shut.") % {"customer": session.customer.name}
    )
    return HttpResponseRedirect(reverse("console:queue"))
