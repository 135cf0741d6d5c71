"""The Payments menu of the Wagtail admin.

Payments, refunds, gateway events, payouts and the ledger are listed (with
filters; the ledger and payouts export to CSV/XLSX) but never edited here:
money changes only through the actions, which call the services (mark a
bank transfer paid, refund, mark a refund sent, record a payout, reconcile).
Flagged payments ("needs review") come first. The commission rate is the
"Payments" site setting.
"""

from __future__ import annotations

from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from core.scheduling.currency import format_money

from . import admin_views
from .models import LedgerEntry, Payment, Payout, Refund, WebhookEventRecord


class ReadOnlyPolicy(ModelPermissionPolicy):
    """Listing and inspecting only: money moves through the services, never through a form."""

    WRITE = {"add", "change", "delete"}

    def user_has_permission(self, user, action):
        if action in self.WRITE:
            return False
        return super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        return super().users_with_any_permission(set(actions) - self.WRITE or {"view"})


for _model in (Payment, Refund, WebhookEventRecord, Payout, LedgerEntry):
    register_permission_policy(_model, ReadOnlyPolicy(_model))


class ReadOnlyViewSet(ModelViewSet):
    """Index (with filters and CSV/XLSX export) and inspect views only: no add, edit, copy or delete."""

    inspect_view_enabled = True
    copy_view_enabled = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
        ]


class MoneyColumn(Column):
    def __init__(self, name: str = "amount", *, field: str = "amount_minor", label: str = _("Amount"), **kwargs):
        super().__init__(name, label=label, accessor=lambda obj: format_money(getattr(obj, field), obj.currency))


def _can(request, permission: str) -> bool:
    return request.user.has_perm(permission)


# --- payments ------------------------------------------------------------------------------


class PaymentIndexView(generic.IndexView):
    default_ordering = ["-needs_review", "-created_at"]

    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if not _can(self.request, admin_views.CHANGE_PAYMENT):
            return buttons
        here = self.request.get_full_path()
        if instance.status == Payment.PENDING and instance.reference:
            # Offline gateways (bank transfer) wait in "pending"; the service refuses the others.
            url = reverse("payments_admin:mark_paid", args=[instance.pk])
            buttons.append(Button(_("Mark paid"), url=f"{url}?next={here}", icon_name="tick", priority=5))
        if instance.status == Payment.SUCCEEDED:
            url = reverse("payments_admin:refund_payment", args=[instance.pk])
            buttons.append(Button(_("Refund…"), url=url, icon_name="resubmit", priority=15))
        if instance.needs_review:
            url = reverse("payments_admin:reviewed", args=[instance.pk])
            buttons.append(Button(_("Mark reviewed"), url=f"{url}?next={here}", icon_name="check", priority=25))
        return buttons


class PaymentViewSet(ReadOnlyViewSet):
    model = Payment
    name = "payments_payment"
    url_prefix = "payments/payments"
    icon = "doc-full"
    menu_label = _("Payments")
    menu_order = 100
    index_view_class = PaymentIndexView
    list_display = [
        "__str__",
        Column("booking", label=_("Booking"), accessor="booking_id"),
        Column("purchase", label=_("Package purchase"), accessor="purchase_id"),
        MoneyColumn(),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("needs_review", label=_("Review"), accessor=lambda p: _("⚠ needs review") if p.needs_review else ""),
        "created_at",
    ]
    list_filter = ["status", "gateway", "needs_review", "currency"]
    list_export = [
        "id",
        "booking_id",
        "purchase_id",
        "gateway",
        "reference",
        "amount_minor",
        "currency",
        "status",
        "needs_review",
        "created_at",
    ]
    export_filename = "payments"
    inspect_view_fields = [
        "booking",
        "purchase",
        "gateway",
        "plugin",
        "reference",
        "charge_reference",
        "amount",
        "commission",
        "status",
        "failure_message",
        "needs_review",
        "review_reason",
        "created_at",
        "succeeded_at",
    ]


# --- refunds -------------------------------------------------------------------------------


class RefundIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        if not _can(self.request, admin_views.CHANGE_PAYMENT):
            return buttons
        here = self.request.get_full_path()
        if instance.status == Refund.PENDING:
            url = reverse("payments_admin:refund_sent", args=[instance.pk])
            buttons.append(Button(_("Mark refund sent"), url=f"{url}?next={here}", icon_name="tick", priority=5))
        if instance.status == Refund.REQUESTED:
            url = reverse("payments_admin:refund_retry", args=[instance.pk])
            buttons.append(Button(_("Retry"), url=f"{url}?next={here}", icon_name="rotate", priority=5))
        return buttons


class RefundViewSet(ReadOnlyViewSet):
    model = Refund
    name = "payments_refund"
    url_prefix = "payments/refunds"
    icon = "resubmit"
    menu_label = _("Refunds")
    menu_order = 110
    index_view_class = RefundIndexView
    list_display = [
        "__str__",
        Column("payment", label=_("Payment"), accessor="payment_id"),
        MoneyColumn(),
        Column("status", label=_("Status"), accessor="get_status_display"),
        Column("reason", label=_("Why"), accessor="get_reason_display"),
        "created_at",
    ]
    list_filter = ["status", "reason", "currency"]
    list_export = ["id", "payment_id", "amount_minor", "currency", "status", "reason", "reference", "created_at"]
    inspect_view_fields = [
        "payment",
        "amount",
        "status",
        "reason",
        "note",
        "reference",
        "failure_message",
        "requested_by",
        "created_at",
        "settled_at",
    ]
    export_filename = "refunds"


