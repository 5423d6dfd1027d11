"""A call-back case: claim it (one agent at a time, for a few minutes), open the customer's record from it,
call the customer, and record what the call found. The rules (who may claim, a lapsed claim, what each outcome
does to the payment) are `locks.callbacks`'; the console asks, calls the service and says what happened."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console import labels
from console.access import console_page, console_render
from console.confirm import Action, action_run
from console.forms import ConsoleForm
from console.views.customers import NothingForm, SessionOpenForm
from locks.agents.calls import call_status
from locks.callbacks.claims import callback_claim, case_call_start
from locks.callbacks.outcomes import callback_outcome_record
from locks.callbacks.queue import case_deadline
from locks.models import Case, CaseWork
from securitycenter.securitylog.record import Origin

OUTCOMES = (
    ("confirmed", gettext_lazy("The customer confirmed the payment is theirs")),
    ("fraud_confirmed", gettext_lazy("Fraud confirmed: stop the payment and freeze")),
    ("unreachable", gettext_lazy("Not reached: call again later")),
)


class OutcomeForm(ConsoleForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("What did the call find?"), choices=OUTCOMES, widget=forms.RadioSelect
    )
    note = forms.CharField(label=gettext_lazy("Note for the record"), max_length=500, required=False)


def _case(case_id: int) -> Case:
    return get_object_or_404(
        Case.objects.select_related("customer", "hold", "authorization", "account", "work__claimed_by"), pk=case_id
    )


def _claimed_by_me(case: Case, staff: Any) -> bool:
    work: CaseWork | None = getattr(case, "work", None)
    return bool(
        work is not None
        and work.claimed_by_id == staff.pk
        and work.claim_expires_at is not None
        and work.claim_expires_at > timezone.now()
    )


def _page(request: HttpRequest, case_id: int, panels: dict[str, Any], status: int = 200) -> HttpResponse:
    case = _case(case_id)
    staff = request.staff  # type: ignore[attr-defined]
    defaults: dict[str, Any] = {
        "claim": {"form": NothingForm()},
        "outcome": {"form": OutcomeForm()},
        "case_call": {"form": NothingForm()},
    }
    panels = {**defaults, **panels}
    for state in panels.values():
        state.setdefault("case", case)
    session_form = SessionOpenForm(
        initial={
            "customer_number": case.customer.customer_number,
            "verification_method": "outbound_call",
            "reason": _("Call-back case #%(case)s") % {"case": case.pk},
        }
    )
    return console_render(
        request,
        "console/case.html",
        {
            "nav": "queue",
            "case": case,
            "labels": labels,
            "mine": _claimed_by_me(case, staff),
            "deadline": case_deadline(case),
            "live_call": call_status(customer=case.customer),
            "panels": panels,
            "session_form": session_form,
        },
        status=status,
    )


@require_GET
@console_page("accounts.view_queue")
def case(request: HttpRequest, case_id: int) -> HttpResponse:
    return _page(request, case_id, {})


def _run(request: HttpRequest, case_id: int, *, name: str, form: forms.Form, ask: Any, perform: Any) -> HttpResponse:
    case = _case(case_id)
    action = Action(
        name=name,
        form=form,
        ask=lambda data: ask(case, data),
        perform=lambda data: perform(case, data),
        done_url=reverse("console:case", args=[case_id]),
        page=lambda panels, status: _page(request, case_id, panels, status),
    )
    return action_run(request, action, {"case": case})


@require_POST
@console_page("accounts.work_callbacks")
def claim(request: HttpRequest, case_id: int) -> HttpResponse:
    def ask(case: Case, data: dict[str, Any]) -> str:
        return _("Claim case #%(case)s of %(customer)s? For the next few minutes no other agent works it.") % {
            "case": case.pk,
            "customer": case.customer.name,
        }

    def perform(case: Case, data: dict[str, Any]) -> str:
        work = callback_claim(agent=request.staff, case_id=case.pk, origin=Origin.from_request(request))  # type: ignore[attr-defined]
        until = timezone.localtime(work.claim_expires_at).strftime("%H:%M") if work.claim_expires_at else ""
        return _("Case #%(case)s is yours until %(until)s. Open the customer's record and call them.") % {
            "case": case.pk,
            "until": until,
        }

    return _run(request, case_id, name="claim", form=NothingForm(request.POST), ask=ask, perform=perform)


@require_POST
@console_page("accounts.work_callbacks")
def case_call(request: HttpRequest, case_id: int) -> HttpResponse:
    def ask(case: Case, data: dict[str, Any]) -> str:
        return _(
            "Start a call to %(customer)s? While it lasts, their app shows that 95588 is calling, with your staff "
            "number and a code for you to say."
        ) % {"customer": case.customer.name}

    def perform(case: Case, data: dict[str, Any]) -> str:
        call = case_call_start(agent=request.staff, case_id=case.pk, origin=Origin.from_request(request))  # type: ignore[attr-defined]
        return _("Call started. Say the code %(code)s: the customer's app shows the same code.") % {
            "code": call.spoken_code
        }

    return _run(request, case_id, name="case_call", form=NothingForm(request.POST), ask=ask, perform=perform)


@require_POST
@console_page("accounts.work_callbacks")
def outcome(request: HttpRequest, case_id: int) -> HttpResponse:
    def ask(case: Case, data: dict[str, Any]) -> str:
        chosen = str(dict(OUTCOMES)[data["outcome"]])
        return _("Record for case #%(case)s: “%(outcome)s”?") % {"case": case.pk, "outcome": chosen}

    def perform(case: Case, data: dict[str, Any]) -> str:
        callback_outcome_record(
            agent=request.staff,  # type: ignore[attr-defined]
            case_id=case.pk,
            outcome=data["outcome"],
            note=data.get("note", ""),
            origin=Origin.from_request(request),
        )
        done = {
            "confirmed": _("Recorded: the customer confirmed. The case is closed."),
            "fraud_confirmed": _(
                "Recorded: fraud confirmed. The payment is stopped, outgoing payments are frozen "
                "and the case is closed."
            ),
            "unreachable": _("Recorded: not reached. The case comes back to the queue for another call."),
        }
        return str(done[data["outcome"]])

    return _run(request, case_id, name="outcome", form=OutcomeForm(request.POST), ask=ask, perform=perform)
