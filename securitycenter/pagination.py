"""One pagination for every list a customer reads: opaque cursors, newest first, a bounded page size.

Cursors (not page numbers) because the lists grow at the head while the customer scrolls: a new
security-log entry must not shift the next page by one. A cursor that does not decode is a 400 naming the
`cursor` parameter (DRF's own answer is a 404, which would read as "no such list").
"""

import base64
from typing import Any

from django.utils.translation import gettext as _
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.request import Request

from securitycenter.serializers import invalid_field


class CustomerListPagination(CursorPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
    cursor_query_param = "cursor"
    ordering = ("-created_at", "-id")

    def decode_cursor(self, request: Request) -> Any:
        raw = request.query_params.get(self.cursor_query_param)
        try:
            # DRF's own decoding skips characters outside base64, so "%%%" would read as the first page.
            if raw is not None:
                base64.b64decode(raw.encode("ascii"), validate=True)
            return super().decode_cursor(request)
        except (NotFound, ValueError, UnicodeEncodeError):
            raise invalid_field("cursor", _("This cursor is not one the API gave out."), "invalid_cursor") from None

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        field = serializers.IntegerField(min_value=1, max_value=self.max_page_size)
        try:
            return int(field.run_validation(raw))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({self.page_size_query_param: exc.detail}) from None


def ordered_pagination(*fields: str) -> type[CustomerListPagination]:
    """The customer pagination over a list ordered by `fields` (the first is the cursor's position)."""
    return type(
        "CustomerListPagination_" + "_".join(f.lstrip("-") for f in fields),
        (CustomerListPagination,),
        {"ordering": fields},
    )