# --- events, payouts, ledger ---------------------------------------------------------------------


class WebhookEventViewSet(ReadOnlyViewSet):
    model = WebhookEventRecord
    name = "payments_event"
    url_prefix = "payments/events"
    icon = "radio-empty"
    menu_label = _("Gateway events")
    menu_order = 120
    list_display = [
        "__str__",
        "gateway",
        "raw_type",
        Column("status", label=_("Status"), accessor="get_status_display"),
        "message",
        "received_at",
    ]
    list_filter = ["gateway", "status", "kind", "source"]
    inspect_view_fields = [
        "gateway",
        "event_id",
        "raw_type",
        "kind",
        "reference",
        "amount",
        "payment",
        "status",
        "message",
        "source",
        "payload",
        "received_at",
        "processed_at",
    ]


class PayoutViewSet(ReadOnlyViewSet):
    model = Payout
    name = "payments_payout"
    url_prefix = "payments/payouts"
    icon = "user"
    menu_label = _("Payouts")
    menu_order = 130
    list_display = ["__str__", "mentor", MoneyColumn(), "reference", "created_at"]
    list_filter = ["currency"]
    list_export = ["id", "mentor_id", "amount_minor", "currency", "reference", "created_at"]
    export_filename = "payouts"
    inspect_view_fields = ["mentor", "amount", "reference", "note", "created_by", "created_at"]


class LedgerViewSet(ReadOnlyViewSet):
    model = LedgerEntry
    name = "payments_ledger"
    url_prefix = "payments/ledger"
    icon = "table"
    menu_label = _("Ledger")
    menu_order = 140
    list_display = [
        "__str__",
        Column("booking", label=_("Booking"), accessor="booking_id"),
        Column("kind", label=_("Kind"), accessor="get_kind_display"),
        MoneyColumn(),
        "memo",
        "created_at",
    ]
    list_filter = ["kind", "currency"]
    list_export = [
        "id",
        "created_at",
        "kind",
        "amount_minor",
        "currency",
        "booking_id",
        "payment_id",
        "refund_id",
        "payout_id",
        "mentor_id",
        "memo",
    ]
    export_filename = "ledger"
    inspect_view_fields = ["kind", "amount", "booking", "payment", "refund", "payout", "mentor", "memo", "created_at"]


class PaymentsGroup(ModelViewSetGroup):
    menu_label = _("Payments")
    menu_icon = "doc-full"
    menu_order = 250
    items = (PaymentViewSet, RefundViewSet, WebhookEventViewSet, PayoutViewSet, LedgerViewSet)

    submenu_hook = "register_payments_menu_item"


class PermissionMenuItem(MenuItem):
    def __init__(self, *args, permission: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.permission = permission

    def is_shown(self, request) -> bool:
        return request.user.has_perm(self.permission)


@hooks.register("register_payments_menu_item")
def payouts_menu_item():
    return PermissionMenuItem(
        _("Payouts to make"),
        reverse("payments_admin:payouts"),
        icon_name="user",
        order=900,
        permission=admin_views.ADD_PAYOUT,
    )


@hooks.register("register_payments_menu_item")
def revenue_menu_item():
    return PermissionMenuItem(
        _("Revenue and commission"),
        reverse("payments_admin:revenue"),
        icon_name="table",
        order=910,
        permission=admin_views.VIEW_LEDGER,
    )


@hooks.register("register_admin_viewset")
def register_payments_viewsets():
    return PaymentsGroup()


@hooks.register("register_admin_urls")
def register_payments_admin_urls():
    urls = [
        path(
            "payment/<int:pk>/mark-paid/",
            admin_views.PaymentActionView.as_view(action="mark_paid", button=_("Yes, mark it paid")),
            name="mark_paid",
        ),
        path(
            "payment/<int:pk>/reviewed/",
            admin_views.PaymentActionView.as_view(action="reviewed", button=_("Mark reviewed")),
            name="reviewed",
        ),
        path("payment/<int:pk>/refund/", admin_views.RefundPaymentView.as_view(), name="refund_payment"),
        path(
            "refund/<int:pk>/sent/",
            admin_views.RefundActionView.as_view(action="sent", button=_("Yes, the money was sent")),
            name="refund_sent",
        ),
        path(
            "refund/<int:pk>/retry/",
            admin_views.RefundActionView.as_view(action="retry", button=_("Ask the gateway again")),
            name="refund_retry",
        ),
        path("payouts-due/", admin_views.PayoutsView.as_view(), name="payouts"),
        path("revenue/", admin_views.RevenueView.as_view(), name="revenue"),
        path("reconcile/", admin_views.ReconcileView.as_view(), name="reconcile"),
    ]
    return [path("payments-admin/", include((urls, "payments_admin"), namespace="payments_admin"))]
