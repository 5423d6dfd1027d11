"""Every kind of security-log entry reads as a sentence in the customer's language, agents' acts by staff number."""

import pytest
from django.utils import timezone, translation

from locks.securitylog.entries import EntryContext, sentence
from securitycenter.securitylog.models import ActorType, EventType, SecurityEvent
from tests.factories import CustomerFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

_FALLBACK = "Security event:"


def _event(event_type, customer, actor_type=ActorType.CUSTOMER, actor_id=""):
    return SecurityEvent(
        chain=f"customer:{customer.pk}",
        seq=1,
        customer=customer,
        actor_type=actor_type,
        actor_id=actor_id or str(customer.pk),
        event_type=event_type,
        occurred_at=timezone.now(),
        details={"case_id": 7, "amount": 10_000, "currency": "CNY", "scenario": "lost_phone"},
    )


@pytest.mark.parametrize("event_type", list(EventType))
def test_every_event_type_has_a_customer_sentence_in_both_languages(event_type):
    customer = CustomerFactory()
    event = _event(event_type, customer)
    context = EntryContext([event], customer_id=customer.pk)
    with translation.override("en"):
        english = sentence(event, context)
    with translation.override("zh-hans"):
        chinese = sentence(event, context)
    assert not english.startswith(_FALLBACK), event_type
    assert english and chinese
    assert chinese != english, f"{event_type} has no zh-Hans sentence"


@pytest.mark.parametrize(
    "event_type",
    [
        EventType.AGENT_VIEWED,
        EventType.SERVICE_SESSION_OPENED,
        EventType.SERVICE_SESSION_CLOSED,
        EventType.FREEZE_LIFT_REQUESTED,
        EventType.CALL_STARTED,
        EventType.CASE_CLAIMED,
    ],
)
def test_an_agents_act_names_the_agent_by_staff_number(event_type):
    customer = CustomerFactory()
    agent = StaffUserFactory(username="A10234")
    event = _event(event_type, customer, ActorType.AGENT, str(agent.pk))
    context = EntryContext([event], customer_id=customer.pk)
    with translation.override("zh-hans"):
        chinese = sentence(event, context)
    with translation.override("en"):
        english = sentence(event, context)
    assert "A10234" in chinese and "A10234" in english
    assert "95588" in chinese
