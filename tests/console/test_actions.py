# ruff: noqa: RUF001 - the pages are Chinese, punctuated with full-width marks as Chinese readers expect.
"""Every console action is asked first and done only when confirmed; done or refused, it says so in words."""

from datetime import timedelta

import pytest
from django.utils import timezone

from locks.agents.freezes import freeze_lift_request, remote_freeze_place
from locks.agents.sessions import service_session_open
from locks.models import FreezeLiftRequest, Hold, LockSettings, RemoteFreeze
from securitycenter.securitylog.record import Origin
from tests.console.conftest import ConsoleUser
from tests.factories import AuthorizationFactory, BankAccountFactory, CustomerFactory, ServiceClientFactory

pytestmark = pytest.mark.django_db


def _session(agent, customer):
    return service_session_open(
        agent=agent,
        customer_number=customer.customer_number,
        verification_method="sms_code",
        call_reference="CALL-7",
        reason="test",
        origin=Origin(),
    )


@pytest.fixture
def caller(db):
    customer = CustomerFactory(name="赵六")
    account = BankAccountFactory(customer=customer)
    return customer, account


@pytest.fixture
def signed_in_agent(console_agent):
    console_agent.sign_in()
    return console_agent


FREEZE = {"scope": "card_not_present", "reason_code": "suspected_fraud", "note": "", "expires_at": ""}


def test_a_freeze_is_asked_first_and_changes_nothing_until_confirmed(signed_in_agent, caller):
    customer, account = caller
    session = _session(signed_in_agent.user, customer)
    url = f"/console/sessions/{session.pk}/freeze"

    asked = signed_in_agent.post(url, FREEZE)
    assert asked.status_code == 200
    assert "请确认" in asked.content.decode()
    assert "立即冻结赵六所有账户和银行卡的“无卡支付（网上及快捷支付）”？原因：疑似被骗。" in asked.content.decode()
    assert not RemoteFreeze.objects.exists()

    done = signed_in_agent.post(url, {**FREEZE, "confirmed": "yes"})
    assert done.status_code == 302
    assert done["Location"] == f"/console/sessions/{session.pk}"
    assert LockSettings.objects.get(account=account).freeze_card_not_present
    page = signed_in_agent.get(done["Location"]).content.decode()
    assert "已冻结：赵六所有账户和银行卡的“无卡支付（网上及快捷支付）”，立即生效。" in page


def test_with_htmx_only_the_panel_comes_back(signed_in_agent, caller):
    customer, _ = caller
    session = _session(signed_in_agent.user, customer)
    response = signed_in_agent.post(f"/console/sessions/{session.pk}/freeze", FREEZE, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="panel-freeze"')
    assert "<html" not in body
    assert 'name="confirmed" value="yes"' in body


def test_an_expiry_is_read_as_beijing_time(signed_in_agent, caller):
    customer, _ = caller
    session = _session(signed_in_agent.user, customer)
    tomorrow = timezone.localtime(timezone.now() + timedelta(days=1), timezone=timezone.get_fixed_timezone(480))
    wall = tomorrow.strftime("%Y-%m-%dT%H:%M")
    signed_in_agent.post(f"/console/sessions/{session.pk}/freeze", {**FREEZE, "expires_at": wall, "confirmed": "yes"})
    freeze = RemoteFreeze.objects.get()
    assert abs((freeze.expires_at - tomorrow.replace(second=0, microsecond=0)).total_seconds()) < 1


def test_an_invalid_freeze_names_what_is_missing(signed_in_agent, caller):
    customer, _ = caller
    session = _session(signed_in_agent.user, customer)
    response = signed_in_agent.post(f"/console/sessions/{session.pk}/freeze", {**FREEZE, "scope": "channels"})
    assert response.status_code == 400
    assert "请选择要关闭的渠道。" in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_another_agents_session_is_refused_in_words(signed_in_agent, caller):
    customer, _ = caller
    other = ConsoleUser("agent")
    session = _session(other.user, customer)
    response = signed_in_agent.post(f"/console/sessions/{session.pk}/freeze", {**FREEZE, "confirmed": "yes"})
    assert response.status_code == 302
    page = signed_in_agent.get(response["Location"]).content.decode()
    assert "此服务会话不属于您或不存在。" in page
    assert not RemoteFreeze.objects.exists()


def test_a_held_transfer_of_another_customer_is_not_stopped(signed_in_agent, caller):
    customer, _ = caller
    session = _session(signed_in_agent.user, customer)
    stranger_account = BankAccountFactory()
    authorization = AuthorizationFactory(account=stranger_account, client=ServiceClientFactory(), outcome="hold")
    hold = Hold.objects.create(
        authorization=authorization,
        account=stranger_account,
        client=authorization.client,
        amount=authorization.amount,
        currency="CNY",
        release_at=timezone.now() + timedelta(hours=12),
    )
    response = signed_in_agent.post(
        f"/console/sessions/{session.pk}/hold-stop", {"hold_id": hold.pk, "reason": "疑似诈骗转账", "confirmed": "yes"}
    )
    assert response.status_code == 400
    assert "该笔冷静期转账不属于此客户。" in response.content.decode()
    hold.refresh_from_db()
    assert hold.status == Hold.Status.HELD


def test_a_supervisor_cannot_approve_their_own_request(console_supervisor, caller):
    customer, _ = caller
    console_supervisor.sign_in()
    session = _session(console_supervisor.user, customer)
    freeze = remote_freeze_place(
        agent=console_supervisor.user, customer=customer, scope="card_not_present", reason_code="other", origin=Origin()
    )
    lift = freeze_lift_request(
        agent=console_supervisor.user, session_id=session.pk, freeze_id=freeze.pk, reason="找回", origin=Origin()
    )
    page = console_supervisor.get("/console/approvals").content.decode()
    assert f'id="lift-{lift.pk}"' not in page
    assert "您本人的申请" in page
    response = console_supervisor.post(
        "/console/approvals/decide", {"request_id": lift.pk, "decision": "approve", "confirmed": "yes"}
    )
    assert response.status_code == 400
    assert "双人复核：您本人提出的申请须由他人审批。" in response.content.decode()
    lift.refresh_from_db()
    assert lift.status == FreezeLiftRequest.Status.PENDING


def test_the_console_speaks_english_when_asked(signed_in_agent, caller):
    customer, _ = caller
    session = _session(signed_in_agent.user, customer)
    signed_in_agent.post("/console/language", {"language": "en", "next": f"/console/sessions/{session.pk}"})
    asked = signed_in_agent.post(f"/console/sessions/{session.pk}/freeze", FREEZE).content.decode()
    assert "Freeze Card-not-present payments (online and quick pay) on every account and card of 赵六 now?" in asked
