# ruff: noqa: RUF001 - Chinese text is punctuated with full-width marks, as Chinese readers expect.
"""What each notification says, in zh-Hans and en.

`TEMPLATES[name][language]` is a `(subject, body)` pair of `str.format` strings. Params are stored as
JSON on the notification, so callers pass display-ready values: `amount_display()` for money and
`time_display()` for a moment in the customer's own time zone.

Every message about a change the customer may not have made ends with what to do if it wasn't them:
call 95588. No message ever carries a full account number: callers pass the masked one.
"""

import logging
import string
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

DEFAULT_LANGUAGE = "zh-Hans"

_ANTI_FRAUD_ZH = "公安、法院、银行等任何正规机构都不会要求您紧急转账；如有人这样要求，请立即停止操作并致电95588。"
_ANTI_FRAUD_EN = (
    "Nobody legitimate — police, bank, courts — will ask you to move money urgently; "
    "if someone does, stop and call 95588."
)

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    # Sign-in and one-time passwords.
    "otp_sms_code": {
        "zh-Hans": (
            "验证码",
            "您的验证码为{code}，{minutes}分钟内有效。请勿告诉任何人，银行工作人员不会向您索要验证码。",
        ),
        "en": (
            "Your security code",
            "Your security code is {code}. It expires in {minutes} minutes. "
            "Never share it: bank staff will never ask you for it.",
        ),
    },
    "login_new_device": {
        "zh-Hans": ("新设备登录", "您的账户刚刚在新设备“{device_name}”上登录。如非本人操作，请立即致电95588。"),
        "en": (
            "Sign-in from a new device",
            'Your account was just signed in on a new device, "{device_name}". If this wasn\'t you, call 95588 now.',
        ),
    },
    "login_locked_out": {
        "zh-Hans": (
            "登录已暂时锁定",
            "由于多次登录失败，您的账户登录已被锁定{minutes}分钟。如非本人操作，请致电95588。",
        ),
        "en": (
            "Sign-in temporarily locked",
            "After several failed sign-in attempts, sign-in to your account is locked for {minutes} minutes. "
            "If this wasn't you, call 95588.",
        ),
    },
    "otp_device_added": {
        "zh-Hans": (
            "已绑定动态口令",
            "您的账户已绑定新的动态口令（验证器）“{device_name}”。如非本人操作，请立即致电95588。",
        ),
        "en": (
            "Authenticator added",
            'A new authenticator, "{device_name}", was added to your account. If this wasn\'t you, call 95588 now.',
        ),
    },
    "otp_device_removed": {
        "zh-Hans": (
            "已解绑动态口令",
            "您的账户已解绑动态口令（验证器）“{device_name}”。如非本人操作，请立即致电95588。",
        ),
        "en": (
            "Authenticator removed",
            'The authenticator "{device_name}" was removed from your account. If this wasn\'t you, call 95588 now.',
        ),
    },
    # Account safety locks.
    "lock_changed": {
        "zh-Hans": ("安全锁已更新", "账户{account}的安全锁已更新：{summary}。"),
        "en": ("Safety locks changed", "The safety locks on {account} were changed: {summary}."),
    },
    "loosening_pending": {
        "zh-Hans": (
            "安全锁放宽待生效",
            "您申请放宽账户{account}的安全锁：{summary}，将于{effective_at}生效。"
            "如非本人操作，请在生效前取消并致电95588。",
        ),
        "en": (
            "Safety locks will be loosened",
            "You asked to loosen the safety locks on {account}: {summary}. This takes effect at {effective_at}. "
            "If this wasn't you, cancel it before then and call 95588.",
        ),
    },
    "loosening_applied": {
        "zh-Hans": ("安全锁已放宽", "账户{account}的安全锁已放宽：{summary}。如非本人操作，请立即致电95588。"),
        "en": (
            "Safety locks loosened",
            "The safety locks on {account} are now looser: {summary}. If this wasn't you, call 95588 now.",
        ),
    },
    "travel_window_ending": {
        "zh-Hans": ("出行交易区域即将结束", "账户{account}的出行交易区域将于{ends_at}结束，届时恢复原交易区域设置。"),
        "en": (
            "Travel region ending",
            "The travel region on {account} ends at {ends_at}; your usual transaction regions apply again after that.",
        ),
    },
    # Freezes.
    "freeze_placed": {
        "zh-Hans": ("功能已冻结", "账户{account}的以下功能已冻结：{scope}。如有疑问，请致电95588。"),
        "en": (
            "Features frozen",
            "These features of {account} are frozen: {scope}. If you have questions, call 95588.",
        ),
    },
    "freeze_lifted": {
        "zh-Hans": ("冻结已解除", "账户{account}的冻结已解除：{scope}。如非本人申请，请立即致电95588。"),
        "en": (
            "Freeze lifted",
            "The freeze on {account} was lifted: {scope}. If you didn't ask for this, call 95588 now.",
        ),
    },
    # 95588 staff acting for the customer (i10): the message names the agent, so a customer who never
    # called can tell at once that somebody else did.
    "agent_freeze_placed": {
        "zh-Hans": (
            "95588客服已为您冻结功能",
            "95588客服（工号{agent}）应您的来电冻结了{accounts}的以下功能：{scope}（原因：{reason}）。{until}"
            "解除冻结需在手机银行中输入验证码，或由客服主管复核。如您没有致电95588，请立即致电95588。",
        ),
        "en": (
            "95588 froze features for you",
            "95588 agent {agent} froze these features of {accounts} on your call: {scope} (reason: {reason}). "
            "{until}Lifting it takes a one-time password in the app, or a supervisor's review. If you did not "
            "call 95588, call 95588 now.",
        ),
    },
    "agent_freeze_lifted": {
        "zh-Hans": (
            "冻结已解除",
            "95588客服此前为{accounts}设置的冻结已解除：{scope}（{how}）。如非本人申请，请立即致电95588。",
        ),
        "en": (
            "Freeze lifted",
            "The freeze 95588 placed on {accounts} was lifted: {scope} ({how}). If you didn't ask for this, "
            "call 95588 now.",
        ),
    },
    "review_declined": {
        "zh-Hans": (
            "交易未通过复核",
            "您的一笔{amount}的交易未能通过人工复核，已被拒绝，额度已退回。" + _ANTI_FRAUD_ZH,
        ),
        "en": (
            "Payment not approved",
            "A payment of {amount} did not pass the bank's review and was declined; the amount is back within "
            "your limits. " + _ANTI_FRAUD_EN,
        ),
    },
    "fraud_confirmed_lesson": {
        "zh-Hans": (
            "我们已为您止付并冻结转出",
            "95588已确认这是一起诈骗：相关交易已止付，所有转出交易已冻结。请在手机银行“安全课堂”阅读：{lesson_id}。"
            + _ANTI_FRAUD_ZH,
        ),
        "en": (
            "We stopped the payment and froze outgoing transfers",
            "95588 confirmed this was fraud: the payment is stopped and outgoing transfers are frozen. Read the "
            "lesson in the app's security centre: {lesson_id}. " + _ANTI_FRAUD_EN,
        ),
    },
    "fake_call_reported": {
        "zh-Hans": (
            "已收到您的举报",
            "我们已收到您关于冒充95588来电的举报（编号{case_id}），客服将尽快与您联系。" + _ANTI_FRAUD_ZH,
        ),
        "en": (
            "Thank you for your report",
            "We have your report of a call pretending to be 95588 (case {case_id}); an agent will contact you. "
            + _ANTI_FRAUD_EN,
        ),
    },
    # Authorization decisions.
    "authorization_declined": {
        "zh-Hans": ("交易被拒绝", "账户{account}一笔{amount}的交易未通过：{reasons}。{how_to_change}"),
        "en": (
            "Payment declined",
            "A payment of {amount} from {account} was declined: {reasons}. {how_to_change}",
        ),
    },
    # Trusted contacts.
    "trusted_contact_code": {
        "zh-Hans": (
            "信任联系人验证",
            "{name}希望将您设为其银行账户的信任联系人。如您同意，请把验证码{code}告诉对方本人。"
            "此后对方放宽账户安全设置时，需经您确认。",
        ),
        "en": (
            "Trusted contact",
            "{name} would like you as the trusted contact for their bank account. If you agree, give them "
            "this code yourself: {code}. From then on, loosening their account protection needs your confirmation.",
        ),
    },
    "trusted_confirmation_request": {
        "zh-Hans": (
            "请确认",
            "{name}申请{action}（{summary}），需要您确认：{link} 如果对方正在被人催促、在通话中被指导操作，"
            "或您有任何疑问，请拒绝并给对方打电话。",
        ),
        "en": (
            "Please confirm",
            "{name} asks to {action} ({summary}) and needs your confirmation: {link} If they are being "
            "pressed, told what to do on a call, or you are unsure, refuse and phone them.",
        ),
    },
    "trusted_confirmation_decided": {
        "zh-Hans": (
            "信任联系人已答复",
            "您的信任联系人对您的申请（{action}）的答复：{status}。如非本人操作，请致电95588。",
        ),
        "en": (
            "Your trusted contact answered",
            "Your trusted contact's answer to your request ({action}): {status}. If this wasn't you, call 95588.",
        ),
    },
    # Cooling-off holds on large transfers.
    "hold_placed": {
        "zh-Hans": (
            "转账进入冷静期",
            "您的一笔{amount}的转账已进入冷静期，将于{release_at}放行，在此之前您可随时取消。" + _ANTI_FRAUD_ZH,
        ),
        "en": (
            "Transfer on hold",
            "Your transfer of {amount} is in a cooling-off period and will be released at {release_at}; "
            "you can cancel it until then. " + _ANTI_FRAUD_EN,
        ),
    },
    "hold_release_soon": {
        "zh-Hans": (
            "转账即将放行",
            "您的一笔{amount}的转账将于{release_at}放行。如果您是按他人指示转账，请立即取消。" + _ANTI_FRAUD_ZH,
        ),
        "en": (
            "Transfer about to be released",
            "Your transfer of {amount} will be released at {release_at}. "
            "If someone told you to make it, cancel it now. " + _ANTI_FRAUD_EN,
        ),
    },
    "hold_released": {
        "zh-Hans": ("转账已放行", "您的一笔{amount}的转账已放行。"),
        "en": ("Transfer released", "Your transfer of {amount} has been released."),
    },
    "hold_cancelled": {
        "zh-Hans": ("转账已取消", "您的一笔{amount}的转账已取消，资金未转出。"),
        "en": ("Transfer cancelled", "Your transfer of {amount} was cancelled; the money did not leave your account."),
    },
    "hold_stopped": {
        "zh-Hans": (
            "转账已止付",
            "经银行核实，您的一笔{amount}的转账已被止付，资金未转出。如有疑问，请致电95588。",
        ),
        "en": (
            "Transfer stopped",
            "After checking with you, the bank stopped your transfer of {amount}; the money did not leave "
            "your account. If you have questions, call 95588.",
        ),
    },
    # The customer's security center.
    "emergency_applied": {
        "zh-Hans": (
            "应急处理已生效",
            "已为您执行应急处理“{scenario}”：{summary}如需恢复，请在应用内验证身份后解除，或致电95588。",
        ),
        "en": (
            "Emergency protection is on",
            'We applied the emergency protection "{scenario}": {summary} To lift it, confirm your identity in '
            "the app or call 95588.",
        ),
    },
    "not_me_reported": {
        "zh-Hans": (
            "已收到您的“非本人操作”报告",
            "您报告了一条非本人操作的记录（{entry}）。我们已为您处理：{summary}95588将与您联系。",
        ),
        "en": (
            "We received your report",
            "You reported an entry that wasn't you ({entry}). What we did: {summary} 95588 will call you back.",
        ),
    },
    "self_check_finding": {
        "zh-Hans": ("安全检测发现风险", "安全检测发现一项高风险问题：{title}。请打开应用的安全中心查看并修复。"),
        "en": (
            "Security check found a risk",
            "The security check found a high-risk issue: {title}. Open the security center in the app to fix it.",
        ),
    },
}


