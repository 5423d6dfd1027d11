# ruff: noqa: RUF001  (Chinese text uses full-width punctuation, as it should)
"""Reason codes for authorization decisions, each with a short message in zh-Hans and en.

The messages speak to the customer: what happened and, where a lock of theirs caused it, where to change it.
No Django, no I/O: the decision engine and the hot path import this module.
"""

from collections.abc import Iterable
from enum import StrEnum
from typing import Final


class Reason(StrEnum):
    """Reason codes, in the order a decision lists them: the deciding, most fundamental reason first."""

    # The phone says a scam is in progress (device signals): the first thing the customer must hear.
    SCREEN_SHARING = "screen_sharing"
    REMOTE_CONTROL = "remote_control"
    DEVICE_INTEGRITY_FAILED = "device_integrity_failed"
    ACCOUNT_FROZEN = "account_frozen"
    CARD_NOT_PRESENT_FROZEN = "card_not_present_frozen"
    PAYEE_HIGH_RISK = "payee_high_risk"
    CHANNEL_OFF = "channel_off"
    CROSS_BORDER_OFF = "cross_border_off"
    REGION_NOT_ALLOWED = "region_not_allowed"
    OUTSIDE_ALLOWED_TIME = "outside_allowed_time"
    CURRENCY_MISMATCH = "currency_mismatch"
    OVER_PER_TRANSACTION_LIMIT = "over_per_transaction_limit"
    OVER_BANK_PER_TRANSACTION_LIMIT = "over_bank_per_transaction_limit"
    OVER_DAILY_LIMIT = "over_daily_limit"
    OVER_BANK_DAILY_LIMIT = "over_bank_daily_limit"
    OVER_MONTHLY_LIMIT = "over_monthly_limit"
    OVER_BANK_MONTHLY_LIMIT = "over_bank_monthly_limit"
    OVER_CHANNEL_PER_TRANSACTION_LIMIT = "over_channel_per_transaction_limit"
    OVER_CHANNEL_DAILY_LIMIT = "over_channel_daily_limit"
    OVER_CHANNEL_MONTHLY_LIMIT = "over_channel_monthly_limit"
    PAYEE_MEDIUM_RISK = "payee_medium_risk"
    UNKNOWN_CALLER_NEW_PAYEE = "unknown_caller_new_payee"
    PROTECTED_NEW_PAYEE = "protected_new_payee"
    NEW_DEVICE_NEW_PAYEE = "new_device_new_payee"
    COOLING_OFF = "cooling_off"
    NEW_PAYEE_COOLING_OFF = "new_payee_cooling_off"
    SERVICE_DEGRADED = "service_degraded"


# Reasons a customer can remove by changing their own locks: a decline for one of these is logged and
# the customer is told how to change the lock.
CUSTOMER_LOCK_REASONS: Final[frozenset[Reason]] = frozenset(
    {
        Reason.ACCOUNT_FROZEN,
        Reason.CARD_NOT_PRESENT_FROZEN,
        Reason.CHANNEL_OFF,
        Reason.CROSS_BORDER_OFF,
        Reason.REGION_NOT_ALLOWED,
        Reason.OUTSIDE_ALLOWED_TIME,
        Reason.OVER_PER_TRANSACTION_LIMIT,
        Reason.OVER_DAILY_LIMIT,
        Reason.OVER_MONTHLY_LIMIT,
        Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT,
        Reason.OVER_CHANNEL_DAILY_LIMIT,
        Reason.OVER_CHANNEL_MONTHLY_LIMIT,
    }
)

