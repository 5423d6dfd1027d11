"""Service clients and their API keys, for operators.

    manage.py api_keys create-client payment-core --scope authorizations:write --scope holds:read
    manage.py api_keys create-key payment-core
    manage.py api_keys list [payment-core]
    manage.py api_keys revoke <prefix>
    manage.py api_keys rotate payment-core [--revoke-old]
    manage.py api_keys create-client payment-core --scope holds:read --webhook-url https://core.example/hooks
    manage.py api_keys rotate-webhook-secret payment-core [--overlap-hours 24]

A new key goes to stdout alone (everything else to stderr), so `KEY=$(manage.py api_keys create-key X)`
captures just the key. It is shown this once: only its hash is stored. A new webhook secret (from
create-client with --webhook-url, or a rotation) goes to stdout alone in the same way, shown once.
"""

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import ApiKey, ServiceClient
from accounts.service_clients import (
    api_key_create,
    api_key_list,
    api_key_revoke,
    api_key_rotate,
    service_client_create,
    webhook_secret_rotate,
)
from securitycenter.errors import DomainError
from securitycenter.securitylog.record import Actor

_ACTOR = Actor.system("api_keys")


class Command(BaseCommand):
    help = "Create service clients; create, list, revoke and rotate their API keys."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        create_client = actions.add_parser("create-client", help="Create a service client.")
        create_client.add_argument("name")
        create_client.add_argument(
            "--scope",
            dest="scopes",
            action="extend",
            nargs="+",
            required=True,
            choices=ServiceClient.Scope.values,
            help="A scope the client's keys carry; repeat or list several.",
        )
        create_client.add_argument("--webhook-url", default="", help="Where hold outcomes are posted.")

        create_key = actions.add_parser("create-key", help="Create an API key for a client; prints it once.")
        create_key.add_argument("client", help="The client's name.")

        listing = actions.add_parser("list", help="List keys (prefixes and dates, never secrets).")
        listing.add_argument("client", nargs="?", help="Only this client's keys.")

        revoke = actions.add_parser("revoke", help="Revoke a key at once.")
        revoke.add_argument("prefix", help="The key's prefix, as `list` shows it.")

        rotate = actions.add_parser("rotate", help="Create a new key for a client; prints it once.")
        rotate.add_argument("client", help="The client's name.")
        rotate.add_argument(
            "--revoke-old", action="store_true", help="Revoke the client's other keys now (default: keep them)."
        )

        rotate_secret = actions.add_parser(
            "rotate-webhook-secret", help="Give a client a new webhook secret; prints it once."
        )
        rotate_secret.add_argument("client", help="The client's name.")
        rotate_secret.add_argument(
            "--overlap-hours",
            type=float,
            default=24.0,
            help="How long the current secret keeps signing beside the new one (default 24; 0 = stop now).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "create-client": self._create_client,
            "create-key": self._create_key,
            "list": self._list,
            "revoke": self._revoke,
            "rotate": self._rotate,
            "rotate-webhook-secret": self._rotate_webhook_secret,
        }[options["action"]]
        try:
            handler(options)
        except DomainError as exc:
            raise CommandError(exc.detail) from None

    def _client(self, name: str) -> ServiceClient:
        try:
            return ServiceClient.objects.get(name=name)
        except ServiceClient.DoesNotExist:
            raise CommandError(f"No service client named {name!r}.") from None

    def _print_new_key(self, raw: str, key: ApiKey) -> None:
        self.stderr.write(
            f"New API key {key.prefix} for {key.client.name}. Hand it over now: it is shown only this once "
            "and cannot be retrieved again."
        )
        self.stdout.write(raw)

    def _create_client(self, options: dict[str, Any]) -> None:
        client = service_client_create(
            name=options["name"], scopes=options["scopes"], webhook_url=options["webhook_url"], actor=_ACTOR
        )
        self.stderr.write(
            f"Created service client {client.name} (id {client.pk}) with scopes {', '.join(client.scopes)}. "
            f"Give it a key with: api_keys create-key {client.name}"
        )
        if client.webhook_secret:
            self._print_webhook_secret(client.webhook_secret, client.name)

    def _print_webhook_secret(self, secret: str, name: str) -> None:
        self.stderr.write(
            f"Webhook secret for {name}: its hold webhooks are signed with it (HMAC-SHA256). Hand it over now: "
            "it is shown only this once."
        )
        self.stdout.write(secret)

    def _rotate_webhook_secret(self, options: dict[str, Any]) -> None:
        client = self._client(options["client"])
        overlap = timedelta(hours=options["overlap_hours"])
        secret = webhook_secret_rotate(client=client, overlap=overlap, actor=_ACTOR)
        self._print_webhook_secret(secret, client.name)
        if client.webhook_secret_previous_until is not None:
            self.stderr.write(
                f"The previous secret also signs until {client.webhook_secret_previous_until:%Y-%m-%d %H:%M} UTC."
            )
        else:
            self.stderr.write("The previous secret no longer signs.")

    def _create_key(self, options: dict[str, Any]) -> None:
        raw, key = api_key_create(client=self._client(options["client"]), actor=_ACTOR)
        self._print_new_key(raw, key)

    def _list(self, options: dict[str, Any]) -> None:
        client = self._client(options["client"]) if options["client"] else None
        rows = [("CLIENT", "PREFIX", "CREATED", "LAST USED", "STATUS")]
        for key in api_key_list(client=client):
            if key.revoked_at is not None:
                status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
            elif not key.client.is_active:
                status = "client inactive"
            else:
                status = "active"
            rows.append(
                (
                    key.client.name,
                    key.prefix,
                    f"{key.created_at:%Y-%m-%d %H:%M}",
                    f"{key.last_used_at:%Y-%m-%d %H:%M}" if key.last_used_at else "never",
                    status,
                )
            )
        if len(rows) == 1:
            self.stderr.write("No API keys.")
            return
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())

    def _revoke(self, options: dict[str, Any]) -> None:
        try:
            key = ApiKey.objects.select_related("client").get(prefix=options["prefix"])
        except ApiKey.DoesNotExist:
            raise CommandError(f"No API key with prefix {options['prefix']!r}.") from None
        if api_key_revoke(key=key, actor=_ACTOR):
            self.stderr.write(f"Revoked API key {key.prefix} of {key.client.name}.")
        else:
            self.stderr.write(f"API key {key.prefix} of {key.client.name} was already revoked.")

    def _rotate(self, options: dict[str, Any]) -> None:
        client = self._client(options["client"])
        raw, key = api_key_rotate(client=client, revoke_old=options["revoke_old"], actor=_ACTOR)
        self._print_new_key(raw, key)
        if options["revoke_old"]:
            self.stderr.write("The client's other keys are revoked.")
        else:
            self.stderr.write("The client's other keys still work: revoke them once it uses the new one.")
