"""The console's pages, under /console/ (securitycenter/urls.py)."""

from django.urls import path

from console.views import approvals, cases, customers, queue, signin

app_name = "console"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("sign-in", signin.sign_in, name="sign-in"),
    path("sign-out", signin.sign_out, name="sign-out"),
    path("language", signin.language, name="language"),
    path("cases/<int:case_id>", cases.case, name="case"),
    path("cases/<int:case_id>/claim", cases.claim, name="claim"),
    path("cases/<int:case_id>/calls", cases.case_call, name="case-call"),
    path("cases/<int:case_id>/outcome", cases.outcome, name="outcome"),
    path("lookup", customers.lookup, name="lookup"),
    path("sessions", customers.session_open, name="session-open"),
    path("sessions/<int:session_id>", customers.customer, name="customer"),
    path("sessions/<int:session_id>/close", customers.session_close, name="session-close"),
    path("sessions/<int:session_id>/freeze", customers.freeze, name="freeze"),
    path("sessions/<int:session_id>/emergency", customers.emergency, name="emergency"),
    path("sessions/<int:session_id>/hold-stop", customers.hold_stop_view, name="hold-stop"),
    path("sessions/<int:session_id>/calls", customers.call_start, name="call-start"),
    path("sessions/<int:session_id>/calls/<int:call_id>/end", customers.call_end, name="call-end"),
    path("sessions/<int:session_id>/lift-requests", customers.lift_request, name="lift-request"),
    path("approvals", approvals.approvals, name="approvals"),
    path("approvals/decide", approvals.decide, name="decide"),
]
