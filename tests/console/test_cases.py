# ruff: noqa: RUF001 - the pages are Chinese, punctuated with full-width marks as Chinese readers expect.
"""A call-back case at the console: claimed from the queue (asked first), refused in words when another agent
holds it, called, and closed by the call's outcome, all through `locks.callbacks`' services."""

import pytest

from locks.agents.calls import call_status
from locks.callbacks.claims import callback_claim
from locks.cases.services import case_open
from locks.models import Case, CaseWork
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin
from tests.console.conftest import ConsoleUser
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(db):
    customer = CustomerFactory(name="赵六")
    return case_open(
        kind=Case.Kind.INCIDENT,
        customer=customer,
        source="not_me",
        actor=Actor.customer(customer),
        reason="客户称有一笔支付不是本人所为",
        priority=Case.Priority.HIGH,
    )


@pytest.fixture
def signed_in_agent(console_agent):
    console_agent.sign_in()
    return console_agent


def test_the_queue_offers_each_case_to_claim(signed_in_agent, case):
    page = signed_in_agent.get("/console/").content.decode()
    assert f'action="/console/cases/{case.pk}/claim"' in page
    assert f"领取工单 #{case.pk}" in page  # the button's accessible name


def test_a_claim_is_asked_first_then_taken_and_the_case_page_leads_to_the_record(signed_in_agent, case):
    url = f"/console/cases/{case.pk}/claim"
    asked = signed_in_agent.post(url)
    assert asked.status_code == 200
    assert f"领取赵六的工单 #{case.pk}？" in asked.content.decode()
    assert not CaseWork.objects.filter(case=case, claimed_by__isnull=False).exists()

    done = signed_in_agent.post(url, {"confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == f"/console/cases/{case.pk}"
    assert CaseWork.objects.get(case=case).claimed_by == signed_in_agent.user
    page = signed_in_agent.get(done["Location"]).content.decode()
    assert f"工单 #{case.pk} 已由您领取" in page
    assert 'action="/console/sessions"' in page  # opening the customer's record, from the case
    assert SecurityEvent.objects.filter(event_type=EventType.CASE_CLAIMED, customer=case.customer).count() == 1


def test_a_case_another_agent_claimed_is_refused_in_words(signed_in_agent, case):
    other = ConsoleUser("agent").user
    callback_claim(agent=other, case_id=case.pk, origin=Origin())

    refused = signed_in_agent.post(f"/console/cases/{case.pk}/claim", {"confirmed": "yes"})
    assert refused.status_code == 400
    assert "其他坐席正在处理该工单。" in refused.content.decode()
    assert CaseWork.objects.get(case=case).claimed_by == other
    assert f'action="/console/cases/{case.pk}/outcome"' not in refused.content.decode()


def test_an_outcome_without_a_claim_is_refused_in_words(signed_in_agent, case):
    refused = signed_in_agent.post(f"/console/cases/{case.pk}/outcome", {"outcome": "confirmed", "confirmed": "yes"})
    assert refused.status_code == 400
    assert "请先领取工单，再记录结果。" in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN


def test_the_claimed_case_is_called_and_its_outcome_recorded(signed_in_agent, case):
    callback_claim(agent=signed_in_agent.user, case_id=case.pk, origin=Origin())
    base = f"/console/cases/{case.pk}"

    assert call_status(customer=case.customer) is None
    assert "请确认" in signed_in_agent.post(f"{base}/calls").content.decode()
    assert call_status(customer=case.customer) is None
    started = signed_in_agent.post(f"{base}/calls", {"confirmed": "yes"})
    assert started.status_code == 302
    call = call_status(customer=case.customer)
    assert call is not None and call.agent == signed_in_agent.user
    page = signed_in_agent.get(base).content.decode()
    assert f"通话已开始。请报出验证码 {call.spoken_code}" in page

    asked = signed_in_agent.post(f"{base}/outcome", {"outcome": "confirmed", "note": "本人确认"})
    assert f"为工单 #{case.pk} 记录结果：“客户确认该笔交易是本人所为”？" in asked.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN

    done = signed_in_agent.post(f"{base}/outcome", {"outcome": "confirmed", "note": "本人确认", "confirmed": "yes"})
    assert done.status_code == 302
    assert "已记录：客户已确认。工单已关闭。" in signed_in_agent.get(base).content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED
    assert CaseWork.objects.get(case=case).outcome == CaseWork.Outcome.CONFIRMED


def test_an_unknown_outcome_is_refused_naming_the_field(signed_in_agent, case):
    callback_claim(agent=signed_in_agent.user, case_id=case.pk, origin=Origin())
    refused = signed_in_agent.post(f"/console/cases/{case.pk}/outcome", {"outcome": "vanished", "confirmed": "yes"})
    assert refused.status_code == 400
    assert 'id="id_outcome-error"' in refused.content.decode()
    assert Case.objects.get(pk=case.pk).status == Case.Status.OPEN
