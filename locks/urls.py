from django.urls import path

from locks.agents import api as agents
from locks.agents import customer_api as bank_acts
from locks.authorizations import views as authorizations
from locks.callbacks import api as callbacks
from locks.cases import api as cases
from locks.emergency import api as emergency
from locks.holds import api as holds
from locks.lessons import api as lessons
from locks.profile import api as profile
from locks.risklist import api as risklist
from locks.rules import api as rules
from locks.securitylog import api as securitylog
from locks.selfcheck import api as selfcheck
from locks.trusted import api as trusted

# The payment core's endpoints, included first by the root URLconf: resolution walks patterns in order and
# these take almost every request the service gets.
hot_path_urlpatterns = [
    path("authorizations", authorizations.authorization_create, name="authorizations"),
    path("authorizations/batch", authorizations.authorization_batch, name="authorizations-batch"),
    path("authorizations/<str:transaction_id>", authorizations.authorization_detail, name="authorization"),
    path(
        "authorizations/<str:transaction_id>/reversal",
        authorizations.authorization_reversal,
        name="authorization-reversal",
    ),
]

urlpatterns = [
    path("accounts/<int:account_id>/locks", rules.AccountLocksView.as_view(), name="account-locks"),
    path("accounts/<int:account_id>/locks/check", rules.WouldPassView.as_view(), name="account-would-pass"),
    path("accounts/<int:account_id>/travel-windows", rules.TravelWindowsView.as_view(), name="travel-windows"),
    path(
        "accounts/<int:account_id>/travel-windows/<int:window_id>",
        rules.TravelWindowDetailView.as_view(),
        name="travel-window",
    ),
    path("holds", holds.CustomerHoldListView.as_view(), name="holds"),
    path("holds/<int:hold_id>", holds.CustomerHoldDetailView.as_view(), name="hold"),
    path("holds/<int:hold_id>/cancel", holds.CustomerHoldCancelView.as_view(), name="hold-cancel"),
    path("holds/<int:hold_id>/release-early", holds.CustomerHoldReleaseEarlyView.as_view(), name="hold-release-early"),
    path("trusted-contact", trusted.TrustedContactView.as_view(), name="trusted-contact"),
    path("trusted-contact/verify", trusted.TrustedContactVerifyView.as_view(), name="trusted-contact-verify"),
    path("trusted-confirmations/<str:token>", trusted.TrustedConfirmationView.as_view(), name="trusted-confirmation"),
    path(
        "agent/customers/<str:customer_number>/holds",
        holds.AgentCustomerHoldsView.as_view(),
        name="agent-customer-holds",
    ),
    path("agent/holds/<int:hold_id>/stop", holds.AgentHoldStopView.as_view(), name="agent-hold-stop"),
    path("service/holds/<int:hold_id>", holds.ServiceHoldDetailView.as_view(), name="service-hold"),
    path("payee-checks", risklist.PayeeCheckView.as_view(), name="payee-checks"),
    path("locks/apply", rules.LocksApplyView.as_view(), name="locks-apply"),
    path("locks/presets", rules.PresetView.as_view(), name="locks-presets"),
    path("locks/freeze", rules.FreezeView.as_view(), name="locks-freeze"),
    path("locks/unfreeze", rules.UnfreezeView.as_view(), name="locks-unfreeze"),
    path("cases", cases.CaseListView.as_view(), name="cases"),
    path("cases/<int:case_id>", cases.CaseDetailView.as_view(), name="case"),
    path("emergency", emergency.EmergencyView.as_view(), name="emergency"),
    path("self-check", selfcheck.SelfCheckView.as_view(), name="self-check"),
    path("self-check/fixes", selfcheck.SelfCheckFixView.as_view(), name="self-check-fixes"),
    path("self-check/<int:run_id>", selfcheck.SelfCheckDetailView.as_view(), name="self-check-run"),
    path("profile", profile.ProfileView.as_view(), name="profile"),
    path("lessons", lessons.LessonListView.as_view(), name="lessons"),
    path("lessons/<str:lesson_id>", lessons.LessonDetailView.as_view(), name="lesson"),
    path("security-log", securitylog.SecurityLogView.as_view(), name="security-log"),
    path("security-log/<int:entry_id>", securitylog.SecurityLogEntryView.as_view(), name="security-log-entry"),
    path("security-log/<int:entry_id>/not-me", securitylog.NotMeEntryView.as_view(), name="security-log-not-me"),
    path("payments/<str:transaction_id>/not-me", securitylog.NotMePaymentView.as_view(), name="payment-not-me"),
    path("locks/pending/<int:pending_id>/cancel", rules.PendingLooseningCancelView.as_view(), name="pending-cancel"),
    # 95588 staff working with a caller (i10)
    path("agent/lookups", agents.LookupView.as_view(), name="agent-lookups"),
    path("agent/service-sessions", agents.ServiceSessionsView.as_view(), name="agent-sessions"),
    path(
        "agent/service-sessions/<int:session_id>/close",
        agents.ServiceSessionCloseView.as_view(),
        name="agent-session-close",
    ),
    path(
        "agent/service-sessions/<int:session_id>/customer",
        agents.CustomerViewView.as_view(),
        name="agent-session-customer",
    ),
    path(
        "agent/service-sessions/<int:session_id>/freezes",
        agents.RemoteFreezesView.as_view(),
        name="agent-session-freezes",
    ),
    path(
        "agent/service-sessions/<int:session_id>/emergency",
        agents.AgentEmergencyView.as_view(),
        name="agent-session-emergency",
    ),
    path(
        "agent/service-sessions/<int:session_id>/freezes/<int:freeze_id>/lift-requests",
        agents.LiftRequestCreateView.as_view(),
        name="agent-lift-request-create",
    ),
    path("agent/service-sessions/<int:session_id>/calls", agents.SessionCallView.as_view(), name="agent-session-call"),
    path("agent/calls/<int:call_id>/end", agents.CallEndView.as_view(), name="agent-call-end"),
    path("agent/lift-requests", agents.LiftRequestListView.as_view(), name="agent-lift-requests"),
    path(
        "agent/lift-requests/<int:request_id>/approve",
        agents.LiftRequestApproveView.as_view(),
        name="agent-lift-request-approve",
    ),
    path(
        "agent/lift-requests/<int:request_id>/reject",
        agents.LiftRequestRejectView.as_view(),
        name="agent-lift-request-reject",
    ),
    path("agent/risk-proposals", agents.RiskProposalsView.as_view(), name="agent-risk-proposals"),
    path(
        "agent/risk-proposals/<int:proposal_id>/approve",
        agents.RiskProposalApproveView.as_view(),
        name="agent-risk-proposal-approve",
    ),
    path(
        "agent/risk-proposals/<int:proposal_id>/reject",
        agents.RiskProposalRejectView.as_view(),
        name="agent-risk-proposal-reject",
    ),
    path("agent/callbacks", callbacks.CallbackQueueView.as_view(), name="agent-callbacks"),
    path("agent/callbacks/<int:case_id>/claim", callbacks.CallbackClaimView.as_view(), name="agent-callback-claim"),
    path(
        "agent/callbacks/<int:case_id>/outcome", callbacks.CallbackOutcomeView.as_view(), name="agent-callback-outcome"
    ),
    path("agent/callbacks/<int:case_id>/calls", callbacks.CallbackCallView.as_view(), name="agent-callback-call"),
    # the customer's side of it
    path("bank-freezes", bank_acts.CustomerFreezeListView.as_view(), name="bank-freezes"),
    path("bank-freezes/<int:freeze_id>/lift", bank_acts.CustomerFreezeLiftView.as_view(), name="bank-freeze-lift"),
    path("call-status", bank_acts.CallStatusView.as_view(), name="call-status"),
    path("call-status/fake-call-reports", bank_acts.FakeCallReportView.as_view(), name="fake-call-reports"),
]
