# ruff: noqa: RUF001 - the pages are Chinese, punctuated with full-width marks as Chinese readers expect.
"""The README's pictures of the console, taken with the demo data (`manage.py seed_demo`) and a few cases.

Run by the suite like every browser test (the pictures go to var/console-screenshots/); to refresh the ones in
docs/console/ run `scripts/console_screenshots.sh`.
"""

import os
from io import StringIO
from pathlib import Path

import pyotp
import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from accounts.management.commands.seed_demo import DEMO_API_KEY, STAFF_PASSWORD, STAFF_TOTP_SECRET
from accounts.models import BankAccount, Customer
from locks.authorizations import context as authorizations
from locks.authorizations import views as hotpath
from locks.cases.services import case_open
from locks.models import Case, Hold
from securitycenter.securitylog.record import Actor
from tests.console.test_browser import authorize
from tests.support.browser import browser_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OUT = Path(
    os.environ.get("CONSOLE_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "var" / "console-screenshots"
)


def _scene(base_url: str, settings) -> Customer:
    settings.DEBUG = True  # seed_demo refuses to run otherwise; the pages are then served as in production
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False
    authorizations.caches_clear()
    hotpath.key_cache_clear()
    zhang = Customer.objects.get(customer_number="C000000001")
    wang = Customer.objects.get(customer_number="C000000003")
    li = Customer.objects.get(customer_number="C000000002")
    debit = BankAccount.objects.filter(customer=zhang, kind=BankAccount.Kind.DEBIT_CARD).first()
    # A large transfer to a new payee: held for cooling-off, and a call-back case about it.
    held = authorize(base_url, DEMO_API_KEY, debit.pk, channel="online_transfer", number=1, amount=8_800_000)
    assert held["decision"] == "hold", held
    hold = Hold.objects.get(authorization__transaction_id=held["transaction_id"])
    case_open(
        kind=Case.Kind.HOLD_CALLBACK,
        customer=zhang,
        source="hold",
        actor=Actor.system("holds"),
        reason="大额转账进入冷静期：向新收款人转账 88,000 元",
        priority=Case.Priority.URGENT,
        account=debit,
        hold=hold,
    )
    case_open(
        kind=Case.Kind.FAKE_CALL,
        customer=wang,
        source="fake_call_report",
        actor=Actor.customer(wang),
        reason="客户报告有人冒充银行来电，要求其转账到“安全账户”",
        priority=Case.Priority.HIGH,
    )
    case_open(
        kind=Case.Kind.INCIDENT,
        customer=li,
        source="not_me",
        actor=Actor.customer(li),
        reason="The customer says a card payment last night was not theirs",
    )
    return zhang


def test_screenshots_of_the_queue_and_the_customer_view(live_server, settings):
    zhang = _scene(live_server.url, settings)
    debit = BankAccount.objects.filter(customer=zhang, kind=BankAccount.Kind.DEBIT_CARD).first()
    OUT.mkdir(parents=True, exist_ok=True)

    with browser_page(live_server.url, name="screenshots", width=1360, height=900) as page:
        page.goto("/console/sign-in")
        page.get_by_label("用户名").fill("agent")
        page.get_by_label("密码").fill(STAFF_PASSWORD)
        page.get_by_label("动态验证码").fill(pyotp.TOTP(STAFF_TOTP_SECRET).now())
        page.get_by_role("button", name="登录").click()
        expect(page.locator("#queue tbody tr")).to_have_count(3)
        page.screenshot(path=str(OUT / "queue.png"), full_page=True)

        page.get_by_role("link", name="查找客户").click()
        page.get_by_label("来电人提供的信息").fill(zhang.customer_number)
        page.get_by_role("button", name="查找").click()
        page.get_by_label("来电人如何核实身份？").select_option("outbound_call")
        page.get_by_label("通话编号").fill("CALL-20261202-0088")
        page.get_by_role("button", name="打开资料").click()
        freeze = page.locator("#panel-freeze")
        freeze.get_by_role("button", name="冻结…").click()
        freeze.get_by_role("button", name="确认执行").click()
        expect(page.locator("#messages")).to_contain_text("已冻结")
        declined = authorize(live_server.url, DEMO_API_KEY, debit.pk, channel="card_not_present", number=2)
        assert declined["decision"] == "decline"
        page.reload()
        expect(page.locator("#declines")).to_be_visible()
        page.screenshot(path=str(OUT / "customer.png"), full_page=True)