# What each outcome may carry: a decision lists only reasons of its own outcome.
HOLD_REASONS: Final[frozenset[Reason]] = frozenset(
    {
        Reason.PAYEE_MEDIUM_RISK,
        Reason.UNKNOWN_CALLER_NEW_PAYEE,
        Reason.PROTECTED_NEW_PAYEE,
        Reason.NEW_DEVICE_NEW_PAYEE,
        Reason.COOLING_OFF,
        Reason.NEW_PAYEE_COOLING_OFF,
    }
)
REVIEW_REASONS: Final[frozenset[Reason]] = frozenset({Reason.PAYEE_MEDIUM_RISK})
DECLINE_REASONS: Final[frozenset[Reason]] = frozenset(Reason) - HOLD_REASONS
# Declines for what the phone reported: announced to the customer (hang up) though no lock of theirs caused them.
SIGNAL_DECLINE_REASONS: Final[frozenset[Reason]] = frozenset(
    {Reason.SCREEN_SHARING, Reason.REMOTE_CONTROL, Reason.DEVICE_INTEGRITY_FAILED}
)
# A hold for one of these also opens a call-back case: a person calls the customer before the money leaves.
CALL_BACK_REASONS: Final[frozenset[Reason]] = frozenset({Reason.UNKNOWN_CALLER_NEW_PAYEE, Reason.PROTECTED_NEW_PAYEE})
# The lesson (by its stable id in the lesson catalogue, locks/lessons) that explains the scam behind a reason.
LESSONS: Final[dict[Reason, str]] = {
    Reason.SCREEN_SHARING: "screen_sharing",
    Reason.REMOTE_CONTROL: "remote_control_apps",
    Reason.DEVICE_INTEGRITY_FAILED: "remote_control_apps",
    Reason.UNKNOWN_CALLER_NEW_PAYEE: "fake_bank_call",
    Reason.PROTECTED_NEW_PAYEE: "fake_customer_service_membership",
    Reason.NEW_DEVICE_NEW_PAYEE: "sms_code_requests",
}
REASON_ORDER: Final[dict[Reason, int]] = {reason: i for i, reason in enumerate(Reason)}

_NO_URGENCY_ZH = "任何正规机构都不会要求您紧急转账。"
_NO_URGENCY_EN = "Nobody legitimate asks you to move money urgently."

