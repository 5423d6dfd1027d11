"""Every console action is asked, then done: the first submission shows what will happen, in a sentence, and
only the second one (confirmed) calls the service. Done or refused, the page says so in words.

With htmx the question replaces the action's panel in place; without script the same view answers a whole
page. The confirmed submission is a plain form post that ends in a redirect (post/redirect/get), so a reload
never repeats an action.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from console.access import console_render, is_htmx
from console.errors import error_words
from securitycenter.errors import DomainError

CONFIRMED = "confirmed"


@dataclass
class Action:
    """One action: its form, the sentence asking for it, and the call that does it (returning what it did)."""

    name: str  # its panel is the template console/panels/<name>.html, given the panel's state as `p`
    form: forms.Form
    ask: Callable[[dict[str, Any]], str]
    perform: Callable[[dict[str, Any]], str]
    done_url: str
    # The whole page around the panel (for a browser without script): given {name: state} and a status.
    page: Callable[[dict[str, Any], int], HttpResponse]


def action_run(request: HttpRequest, action: Action, context: dict[str, Any]) -> HttpResponse:
    """Ask (first submission), or do (confirmed submission); a refusal or an invalid form shows in the panel."""
    form = action.form
    state: dict[str, Any] = {"form": form, "open": True, **context}
    if form.is_valid():
        if request.POST.get(CONFIRMED) == "yes":
            try:
                said = action.perform(form.cleaned_data)
            except DomainError as error:
                state["refusal"] = error_words(error)
            else:
                messages.success(request, said)
                return HttpResponseRedirect(action.done_url)
        else:
            state["question"] = action.ask(form.cleaned_data)
            state["hidden"] = hidden_values(form)
    if is_htmx(request):
        # 200 even for a refusal: htmx swaps only successful answers, and the panel is what says what went wrong.
        return console_render(request, f"console/panels/{action.name}.html", {"p": state})
    failed = "refusal" in state or not form.is_valid()
    if "refusal" in state:
        # On a whole page the refusal goes to the top, where it is seen whichever panel the action was in.
        messages.error(request, state.pop("refusal"))
    return action.page({action.name: state}, 400 if failed else 200)


def hidden_values(form: forms.Form) -> list[tuple[str, Any]]:
    """(name, value) of every submitted value of `form`, lists flattened, for the confirmation's hidden inputs."""
    pairs: list[tuple[str, Any]] = []
    for field in form:
        value = field.value()
        for one in value if isinstance(value, (list, tuple)) else [value]:
            if one not in (None, ""):
                pairs.append((field.html_name, one))
    return pairs