# Params that are secrets: delivery overwrites them once the notification is sent or has failed, so the
# row does not keep a usable code (the outbox row of the recording backend is the demo's phone screen).
SECRET_PARAMS = frozenset({"code"})


class RenderedText(NamedTuple):
    subject: str
    body: str


class UnknownTemplate(LookupError):
    pass


class _LenientFormatter(string.Formatter):
    """Leaves a missing param blank: a half-filled security alert still beats no alert at all."""

    def __init__(self) -> None:
        self.missing: set[str] = set()

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        self.missing.add(str(key))
        return ""

    def format_field(self, value: Any, format_spec: str) -> str:
        try:
            return super().format_field(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


def notification_render(*, template: str, language: str, params: Mapping[str, Any]) -> RenderedText:
    """The subject and body of `template` in `language` (zh-Hans when there is no such translation)."""
    try:
        translations = TEMPLATES[template]
    except KeyError:
        raise UnknownTemplate(template) from None
    subject, body = translations.get(language) or translations[DEFAULT_LANGUAGE]
    formatter = _LenientFormatter()
    rendered = RenderedText(formatter.vformat(subject, (), params), formatter.vformat(body, (), params))
    if formatter.missing:
        # Names only: the values may be codes.
        logger.warning("notification template %s rendered without params: %s", template, sorted(formatter.missing))
    return rendered


# ISO 4217 minor-unit exponents that differ from the usual 2.
_MINOR_UNIT_EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}


def amount_display(amount: int, currency: str) -> str:
    """An integer amount in minor units as people read it: amount_display(500000, "CNY") == "CNY 5,000.00"."""
    exponent = _MINOR_UNIT_EXPONENTS.get(currency.upper(), 2)
    major, minor = divmod(abs(amount), 10**exponent)
    sign = "-" if amount < 0 else ""
    text = f"{major:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    return f"{currency.upper()} {sign}{text}"


def time_display(moment: datetime, time_zone: str) -> str:
    """A moment in the customer's own time zone, e.g. "2025-03-01 14:05 (Asia/Shanghai)"."""
    return f"{moment.astimezone(ZoneInfo(time_zone)):%Y-%m-%d %H:%M} ({time_zone})"
