import pytest
from rest_framework.test import APIClient

from locks.cases.selectors import cases_open_queue, customer_cases
from locks.cases.services import case_close, case_open
from locks.models import Case
from securitycenter.errors import Conflict, NotFound
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor
from tests.factories import CustomerFactory
from tests.support.callers import wrong_callers
from tests.support.race import errors_of, run_at_once

pytestmark = pytest.mark.django_db


def _open(customer, **kw):
    defaults = {"kind": Case.Kind.INCIDENT, "source": "test", "actor": Actor.customer(customer)}
    return case_open(customer=customer, **{**defaults, **kw})


def test_open_is_logged_with_what_opened_it():
    customer = CustomerFactory()
    case = _open(customer, reason="not me", priority=Case.Priority.HIGH)
    assert case.status == Case.Status.OPEN and case.opened_at is not None
    event = SecurityEvent.objects.get(event_type=EventType.CASE_OPENED)
    assert event.customer_id == customer.pk
    assert event.details["case_id"] == case.pk
    assert event.details["kind"] == "incident" and event.details["priority"] == Case.Priority.HIGH


def test_dedupe_key_returns_the_open_case_and_raises_its_priority():
    customer = CustomerFactory()
    first = _open(customer, dedupe_key="emergency:x", priority=Case.Priority.HIGH)
    second = _open(customer, dedupe_key="emergency:x", priority=Case.Priority.URGENT)
    assert second.pk == first.pk and second.priority == Case.Priority.URGENT
    assert Case.objects.count() == 1
    assert SecurityEvent.objects.filter(event_type=EventType.CASE_OPENED).count() == 1
    # Once closed, the same key opens a new case: a new emergency is a new call-back.
    case_close(case_id=first.pk, actor=Actor.system("test"), resolution="called back")
    assert _open(customer, dedupe_key="emergency:x").pk != first.pk


def test_a_different_customer_never_shares_a_deduplicated_case():
    a, b = CustomerFactory(), CustomerFactory()
    assert _open(a, dedupe_key="k").pk != _open(b, dedupe_key="k").pk


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_opens_with_one_key_make_one_case():
    customer = CustomerFactory()
    results = run_at_once(4, lambda i: _open(customer, dedupe_key="race").pk)
    assert not errors_of(results)
    assert Case.objects.filter(customer=customer).count() == 1


def test_close_is_logged_once_and_twice_is_a_conflict():
    customer = CustomerFactory()
    case = _open(customer)
    closed = case_close(case_id=case.pk, actor=Actor.system("test"), resolution="customer confirmed")
    assert closed.status == Case.Status.CLOSED and closed.closed_at is not None
    assert closed.closed_by == "system:test"
    with pytest.raises(Conflict):
        case_close(case_id=case.pk, actor=Actor.system("test"), resolution="again")
    assert SecurityEvent.objects.filter(event_type=EventType.CASE_CLOSED).count() == 1


def test_close_for_a_customer_refuses_another_customers_case():
    case = _open(CustomerFactory())
    with pytest.raises(NotFound):
        case_close(case_id=case.pk, actor=Actor.system("t"), resolution="x", customer=CustomerFactory())
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN


def test_queue_is_most_urgent_first_then_oldest():
    customer = CustomerFactory()
    normal = _open(customer)
    urgent = _open(customer, priority=Case.Priority.URGENT, dedupe_key="u")
    older_high = _open(customer, priority=Case.Priority.HIGH, dedupe_key="h1")
    newer_high = _open(customer, priority=Case.Priority.HIGH, dedupe_key="h2")
    closed = _open(customer, priority=Case.Priority.URGENT, dedupe_key="c")
    case_close(case_id=closed.pk, actor=Actor.system("t"), resolution="done")
    assert [c.pk for c in cases_open_queue()] == [urgent.pk, older_high.pk, newer_high.pk, normal.pk]
    assert [c.pk for c in customer_cases(customer=customer, status="closed")] == [closed.pk]


def test_customer_lists_and_reads_only_their_own_cases(session, other_session):
    mine = _open(session.customer)
    theirs = _open(other_session.customer)
    body = session.client.get("/api/v1/cases").json()
    assert [c["id"] for c in body["results"]] == [mine.pk]
    assert body["results"][0]["priority"] == "normal" and body["results"][0]["kind"] == "incident"
    assert session.client.get(f"/api/v1/cases/{mine.pk}").status_code == 200
    assert session.client.get(f"/api/v1/cases/{theirs.pk}").status_code == 404


def test_case_list_filter_and_bad_input(session):
    _open(session.customer)
    assert session.client.get("/api/v1/cases?status=closed").json()["results"] == []
    response = session.client.get("/api/v1/cases?status=bogus")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "status"
    response = session.client.get("/api/v1/cases?cursor=not-a-cursor")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "cursor"


def test_case_endpoints_refuse_everybody_but_customers(db):
    for name, headers in wrong_callers().items():
        for path in ("/api/v1/cases", "/api/v1/cases/1"):
            status = APIClient().get(path, **headers).status_code
            assert status == (401 if name == "anonymous" else 403), (name, path, status)
