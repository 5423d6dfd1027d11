"""A client generated from the live OpenAPI schema works for each kind of caller.

openapi-python-client (pinned in requirements/dev.txt) generates a Python client from `/api/schema/` as the
running server serves it; three journeys then use only what the schema declared: the operations' own
functions (paths, headers such as `X-Device-Id`, bodies) and their typed answers. No header, path prefix
or JSON member is added or read by hand; credentials go where the security schemes say.
"""

import importlib
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from accounts.models import ServiceClient
from accounts.service_clients import api_key_create
from locks.authorizations import context as authorizations_context
from locks.authorizations.views import key_cache_clear
from tests.factories import DEFAULT_PASSWORD, BankAccountFactory, CustomerFactory, StaffUserFactory, staff_totp

PACKAGE = "sc_generated_client"
GENERATOR = Path(sys.executable).with_name("openapi-python-client")
PAYEE = "6222020000007777"


@pytest.fixture(scope="module")
def api(live_server, tmp_path_factory):
    """The generated client package, imported: `api.api`, `api.models`, `api.client`."""
    here = tmp_path_factory.mktemp("generated")
    (here / "schema.json").write_bytes(live_schema(live_server))
    (here / "config.yaml").write_text(f"post_hooks: []\npackage_name_override: {PACKAGE}\n")
    generated = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(here / "schema.json"),
            "--config",
            str(here / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(here / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # The generator reports what it could not turn into code as warnings: none is acceptable.
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    sys.path.insert(0, str(here))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(here))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(api, dotted):
    return importlib.import_module(f"{PACKAGE}.{dotted}")


def live_schema(live_server):
    response = httpx.get(
        live_server.url + "/api/schema/", headers={"Accept": "application/vnd.oai.openapi+json"}, timeout=30
    )
    assert response.status_code == 200, response.text[:500]
    return response.content


def _schema_api_key_header(live_server):
    """The header the schema's `apiKey` scheme names: where a generated client is told to put the key."""
    scheme = json.loads(live_schema(live_server))["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "apiKey" and scheme["in"] == "header"
    return scheme["name"]


@pytest.fixture
def world(transactional_db):
    authorizations_context.caches_clear()
    key_cache_clear()
    customer = CustomerFactory()
    account = BankAccountFactory(customer=customer)
    core = ServiceClient.objects.create(name="payment-core", scopes=[scope.value for scope in ServiceClient.Scope])
    raw_key, _ = api_key_create(client=core)
    StaffUserFactory(username="agent-journey", groups=["agent"])
    return {"customer": customer, "account": account, "key": raw_key}


def customer_signed_in(api, live_server, customer):
    models = _module(api, "models")
    login = _module(api, "api.customer_auth.auth_login_create")
    answer = login.sync(
        client=api.Client(base_url=live_server.url),
        body=models.LoginRequest(
            login=customer.phone,
            password=DEFAULT_PASSWORD,
            device=models.DeviceInfoRequest(id="journey-phone-1", name="My phone", platform="ios"),
        ),
    )
    assert isinstance(answer, models.CustomerToken), answer
    return api.AuthenticatedClient(base_url=live_server.url, token=answer.token), "journey-phone-1"


def payment_core(api, live_server, key):
    return api.AuthenticatedClient(
        base_url=live_server.url, token=key, prefix="", auth_header_name=_schema_api_key_header(live_server)
    )


def held_transfer(api, core, account, n=1):
    models = _module(api, "models")
    create = _module(api, "api.payment_core_authorizations.authorizations_create")
    decision = create.sync(
        client=core,
        body=models.AuthorizationRequest(
            transaction_id=f"journey-{account.pk}-{n}",
            account_id=account.pk,
            amount=6_000_000,
            currency="CNY",
            channel=models.ChannelEnum.ONLINE_TRANSFER,
            country="CN",
            counterparty_account=PAYEE,
            transfer=True,
            initiated_at=datetime.now(UTC),
        ),
    )
    assert isinstance(decision, models.AuthorizationDecision), decision
    return decision


def test_customer_journey(api, live_server, world):
    """Sign in, list accounts, read the locks (typed), tighten a limit with the version read, read again."""
    models = _module(api, "models")
    client, device = customer_signed_in(api, live_server, world["customer"])
    accounts = _module(api, "api.customer_accounts.accounts_retrieve").sync(client=client, x_device_id=device)
    assert [a.id for a in accounts] == [world["account"].pk]

    read = _module(api, "api.customer_locks.accounts_locks_retrieve")
    locks = read.sync(world["account"].pk, client=client, x_device_id=device)
    assert isinstance(locks, models.AccountLocks), locks
    assert locks.account.masked_number.endswith(world["account"].number[-4:])
    assert locks.channels.online_transfer is True

    patch = _module(api, "api.customer_locks.accounts_locks_partial_update")
    changed = patch.sync(
        world["account"].pk,
        client=client,
        x_device_id=device,
        body=models.LockPatchRequest(version=locks.version, limits=models.LimitsRequest(daily=200_000)),
    )
    assert isinstance(changed, models.LockChangeResult), changed
    assert changed.accounts[0].applied is True
    again = read.sync(world["account"].pk, client=client, x_device_id=device)
    assert again.version == changed.accounts[0].version > locks.version
    assert again.limits.daily == 200_000
    assert again.effective_limits.daily == 200_000


def test_payment_core_journey(api, live_server, world):
    """A held transfer: the decision carries the hold's id and release time, typed; the hold reads back; the
    recorded decision is the same; a reversal says what it gave back."""
    models = _module(api, "models")
    core = payment_core(api, live_server, world["key"])
    decision = held_transfer(api, core, world["account"])
    assert decision.decision == models.DecisionEnum.HOLD
    assert isinstance(decision.hold, models.HoldRef)
    assert isinstance(decision.hold.release_at, datetime)
    assert decision.hold.release_at > datetime.now(UTC) + timedelta(hours=1)

    hold = _module(api, "api.payment_core_holds.service_holds_retrieve").sync(decision.hold.id, client=core)
    assert isinstance(hold, models.ServiceHold), hold
    assert hold.status == models.HoldStatusEnum.HELD
    assert hold.release_at == decision.hold.release_at

    recorded = _module(api, "api.payment_core_authorizations.authorizations_retrieve").sync(
        decision.transaction_id, client=core
    )
    assert isinstance(recorded, models.AuthorizationDecision), recorded
    assert recorded.decision_id == decision.decision_id
    assert recorded.hold.id == decision.hold.id

    reversal = _module(api, "api.payment_core_authorizations.authorizations_reversal").sync(
        decision.transaction_id, client=core
    )
    assert isinstance(reversal, models.ReversalAnswer), reversal
    assert reversal.transaction_id == decision.transaction_id
    assert isinstance(reversal.amount_returned, int)


def test_agent_journey(api, live_server, world):
    """An agent signs in, finds the customer's held transfer and stops it after the call-back; the customer
    then sees it stopped."""
    models = _module(api, "models")
    decision = held_transfer(api, payment_core(api, live_server, world["key"]), world["account"])

    login = _module(api, "api.agent_auth.agent_auth_login_create").sync(
        client=api.Client(base_url=live_server.url),
        body=models.StaffLoginRequest(username="agent-journey", password=DEFAULT_PASSWORD, totp=staff_totp()),
    )
    assert isinstance(login, models.Token), login
    agent = api.AuthenticatedClient(base_url=live_server.url, token=login.token)

    holds = _module(api, "api.agent_holds.agent_customer_holds_list").sync(
        world["customer"].customer_number, client=agent
    )
    assert [h.id for h in holds] == [decision.hold.id]
    assert holds[0].can_cancel is True

    stopped = _module(api, "api.agent_holds.agent_holds_stop_create").sync(
        decision.hold.id,
        client=agent,
        body=models.HoldStopRequest(reason="Customer confirmed on the call-back that a caller told them to pay"),
    )
    assert isinstance(stopped, models.Hold), stopped
    assert stopped.status == models.HoldStatusEnum.STOPPED

    client, device = customer_signed_in(api, live_server, world["customer"])
    mine = _module(api, "api.customer_holds.holds_list").sync(client=client, x_device_id=device)
    assert [(h.id, h.status) for h in mine.results] == [(decision.hold.id, models.HoldStatusEnum.STOPPED)]
