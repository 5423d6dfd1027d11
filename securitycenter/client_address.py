"""The caller's address, as far as the proxies in front of the service vouch for it.

Behind a load balancer the socket address (`REMOTE_ADDR`) is the balancer's for every customer, so a
per-address limit would lock everyone out at once. Each trusted proxy appends the address it saw to
`X-Forwarded-For`; entries further left were written by the client and prove nothing. With
`TRUSTED_PROXY_COUNT` = N the client is the N-th entry from the right; with 0 (the default, for a service
that faces the clients itself) the header is ignored. django-ipware does the parsing: its `proxy_count`
counts the proxies *between* the client and the last one, hence N - 1, and never strictly, so a client
that sends a forged header of its own still gets the address our proxies saw.

The client's country comes the same way: there is no GeoIP database here, but the edge proxy knows (a CDN
or load balancer sets a header such as `CF-IPCountry`). `CLIENT_COUNTRY_HEADER` names it; it is read only
when trusted proxies are configured and the request came through them, because anywhere else the header
is the client's own word.
"""

import re
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


_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Codes CDNs send for "not a country": unknown, Tor.
_NOT_COUNTRIES: Final = frozenset({"XX", "T1", "ZZ"})


def _through_trusted_proxies(request: Any) -> bool:
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return False
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    return len(hops) >= proxies


def client_country(request: Any) -> str | None:
    """The client's ISO 3166-1 alpha-2 country as the trusted proxy saw it, or None when nobody trusted says."""
    header: str = settings.CLIENT_COUNTRY_HEADER
    if not header or not _through_trusted_proxies(request):
        return None
    value = str(request.META.get("HTTP_" + header.upper().replace("-", "_"), "")).strip().upper()
    return value if _COUNTRY.match(value) and value not in _NOT_COUNTRIES else None
