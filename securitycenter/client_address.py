"""The caller's address, as far as the proxies in front of the service vouch for it.

Behind a load balancer the socket address (`REMOTE_ADDR`) is the balancer's for every customer, so a
per-address limit would lock everyone out at once. Each trusted proxy appends the address it saw to
`X-Forwarded-For`; entries further left were written by the client and prove nothing. With
`TRUSTED_PROXY_COUNT` = N the client is the N-th entry from the right; with 0 (the default, for a service
that faces the clients itself) the header is ignored. django-ipware does the parsing: its `proxy_count`
counts the proxies *between* the client and the last one, hence N - 1, and never strictly, so a client
that sends a forged header of its own still gets the address our proxies saw.
"""

from typing import Any, Final

from django.conf import settings
from ipware import get_client_ip

_PRECEDENCE: Final = ("HTTP_X_FORWARDED_FOR",)


def client_address(request: Any) -> str | None:
    """The client's IP address, or None if the request does not say."""
    peer: str | None = request.META.get("REMOTE_ADDR") or None
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return peer
    address, _routable = get_client_ip(
        request, proxy_order="left-most", proxy_count=proxies - 1, request_header_order=_PRECEDENCE, strict=False
    )
    # Fewer entries than proxies: the request did not come through them all (or they are misconfigured).
    return address or peer
