"""The supervisor's approvals: requests by other staff to lift a freeze the bank placed (four eyes).

A supervisor's own requests are listed apart and cannot be decided here; `freeze_lift_approve` refuses them
too, so the rule stays in the service."""

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from console.access import console_page, console_render
from console.confirm import Action, action_run
from console.forms import ConsoleForm
from console.views.customers import freeze_scope_words
from locks.agents.freezes import freeze_lift_approve, freeze_lift_reject, freeze_lift_requests_pending
from locks.models import FreezeLiftRequest
from securitycenter.securitylog.record import Origin


class DecisionForm(ConsoleForm):
    request_id = forms.IntegerField(widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")], widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("Note"), max_length=500, required=False)


def _pending(staff: Any) -> tuple[list[Any], list[Any]]:
    pending = list(freeze_lift_requests_pending()[:200])
    return [r for r in pending if r.requested_by_id != staff.pk], [r for r in pending if r.requested_by_id == staff.pk]


def _page(request: HttpRequest, panels: dict[str, Any], status: int = 200) -> HttpResponse:
    others, own = _pending(request.staff)  # type: ignore[attr-defined]
    state = panels.get("decision")
    rows = []
    for lift in others:
        if state is not None and str(state["form"]["request_id"].value()) == str(lift.pk):
            row_state = state
        else:
            row_state = {"form": DecisionForm(initial={"request_id": lift.pk}, auto_id=f"id_lift{lift.pk}_%s")}
        row_state["panel_id"] = f"panel-lift-{lift.pk}"
        rows.append((lift, row_state, _scope_words(lift)))
    return console_render(
        request,
        "console/approvals.html",
        {"nav": "approvals", "rows": rows, "own": [(lift, _scope_words(lift)) for lift in own]},
        status=status,
    )


def _scope_words(lift: FreezeLiftRequest) -> str:
    return freeze_scope_words(lift.freeze.scope, lift.freeze.channels)


@require_GET
@console_page("accounts.approve_unfreeze")
def approvals(request: HttpRequest) -> HttpResponse:
    return _page(request, {})


@require_POST
@console_page("accounts.approve_unfreeze")
def decide(request: HttpRequest) -> HttpResponse:
    posted = request.POST.get("request_id", "")
    request_id = posted if posted.isdigit() else ""
    form = DecisionForm(request.POST, auto_id=f"id_lift{request_id}_%s")

    def described(data: dict[str, Any]) -> dict[str, str]:
        lift = FreezeLiftRequest.objects.select_related("freeze__customer").filter(pk=data["request_id"]).first()
        if lift is None:
            return {"scope": "?", "customer": "?", "agent": "?"}
        return {
            "scope": _scope_words(lift),
            "customer": lift.freeze.customer.name,
            "agent": f"{lift.requested_by_id:04d}",
        }

    def ask(data: dict[str, Any]) -> str:
        if data["decision"] == "approve":
            return _(
                "Lift the freeze of %(scope)s for %(customer)s, as staff no. %(agent)s asked? It is lifted at once "
                "and the customer is told."
            ) % described(data)
        return _("Refuse to lift the freeze of %(scope)s for %(customer)s? The freeze stays.") % described(data)

    def perform(data: dict[str, Any]) -> str:
        origin = Origin.from_request(request)
        if data["decision"] == "approve":
            freeze_lift_approve(
                supervisor=request.staff,  # type: ignore[attr-defined]
                request_id=data["request_id"],
                note=data["note"],
                origin=origin,
            )
            return _(
                "Approved: the freeze of %(scope)s for %(customer)s is lifted, and the customer told."
            ) % described(data)
        freeze_lift_reject(
            supervisor=request.staff,  # type: ignore[attr-defined]
            request_id=data["request_id"],
            note=data["note"],
            origin=origin,
        )
        return _("Refused: the freeze of %(scope)s for %(customer)s stays.") % described(data)

    action = Action(
        name="decision",
        form=form,
        ask=ask,
        perform=perform,
        done_url=reverse("console:approvals"),
        page=lambda panels, status: _page(request, panels, status),
    )
    return action_run(request, action, {"panel_id": f"panel-lift-{request_id}"})
