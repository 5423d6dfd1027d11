# ruff: noqa: RUF001 - the pages are Chinese, punctuated with full-width marks as Chinese readers expect.
"""The console in a real browser (Playwright driving Debian's Chromium against Django's live server).

Each test writes its data first, then drives the browser, then checks the database: see
tests/support/browser.py for why the database is not touched while the browser runs.
"""

import json
import re
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.cases.services import case_open
from locks.models import Case, CaseWork, FreezeLiftRequest, RemoteFreeze
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor
from tests.factories import (
    DEFAULT_PASSWORD,
    BankAccountFactory,
    CustomerFactory,
    DeviceFactory,
    ServiceClientFactory,
    StaffUserFactory,
    staff_totp,
)
from tests.support.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, user, *, step_offset=0):
    page.goto("/console/sign-in")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(DEFAULT_PASSWORD)
    page.get_by_label("动态验证码").fill(staff_totp(step_offset=step_offset))
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#signed-in-as")).to_contain_text(user.username)


def authorize(base_url: str, raw_key: str, account_id: int, *, channel: str, number: int, amount=25_000) -> dict:
    """The payment core asks the live server for a decision, over HTTP as it does in production."""
    body = {
        "transaction_id": f"txn-console-{account_id}-{number}",
        "account_id": account_id,
        "amount": amount,
        "counterparty_account": "6217000011112222333",
        "transfer": channel == "online_transfer",
        "currency": "CNY",
        "channel": channel,
        "country": "CN",
        "initiated_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{base_url}/api/v1/authorizations",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"ApiKey {raw_key}"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
        return json.loads(response.read())


@pytest.fixture
def payment_core():
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    raw, _ = api_key_create(client=ServiceClientFactory())
    yield raw
    authorizations.caches_clear()
    hotpath.key_cache_clear()


def open_record(page: Page, customer):
    page.get_by_role("link", name="查找客户").click()
    page.get_by_label("查找方式").select_option("customer_number")
    page.get_by_label("来电人提供的信息").fill(customer.customer_number)
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#found")).to_contain_text(customer.name)
    page.get_by_label("来电人如何核实身份？").select_option("security_questions")
    page.get_by_label("通话编号").fill("CALL-20261202-0001")
    page.get_by_role("button", name="打开资料").click()
    expect(page.locator("#customer-name")).to_contain_text(customer.name)


def claim_and_open_record(page: Page, row, case, customer):
    """Claim the case from the queue (asked, then confirmed), and open the customer's record from the case."""
    row.get_by_role("button", name=f"领取工单 #{case.pk}").click()
    expect(page.locator("#panel-claim")).to_contain_text(f"领取张三的工单 #{case.pk}？")
    page.locator("#panel-claim").get_by_role("button", name="确认执行").click()
    expect(page.locator("#messages")).to_contain_text(f"工单 #{case.pk} 已由您领取")
    expect(page.locator("#case-status")).to_contain_text("您已领取")
    expect(page.get_by_label("来电人如何核实身份？")).to_have_value("outbound_call")
    page.get_by_label("通话编号").fill("CALL-20261202-0001")
    page.get_by_role("button", name="打开资料").click()
    expect(page.locator("#customer-name")).to_contain_text(customer.name)


def test_an_agent_freezes_card_not_present_and_the_next_such_payment_is_declined(live_server, payment_core):
    agent = StaffUserFactory(groups=["agent"])
    customer = CustomerFactory(name="张三")
    account = BankAccountFactory(customer=customer)
    case = case_open(
        kind=Case.Kind.INCIDENT,
        customer=customer,
        source="not_me",
        actor=Actor.customer(customer),
        reason="客户称有一笔网上支付不是本人所为",
        priority=Case.Priority.HIGH,
    )
    assert (
        authorize(live_server.url, payment_core, account.pk, channel="card_not_present", number=1)["decision"]
        == "approve"
    )

    with browser_page(live_server.url, name="freeze") as page:
        sign_in(page, agent)
        expect(page.locator("#roles")).to_contain_text("坐席")
        row = page.locator(f"#case-{case.pk}")
        expect(row).to_contain_text("张三")
        claim_and_open_record(page, row, case, customer)

        freeze = page.locator("#panel-freeze")
        freeze.get_by_label("无卡支付（网上及快捷支付）").check()
        freeze.get_by_label("原因").select_option("suspected_fraud")
        freeze.get_by_role("button", name="冻结…").click()
        # The question replaces the panel (htmx) and says, in words, what will happen.
        expect(freeze).to_contain_text("立即冻结张三所有账户和银行卡的“无卡支付（网上及快捷支付）”？")
        freeze.get_by_role("button", name="确认执行").click()
        expect(page.locator("#messages")).to_contain_text(
            "已冻结：张三所有账户和银行卡的“无卡支付（网上及快捷支付）”，立即生效。"
        )
        expect(page.locator("#accounts")).to_contain_text("无卡支付")

        answer = authorize(live_server.url, payment_core, account.pk, channel="card_not_present", number=2)
        assert answer["decision"] == "decline"
        assert "card_not_present_frozen" in [r["code"] for r in answer["reasons"]]

    assert CaseWork.objects.get(case=case).claimed_by == agent
    freeze_row = RemoteFreeze.objects.get(customer=customer)
    assert freeze_row.scope == RemoteFreeze.Scope.CARD_NOT_PRESENT
    assert freeze_row.placed_by == agent
    assert SecurityEvent.objects.filter(event_type=EventType.AGENT_VIEWED, customer=customer).exists()


def test_an_agent_calls_the_customer_of_a_claimed_case_and_records_the_outcome(live_server):
    agent = StaffUserFactory(groups=["agent"])
    device = DeviceFactory()
    customer = device.customer
    case = case_open(
        kind=Case.Kind.INCIDENT,
        customer=customer,
        source="not_me",
        actor=Actor.customer(customer),
        reason="客户称有一笔支付不是本人所为",
        priority=Case.Priority.HIGH,
    )
    token = auth_token_issue(customer=customer, device=device, ip_address=None).raw
    headers = {"Authorization": f"Bearer {token}", "X-Device-Id": str(device.device_id)}

    def calling() -> dict:
        request = urllib.request.Request(f"{live_server.url}/api/v1/call-status", headers=headers)  # noqa: S310
        with urllib.request.urlopen(request, timeout=20) as response:  # noqa: S310
            return json.loads(response.read())

    assert calling()["calling"] is False
    with browser_page(live_server.url, name="outcome") as page:
        sign_in(page, agent)
        page.locator(f"#case-{case.pk}").get_by_role("button", name=f"领取工单 #{case.pk}").click()
        page.locator("#panel-claim").get_by_role("button", name="确认执行").click()
        expect(page.locator("#case-status")).to_contain_text("您已领取")

        page.locator("#panel-case_call").get_by_role("button", name="开始通话…").click()
        page.locator("#panel-case_call").get_by_role("button", name="确认执行").click()
        expect(page.locator("#messages")).to_contain_text("通话已开始")
        status = calling()
        assert status["calling"] is True
        expect(page.locator("#live-call")).to_contain_text(status["code"])

        outcome = page.locator("#panel-outcome")
        outcome.get_by_label("客户确认该笔交易是本人所为").check()
        outcome.get_by_label("备注").fill("客户本人确认")
        outcome.get_by_role("button", name="记录…").click()
        expect(outcome).to_contain_text(f"为工单 #{case.pk} 记录结果：“客户确认该笔交易是本人所为”？")
        outcome.get_by_role("button", name="确认执行").click()
        expect(page.locator("#messages")).to_contain_text("已记录：客户已确认。工单已关闭。")
        expect(page.locator("#case-status")).to_contain_text("已关闭")

    work = CaseWork.objects.get(case=case)
    assert work.outcome == CaseWork.Outcome.CONFIRMED
    assert Case.objects.get(pk=case.pk).status == Case.Status.CLOSED


def test_a_supervisor_approves_an_unfreeze_another_agent_asked_for(live_server, payment_core):
    from locks.agents.freezes import freeze_lift_request, remote_freeze_place
    from locks.agents.sessions import service_session_open
    from securitycenter.securitylog.record import Origin

    agent = StaffUserFactory(groups=["agent"])
    supervisor = StaffUserFactory(groups=["supervisor"])
    customer = CustomerFactory(name="李四")
    account = BankAccountFactory(customer=customer)
    session = service_session_open(
        agent=agent,
        customer_number=customer.customer_number,
        verification_method="sms_code",
        call_reference="CALL-1",
        reason="lost phone",
        origin=Origin(),
    )
    freeze = remote_freeze_place(
        agent=agent, customer=customer, scope="card_not_present", reason_code="lost_phone", origin=Origin()
    )
    lift = freeze_lift_request(
        agent=agent, session_id=session.pk, freeze_id=freeze.pk, reason="客户已找回手机", origin=Origin()
    )

    with browser_page(live_server.url, name="approve") as page:
        sign_in(page, supervisor)
        expect(page.locator("#roles")).to_contain_text("主管")
        page.get_by_role("link", name="待审批").click()
        row = page.locator(f"#lift-{lift.pk}")
        expect(row).to_contain_text("李四")
        expect(row).to_contain_text("客户已找回手机")
        row.get_by_label("备注").fill("已回拨核实")
        row.get_by_role("button", name="批准…").click()
        expect(row).to_contain_text("按工号")
        row.get_by_role("button", name="确认执行").click()
        expect(page.locator("#messages")).to_contain_text("已批准：李四的“无卡支付（网上及快捷支付）”冻结已解除")
        expect(page.locator("#approvals")).to_have_count(0)
        answer = authorize(live_server.url, payment_core, account.pk, channel="card_not_present", number=3)
        assert answer["decision"] == "approve"

    lift.refresh_from_db()
    assert lift.status == FreezeLiftRequest.Status.APPROVED
    assert lift.decided_by == supervisor


def test_an_agent_cannot_open_the_approvals_page(live_server):
    agent = StaffUserFactory(groups=["agent"])

    with browser_page(live_server.url, name="agent-approvals") as page:
        sign_in(page, agent)
        expect(page.get_by_role("link", name="待审批")).to_have_count(0)
        response = page.goto("/console/approvals")
        assert response.status == 403
        expect(page.get_by_role("heading", name="您的角色无权访问")).to_be_visible()


def test_a_customer_token_cannot_open_the_console(live_server):
    device = DeviceFactory()
    raw = auth_token_issue(customer=device.customer, device=device, ip_address=None).raw

    with browser_page(live_server.url, name="customer-token") as page:
        page.set_extra_http_headers({"Authorization": f"Bearer {raw}", "X-Device-Id": str(device.device_id)})
        response = page.goto("/console/")
        assert re.search(r"/console/sign-in\?next=/console/$", page.url)
        assert response.status == 200  # the sign-in page, after the redirect
        expect(page.get_by_role("heading", name="员工登录")).to_be_visible()
        expect(page.locator("#signed-in-as")).to_have_count(0)


def test_sign_in_by_keyboard_alone(live_server):
    agent = StaffUserFactory(groups=["agent"])

    with browser_page(live_server.url, name="keyboard") as page:
        page.goto("/console/sign-in")
        page.keyboard.press("Tab")  # the skip link comes first
        expect(page.get_by_role("link", name="跳到主要内容")).to_be_focused()
        page.get_by_label("用户名").focus()
        page.keyboard.type(agent.username)
        page.keyboard.press("Tab")
        page.keyboard.type(DEFAULT_PASSWORD)
        page.keyboard.press("Tab")
        page.keyboard.type(staff_totp())
        page.keyboard.press("Enter")
        expect(page.locator("#signed-in-as")).to_contain_text(agent.username)
        # English, by keyboard too: choose it in the labelled list, then the button next to it.
        page.get_by_label("语言").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Call-back queue")).to_be_visible()
        expect(page.locator("html")).to_have_attribute("lang", "en")
