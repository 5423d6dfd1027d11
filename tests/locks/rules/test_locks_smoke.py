from securitycenter.securitylog.models import EventType, SecurityEvent


def test_tighten_then_loosen(session):
    v = session.locks()["version"]
    r = session.patch({"version": v, "limits": {"per_transaction": 100_000, "daily": 500_000}})
    assert r.status_code == 200, r.json()
    assert r.json()["accounts"][0]["applied"] is True
    assert r.json()["accounts"][0]["loosened"] == []
    body = session.locks()
    assert body["limits"]["daily"] == 500_000
    r = session.patch({"version": body["version"], "limits": {"per_transaction": 200_000, "daily": 500_000}})
    assert r.status_code == 403, r.json()
    assert r.json()["code"] == "otp_required"
    r = session.patch(
        {"version": body["version"], "limits": {"per_transaction": 200_000, "daily": 500_000}}, otp=session.otp()
    )
    assert r.status_code == 200, r.json()
    assert r.json()["accounts"][0]["loosened"]
    assert SecurityEvent.objects.filter(event_type=EventType.LOCK_CHANGED).count() == 2
