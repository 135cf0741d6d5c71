"""The checkout form of an interactive gateway, built from the fields it declares."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from core.plugins import CheckoutField


def _form_field(declared: CheckoutField) -> forms.Field:
    attrs = {"autocomplete": "off", "spellcheck": "false"}
    if declared.placeholder:
        attrs["placeholder"] = declared.placeholder
    common = {"label": declared.label, "required": declared.required, "help_text": declared.help_text}
    if declared.kind == "choice":
        return forms.ChoiceField(choices=[("", "—"), *declared.choices], **common)
    widget = forms.EmailInput(attrs=attrs) if declared.kind == "email" else forms.TextInput(attrs=attrs)
    return forms.CharField(max_length=declared.max_length, widget=widget, strip=True, **common)


class CheckoutFieldsForm(forms.Form):
    """One form field per declared :class:`~core.plugins.CheckoutField`.

    The form only renders and collects: the payment service checks the values
    against the declaration (the same check as the API's), and its refusal is
    shown on the field at fault with :meth:`refused`.
    """

    def __init__(self, declared: Sequence[CheckoutField], *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for item in declared:
            self.fields[item.name] = _form_field(item)

    def inputs(self) -> dict[str, str]:
        """What the learner typed, declared fields only (undeclared POST keys are dropped)."""
        return {name: self.data.get(name, "") for name in self.fields}

    def refused(self, field: str | None, message: str) -> None:
        name = (field or "").removeprefix("inputs.")
        self.add_error(name if name in self.fields else None, message)