# code → (zh-Hans, en)
MESSAGES: Final[dict[Reason, tuple[str, str]]] = {
    Reason.SCREEN_SHARING: (
        "检测到您的手机正在共享屏幕，本笔交易已拦截。如果有人正通过电话或视频指导您操作，这是诈骗："
        "请立即挂断、停止共享屏幕，并致电95588或拨打110。",
        "Your screen is being shared, so this payment was stopped. If someone on a call or a video meeting is "
        "guiding you, it is a scam: hang up now, stop sharing your screen, and call 95588 or the police (110).",
    ),
    Reason.REMOTE_CONTROL: (
        "检测到您的手机上正在运行远程控制软件，本笔交易已拦截。银行、公检法和客服从不会要求您安装远程控制软件："
        "请立即挂断电话、卸载该软件，并致电95588。",
        "A remote-control app is running on your phone, so this payment was stopped. The bank, the police and "
        "customer service never ask you to install one: hang up, uninstall it and call 95588.",
    ),
    Reason.DEVICE_INTEGRITY_FAILED: (
        "您使用的手机银行应用未通过安全检测，本笔交易已拦截。请从官方应用商店重新安装手机银行，或致电95588。",
        "Your banking app failed its security check, so this payment was stopped. "
        "Reinstall the app from the official app store, or call 95588.",
    ),
    Reason.ACCOUNT_FROZEN: (
        "该账户的全部对外支付已冻结，本笔交易未执行。如需解除冻结，请前往“安全中心 > 应急处理”或致电95588。",
        "All outgoing payments from this account are frozen, so this payment was stopped. "
        "To lift the freeze, go to Security Center > Emergency freeze or call 95588.",
    ),
    Reason.CARD_NOT_PRESENT_FROZEN: (
        "该账户的无卡支付（网上支付和快捷支付）已冻结。如需解除冻结，请前往“安全中心 > 应急处理”或致电95588。",
        "Card-not-present payments (online and quick payments) are frozen on this account. "
        "To lift the freeze, go to Security Center > Emergency freeze or call 95588.",
    ),
    Reason.PAYEE_HIGH_RISK: (
        "收款账户在涉诈风险名单上，本笔交易已拦截。请勿向陌生人转账；如有人催促您付款，请致电95588或报警。",
        "The receiving account is on the fraud risk list, so this payment was stopped. Do not send money to "
        "people you do not know; if someone is pressing you to pay, call 95588 or the police.",
    ),
    Reason.CHANNEL_OFF: (
        "该账户已关闭此交易渠道。如需开启，请前往“安全中心 > 交易权限管理”。",
        "This payment channel is switched off for this account. "
        "You can switch it on in Security Center > Transaction permissions.",
    ),
    Reason.CROSS_BORDER_OFF: (
        "该账户已关闭境外交易。如需开启或添加出行时段，请前往“安全中心 > 交易权限管理”。",
        "Cross-border payments are switched off for this account. You can switch them on or add a travel "
        "window in Security Center > Transaction permissions.",
    ),
    Reason.REGION_NOT_ALLOWED: (
        "根据您设置的交易区域，该地区的交易不被允许。如需修改交易区域或添加出行时段，请前往“安全中心 > 账户安全锁”。",
        "Payments in this region are blocked by your region lock. You can change the allowed regions or add "
        "a travel window in Security Center > Account locks.",
    ),
    Reason.OUTSIDE_ALLOWED_TIME: (
        "当前不在您设置的允许交易时间内，交易已拦截。如需修改允许交易时间，请前往“安全中心 > 账户安全锁”。",
        "Payments outside your allowed hours are blocked. "
        "You can change the allowed hours in Security Center > Account locks.",
    ),
    Reason.CURRENCY_MISMATCH: (
        "本笔交易的币种与账户币种不一致，无法按您的限额校验，交易已拒绝。请使用账户币种支付或更换账户。",
        "This payment is not in the account's currency, so it cannot be checked against your limits and "
        "was declined. Please pay in the account's currency or use another account.",
    ),
    Reason.OVER_PER_TRANSACTION_LIMIT: (
        "本笔金额超过您设置的单笔限额。如需调整限额，请前往“安全中心 > 账户安全锁”。",
        "This payment is above your per-transaction limit. "
        "You can change the limit in Security Center > Account locks.",
    ),
    Reason.OVER_DAILY_LIMIT: (
        "本笔交易将超过您设置的单日累计限额。如需调整限额，请前往“安全中心 > 账户安全锁”。",
        "This payment would take you over your daily limit. "
        "You can change the limit in Security Center > Account locks.",
    ),
    Reason.OVER_MONTHLY_LIMIT: (
        "本笔交易将超过您设置的单月累计限额。如需调整限额，请前往“安全中心 > 账户安全锁”。",
        "This payment would take you over your monthly limit. "
        "You can change the limit in Security Center > Account locks.",
    ),
    Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT: (
        "本笔金额超过您为该交易渠道设置的单笔限额。如需调整，请前往“安全中心 > 账户安全锁”。",
        "This payment is above your per-transaction limit for this channel. "
        "You can change it in Security Center > Account locks.",
    ),
    Reason.OVER_BANK_PER_TRANSACTION_LIMIT: (
        "本笔交易超过银行对此类账户设定的单笔最高限额，无法办理。如需办理更大金额的业务，请致电95588或前往网点。",
        "This payment is above the most the bank allows in one payment for this kind of account. "
        "For a larger payment, call 95588 or visit a branch.",
    ),
    Reason.OVER_BANK_DAILY_LIMIT: (
        "本笔交易将超过银行对此类账户设定的单日最高累计限额，无法办理。请明天再试，或致电95588、前往网点。",
        "This payment would take the account over the most the bank allows in one day for this kind of "
        "account. Try again tomorrow, or call 95588 or visit a branch.",
    ),
    Reason.OVER_BANK_MONTHLY_LIMIT: (
        "本笔交易将超过银行对此类账户设定的单月最高累计限额，无法办理。如需办理，请致电95588或前往网点。",
        "This payment would take the account over the most the bank allows in one month for this kind of "
        "account. Call 95588 or visit a branch.",
    ),
    Reason.OVER_CHANNEL_DAILY_LIMIT: (
        "本笔交易将超过您为该交易渠道设置的单日累计限额。如需调整，请前往“安全中心 > 账户安全锁”。",
        "This payment would take you over your daily limit for this channel. "
        "You can change it in Security Center > Account locks.",
    ),
    Reason.OVER_CHANNEL_MONTHLY_LIMIT: (
        "本笔交易将超过您为该交易渠道设置的单月累计限额。如需调整，请前往“安全中心 > 账户安全锁”。",
        "This payment would take you over your monthly limit for this channel. "
        "You can change it in Security Center > Account locks.",
    ),
    Reason.PAYEE_MEDIUM_RISK: (
        "收款账户曾被举报涉嫌诈骗，本笔交易需经银行核实后才会处理，我们可能会致电您确认。" + _NO_URGENCY_ZH,
        "The receiving account has been reported for possible fraud, so the bank will check this payment "
        "before it goes through and may call you. " + _NO_URGENCY_EN,
    ),
    Reason.UNKNOWN_CALLER_NEW_PAYEE: (
        "您正在通话中向新收款人转账，来电号码不在您的通讯录中。本笔转账已暂缓，银行会致电您核实；"
        "冷静期内您可以在“安全中心 > 冷静期交易”中取消。如果对方自称公检法、客服或催您转账，请立即挂断。",
        "You are transferring to a new payee during a call from a number that is not in your contacts. The "
        "transfer is held and the bank will call you to check it; until then you can cancel it in Security "
        "Center > Held transfers. If the caller says they are the police or customer service, or presses you to "
        "pay, hang up.",
    ),
    Reason.PROTECTED_NEW_PAYEE: (
        "您的账户受老年人保护：向新收款人的这笔转账已暂缓，银行工作人员会先致电您核实，核实后才会转出；"
        "在此之前您可以在“安全中心 > 冷静期交易”中取消。" + _NO_URGENCY_ZH,
        "Your account has elderly protection: this transfer to a new payee is held, and someone from the bank "
        "will call you to check it before the money can leave; until then you can cancel it in Security Center "
        "> Held transfers. " + _NO_URGENCY_EN,
    ),
    Reason.NEW_DEVICE_NEW_PAYEE: (
        "这是在一部新设备上首次向该收款人转账，本笔转账需经过冷静期后才会转出，冷静期内您可以在"
        "“安全中心 > 冷静期交易”中取消。" + _NO_URGENCY_ZH,
        "This is a first transfer to this payee from a phone new to your account, so it waits for a cooling-off "
        "period before the money leaves; until then you can cancel it in Security Center > Held transfers. "
        + _NO_URGENCY_EN,
    ),
    Reason.COOLING_OFF: (
        "大额转账需经过冷静期后才会转出，冷静期内您可以在“安全中心 > 冷静期交易”中取消。" + _NO_URGENCY_ZH,
        "Large transfers wait for a cooling-off period before the money leaves; until then you can cancel "
        "it in Security Center > Held transfers. " + _NO_URGENCY_EN,
    ),
    Reason.NEW_PAYEE_COOLING_OFF: (
        "这是您首次向该收款人转账，本笔转账需经过冷静期后才会转出，冷静期内您可以在“安全中心 > 冷静期交易”中取消。"
        + _NO_URGENCY_ZH,
        "This is your first transfer to this payee, so it waits for a cooling-off period before the money "
        "leaves; until then you can cancel it in Security Center > Held transfers. " + _NO_URGENCY_EN,
    ),
    Reason.SERVICE_DEGRADED: (
        "安全校验服务暂时不可用，为保护您的资金，此类交易暂停办理。请稍后再试或致电95588。",
        "Our security checks are temporarily unavailable, so this type of payment is paused to protect "
        "your money. Please try again later or call 95588.",
    ),
}


def reason_message(code: Reason) -> dict[str, str]:
    """The customer message for one reason, by language tag."""
    zh, en = MESSAGES[code]
    return {"zh-Hans": zh, "en": en}


def reasons_render(reasons: Iterable[Reason]) -> list[dict[str, object]]:
    """[{code, message: {zh-Hans, en}}, and lesson when there is one] for an API answer or a notification,
    in the given order."""
    rendered: list[dict[str, object]] = []
    for code in reasons:
        item: dict[str, object] = {"code": code.value, "message": reason_message(code)}
        if code in LESSONS:
            item["lesson"] = LESSONS[code]
        rendered.append(item)
    return rendered
