import pytest
from django.core.management import CommandError, call_command

from locks.models import PayeeRiskEntry
from locks.risklist.services import PAYEE_CHECKS_PER_MINUTE, RISK_KEY, payee_hash
from securitycenter.securitylog.models import EventType, SecurityEvent
from tests.factories import PayeeRiskEntryFactory

pytestmark = pytest.mark.django_db

CSV = """account,severity,source,note
6222 0299 9900 0011,high,police,reported 2026-11
6222029999000022,medium,,
"""


def test_csv_is_loaded_as_keyed_hashes_and_mirrored(tmp_path, redis_client, django_capture_on_commit_callbacks):
    path = tmp_path / "risk.csv"
    path.write_text(CSV)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_risk_list", str(path), "--source", "anti-fraud-centre")
    entries = {e.counterparty: e for e in PayeeRiskEntry.objects.all()}
    high = entries[payee_hash("6222029999000011")]
    medium = entries[payee_hash("6222-0299-9900-0022")]
    assert (high.severity, high.source) == ("high", "police")
    assert (medium.severity, medium.source) == ("medium", "anti-fraud-centre")
    assert all("6222" not in e.counterparty for e in entries.values())
    assert redis_client.hget(RISK_KEY, high.counterparty) == b"high"
    assert SecurityEvent.objects.filter(event_type=EventType.RISK_LIST_CHANGED).count() == 1


def test_loading_again_updates_instead_of_duplicating(tmp_path):
    path = tmp_path / "risk.csv"
    path.write_text(CSV)
    call_command("load_risk_list", str(path))
    path.write_text("account,severity\n6222029999000022,high\n")
    call_command("load_risk_list", str(path))
    assert PayeeRiskEntry.objects.count() == 2
    assert PayeeRiskEntry.objects.get(counterparty=payee_hash("6222029999000022")).severity == "high"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("account,severity\n12,high\n", "line 3"),
        ("account,severity\n6222029999000011,urgent\n", "severity"),
        ("number,level\n6222029999000011,high\n", "header"),
    ],
)
def test_a_bad_file_loads_nothing(tmp_path, text, message):
    path = tmp_path / "risk.csv"
    path.write_text("account,severity\n6222029999000099,high\n" + text.split("\n", 1)[1] if "account" in text else text)
    with pytest.raises(CommandError, match=message):
        call_command("load_risk_list", str(path))
    assert not PayeeRiskEntry.objects.exists()


def test_customer_checks_a_payee(session):
    PayeeRiskEntryFactory(account="6222029999000011", severity="high", source="police")
    listed = session.client.post("/api/v1/payee-checks", {"account": "6222 0299 9900 0011"}, format="json").json()
    assert listed["listed"] is True
    assert listed["severity"] == "high"
    assert "95588" in listed["advice"]["en"]
    clean = session.client.post("/api/v1/payee-checks", {"account": "6222029999000012"}, format="json").json()
    assert clean == {"listed": False, "severity": None, "advice": clean["advice"]}


def test_payee_check_is_rate_limited(session):
    for _ in range(PAYEE_CHECKS_PER_MINUTE):
        assert (
            session.client.post("/api/v1/payee-checks", {"account": "6222029999000012"}, format="json").status_code
            == 200
        )
    refused = session.client.post("/api/v1/payee-checks", {"account": "6222029999000012"}, format="json")
    assert refused.status_code == 429
    assert refused.json()["retry_after"] > 0


def test_payee_check_refuses_bad_input_and_wrong_callers(session):
    bad = session.client.post("/api/v1/payee-checks", {"account": "12"}, format="json")
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["field"] == "account"
    from rest_framework.test import APIClient

    assert APIClient().post("/api/v1/payee-checks", {"account": "6222029999000012"}, format="json").status_code == 401
