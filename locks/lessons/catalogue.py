# ruff: noqa: E501 - a lesson sentence is one gettext message on one line, as translators read it
"""The lessons (安全课堂): short lessons on the tricks fraudsters use, drawn from the seed cases.

Each lesson has a stable id that declines, holds, self-check findings, emergency and "this wasn't me" answers
carry (`locks.lessons.fit`), so the app can open the lesson that fits the moment. Texts are gettext messages
(English here, zh-Hans in locale/), rendered in the request's language.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Lesson:
    id: str
    tags: tuple[str, ...]
    title: Promise
    summary: Promise
    signs: tuple[Promise, ...]
    what_to_do: tuple[Promise, ...]


LESSONS: tuple[Lesson, ...] = (
    Lesson(
        id="fake_tax_refund",
        tags=("tax", "sms_link"),
        title=_("Fake tax refunds"),
        summary=_(
            "A text says you are owed a tax or subsidy refund and links to a page that asks for your card and SMS code."
        ),
        signs=(
            _("Refunds never need your card password or an SMS code."),
            _("The link is not the tax office's own app or website."),
        ),
        what_to_do=(
            _("Do not open links in such messages; check in the official tax app."),
            _("If you entered card details, freeze card-not-present payments now."),
        ),
    ),
    Lesson(
        id="fake_police_safe_account",
        tags=("police", "safe_account", "urgent_transfer"),
        title=_('"Police" demanding a safe account'),
        summary=_(
            'A caller claiming to be the police, a prosecutor or a court says your account is involved in a crime and you must move your money to a "safe account".'
        ),
        signs=(
            _('No authority has a "safe account" or asks you to transfer money.'),
            _("They keep you on the phone and tell you to tell nobody."),
        ),
        what_to_do=(
            _("Hang up and call 110 or 95588 yourself."),
            _(
                'Use "Being scammed right now" in the security center: it freezes transfers and a 95588 agent calls you back.'
            ),
        ),
    ),
    Lesson(
        id="million_insurance_cancellation",
        tags=("insurance", "fake_customer_service"),
        title=_('The "million insurance" cancellation call'),
        summary=_(
            'A caller says a "million insurance" or other service will charge you every month unless you cancel it, then guides you to "cancel" by moving money or taking loans.'
        ),
        signs=(
            _("You never signed up for it."),
            _('"Cancelling" needs a transfer, a loan or screen sharing.'),
        ),
        what_to_do=(
            _("Hang up and check in the app of the company named."),
            _("Never transfer money to cancel a service."),
        ),
    ),
    Lesson(
        id="fake_customer_service_membership",
        tags=("fake_customer_service", "refund"),
        title=_("Fake customer service closing a paid membership"),
        summary=_(
            "Somebody posing as a shop's or app's customer service says a paid membership or a \"student loan\" feature must be closed, or a refund is due, and asks for payments or codes."
        ),
        signs=(
            _("Real customer service does not call from a private number to close features."),
            _("The refund needs you to pay first or share a code."),
        ),
        what_to_do=(
            _("Close or check features yourself inside the official app."),
            _("Never read out an SMS code to anybody."),
        ),
    ),
    Lesson(
        id="fake_school_fees_abroad",
        tags=("student_abroad", "impersonation"),
        title=_("Fake school fees for students abroad"),
        summary=_(
            'A message from a "son" or "daughter" studying abroad, or from their "school", asks you to pay fees or bail urgently to a new account.'
        ),
        signs=(
            _("A new account number, and urgency."),
            _("You cannot reach your child on the number you know."),
        ),
        what_to_do=(
            _("Call your child or the school on a number you already had."),
            _("Check the payee with the payee risk check before paying."),
        ),
    ),
    Lesson(
        id="screen_sharing",
        tags=("screen_sharing", "fake_customer_service"),
        title=_("Screen sharing"),
        summary=_(
            'A caller asks you to share your screen in a meeting or chat app "to help you": they then see your codes and balances as you type.'
        ),
        signs=(
            _("Anybody asking you to share your screen while you open your bank app."),
            _("They say it is needed for a refund, a loan or a check."),
        ),
        what_to_do=(
            _("Stop sharing and hang up."),
            _("The bank never asks you to share your screen."),
        ),
    ),
    Lesson(
        id="remote_control_apps",
        tags=("remote_control",),
        title=_("Remote-control apps"),
        summary=_(
            "You are told to install an app that lets somebody else control your phone; they then open your bank app and move your money."
        ),
        signs=(
            _("An app you were told to install by a caller."),
            _("Your phone acts on its own."),
        ),
        what_to_do=(
            _("Uninstall it, switch the phone to flight mode and call 95588 from another phone."),
            _('Use "Lost phone" or "Suspected fraud" in the security center.'),
        ),
    ),
    Lesson(
        id="sms_code_requests",
        tags=("sms_code",),
        title=_("Requests for SMS codes"),
        summary=_("Whoever asks for the code the bank sent you by SMS wants to use it to sign in or pay as you."),
        signs=(
            _('Anybody, even "bank staff", asking for a code.'),
            _("A code arrives that you did not ask for."),
        ),
        what_to_do=(
            _("Never share a code; bank staff never ask for it."),
            _('If you shared one, report the sign-in as "this wasn\'t me".'),
        ),
    ),
    Lesson(
        id="fake_bank_call",
        tags=("impersonation", "bank"),
        title=_("Is the bank really calling me?"),
        summary=_(
            "Fraudsters fake the bank's number and know some of your details. A real 95588 agent never asks for passwords or codes, nor asks you to move money."
        ),
        signs=(
            _("The caller asks for a password, a code or a transfer."),
            _("They want you to act now."),
        ),
        what_to_do=(
            _("Hang up and call 95588 yourself."),
            _("Check the call in the security center."),
        ),
    ),
    Lesson(
        id="card_details_phishing",
        tags=("card_not_present", "phishing"),
        title=_("Card details phishing"),
        summary=_(
            "A page or caller gets your card number, expiry date and CVV: with them a fraudster pays online without your card."
        ),
        signs=(
            _("A page that asks for the CVV and an SMS code together."),
            _("Online payments you did not make."),
        ),
        what_to_do=(
            _("Freeze card-not-present payments when you do not need them."),
            _('Report a payment that was not yours as "this wasn\'t me".'),
        ),
    ),
    Lesson(
        id="investment_romance",
        tags=("investment", "romance"),
        title=_('Investment "opportunities" from online friends'),
        summary=_(
            "Somebody you met online wins your trust, then shows you a platform with high returns; you can pay in but never take money out."
        ),
        signs=(
            _("Guaranteed high returns."),
            _('Withdrawing needs a "fee" or "tax" first.'),
        ),
        what_to_do=(
            _("Never transfer money to a platform an online friend recommends."),
            _("Check the payee with the payee risk check."),
        ),
    ),
    Lesson(
        id="click_farming_part_time",
        tags=("part_time", "click_farming"),
        title=_('Part-time "click farming" jobs'),
        summary=_(
            'An easy online job pays small commissions at first, then asks you to pay in larger sums for "tasks" that you never get back.'
        ),
        signs=(
            _("You must pay before you earn."),
            _("The tasks grow and the payouts stop."),
        ),
        what_to_do=(
            _("Stop paying; no real job asks you to pay in."),
            _("Keep the chat records and call 110."),
        ),
    ),
    Lesson(
        id="fake_loan_fees",
        tags=("loan",),
        title=_("Loans that need a fee first"),
        summary=_(
            'A loan offer with no checks asks for a deposit, an insurance fee or "unfreezing" money before the loan is paid out.'
        ),
        signs=(
            _("Money due before you get the loan."),
            _('"Your account number was wrong, pay to unfreeze it."'),
        ),
        what_to_do=(
            _("Borrow only from licensed lenders in official apps."),
            _("Never pay to receive a loan."),
        ),
    ),
    Lesson(
        id="lost_phone",
        tags=("lost_phone",),
        title=_("If you lose your phone"),
        summary=_(
            "A lost phone can hold your bank app, codes and messages. Act at once; your card keeps working in shops."
        ),
        signs=(
            _("Your phone is gone, or somebody else has it."),
            _("Sign-ins or codes you did not ask for."),
        ),
        what_to_do=(
            _('Use "Lost phone": it signs other phones out and freezes online and quick payments, not card payments.'),
            _("Ask your mobile operator to block the SIM card."),
        ),
    ),
    Lesson(
        id="lost_card",
        tags=("lost_card",),
        title=_("If you lose your card"),
        summary=_(
            "A lost card can be used in shops and, with its details, online. Freeze it at once; your other cards keep working."
        ),
        signs=(
            _("The card is not where you left it."),
            _("Payments you did not make."),
        ),
        what_to_do=(
            _('Use "Lost card" and name the card: every payment with it stops.'),
            _("Call 95588 to replace it."),
        ),
    ),
    Lesson(
        id="cross_border_card_fraud",
        tags=("cross_border",),
        title=_("Cross-border card fraud"),
        summary=_(
            "Stolen card details are often used abroad, where you are not. Keep cross-border payments off unless you travel."
        ),
        signs=(
            _("A payment from a country you are not in."),
            _("Small test payments before a large one."),
        ),
        what_to_do=(
            _("Switch cross-border payments on only with a travel window."),
            _('Report a payment that was not yours as "this wasn\'t me".'),
        ),
    ),
    Lesson(
        id="fraud_risk_payee",
        tags=("payee_risk",),
        title=_("A payee on the fraud risk list"),
        summary=_(
            "The account you are paying has been reported in fraud cases. Whoever asked you to pay it is very likely a fraudster."
        ),
        signs=(
            _("You were asked to pay a stranger's account."),
            _("The payee risk check warns you."),
        ),
        what_to_do=(
            _("Do not pay; call 95588 if you are unsure."),
            _("Cancel a held transfer in the app while it waits."),
        ),
    ),
    Lesson(
        id="night_protection",
        tags=("time_lock",),
        title=_("Why night protection helps"),
        summary=_(
            "Many frauds strike at night while you sleep and cannot see the alerts. Blocking payments between midnight and 6:00 stops them."
        ),
        signs=(
            _("Payments at hours you never pay."),
            _("Alerts you only see in the morning."),
        ),
        what_to_do=(
            _("Turn on night protection in the security center."),
            _("Lifting it later needs your one-time password."),
        ),
    ),
)

LESSONS_BY_ID = {lesson.id: lesson for lesson in LESSONS}
