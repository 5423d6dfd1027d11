"""Form plumbing shared by the console's pages: every control labelled, its error tied to it for screen readers."""

from typing import Any

from django import forms


class ConsoleForm(forms.Form):
    """A form whose invalid fields say so to assistive technology (aria-invalid, aria-describedby)."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                attrs: dict[str, Any] = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"id_{self.prefix + '-' if self.prefix else ''}{name}-error"
