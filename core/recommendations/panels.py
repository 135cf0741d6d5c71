"""An admin panel for the weights of families plugins declare, which exist only while their plugins do."""

from __future__ import annotations

from django.utils.functional import cached_property
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.panels.base import get_form_for_model

from .families import FIELD_PREFIX


class DeclaredFamilyWeightsPanel(MultiFieldPanel):
    """Shows the form's ``family_weight__<name>`` fields, one per declared family.

    The form adds those fields per request (the families of the site's enabled
    plugins), so the panel finds its children in the bound form rather than in
    a fixed list; with no declared family it is not shown at all.
    """

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("children", ())
        super().__init__(*args, **kwargs)

    class BoundPanel(MultiFieldPanel.BoundPanel):
        @cached_property
        def _names(self) -> list[str]:
            fields = getattr(self.form, "fields", None) or {}
            return [name for name in fields if name.startswith(FIELD_PREFIX)]

        @cached_property
        def children(self):
            return [
                FieldPanel(name)
                .bind_to_model(self.panel.model)
                .get_bound_panel(
                    instance=self.instance, request=self.request, form=self.form, prefix=f"{self.prefix}-child-{name}"
                )
                for name in self._names
            ]

        @cached_property
        def visible_children_with_identifiers(self):
            return [(child, name) for child, name in zip(self.children, self._names, strict=True) if child.is_shown()]


class VariantsInlinePanel(InlinePanel):
    """The experiment's variants, each form with a weight field per family a loaded plugin declares."""

    def get_form_options(self):
        from .weight_forms import ExperimentVariantForm

        options = super().get_form_options()
        formset = options["formsets"][self.relation_name]
        child = self.child_edit_handler.get_form_options()
        formset["form"] = get_form_for_model(
            self.db_field.related_model,
            form_class=ExperimentVariantForm,
            fields=child.get("fields", []),
            **(
                {"defer_required_on_fields": child["defer_required_on_fields"]}
                if child.get("defer_required_on_fields")
                else {}
            ),
        )
        return options
