"""The "Session packages" menu of the Wagtail admin.

Editors create and change any mentor's packages (prices per currency inline),
and read purchases and credit uses (filtered, exported), never edit them:
credits move through the services only. What happens to unused credits is
the "Session packages" site setting.
"""

from __future__ import annotations

from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.permissions import register_permission_policy

from core.payments.wagtail_hooks import ReadOnlyPolicy, ReadOnlyViewSet
from core.scheduling.currency import format_money

from .models import CreditUse, Package, PackagePurchase

for _model in (PackagePurchase, CreditUse):
    register_permission_policy(_model, ReadOnlyPolicy(_model))


def _refund_link(purchase: PackagePurchase) -> str:
    if purchase.status not in (PackagePurchase.PAID, PackagePurchase.EXPIRED) or not purchase.credits_left:
        return ""
    url = reverse("packages_admin:refund_unused", args=[purchase.pk])
    return format_html('<a class="button button-small button-secondary" href="{}">{}</a>', url, _("Refund unused"))


def _prices(package: Package) -> str:
    return " · ".join(price.display for price in package.prices.all())


class PackageViewSet(ModelViewSet):
    model = Package
    name = "packages_package"
    url_prefix = "packages/packages"
    icon = "tasks"
    menu_label = _("Packages")
    menu_order = 100
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "title",
        Column("mentor", label=_("Mentor"), accessor="mentor"),
        "sessions",
        "duration_minutes",
        Column("prices", label=_("Prices"), accessor=_prices),
        "active",
    ]
    list_filter = ["active", "duration_minutes"]
    list_export = ["id", "title", "mentor_id", "sessions", "duration_minutes", "validity_days", "active"]
    export_filename = "packages"
    search_fields = ["title"]


class PurchaseViewSet(ReadOnlyViewSet):
    model = PackagePurchase
    name = "packages_purchase"
    url_prefix = "packages/purchases"
    icon = "doc-full"
    menu_label = _("Purchases")
    menu_order = 110
    list_display = [
        "__str__",
        Column("price", label=_("Price"), accessor=lambda p: format_money(p.price_minor, p.currency)),
        Column("credits", label=_("Credits left"), accessor=lambda p: f"{p.credits_left} / {p.sessions}"),
        Column("status", label=_("Status"), accessor="get_status_display"),
        "expires_at",
        Column("refund", label="", accessor=_refund_link),
    ]
    list_filter = ["status", "currency"]
    list_export = [
        "id",
        "package_id",
        "learner_id",
        "mentor_id",
        "status",
        "sessions",
        "credits_left",
        "credits_refunded",
        "credits_forfeited",
        "price_minor",
        "currency",
        "paid_at",
        "expires_at",
    ]
    export_filename = "package-purchases"


class CreditUseViewSet(ReadOnlyViewSet):
    model = CreditUse
    name = "packages_credituse"
    url_prefix = "packages/credit-uses"
    icon = "date"
    menu_label = _("Credit uses")
    menu_order = 120
    list_display = ["__str__", Column("status", label=_("Status"), accessor="get_status_display"), "created_at"]
    list_filter = ["status"]
    list_export = ["id", "purchase_id", "booking_id", "status", "created_at", "settled_at"]
    export_filename = "credit-uses"


class PackagesGroup(ModelViewSetGroup):
    menu_label = _("Session packages")
    menu_icon = "tasks"
    menu_order = 265
    items = (PackageViewSet, PurchaseViewSet, CreditUseViewSet)


@hooks.register("register_admin_viewset")
def register_packages_viewsets():
    return PackagesGroup()


@hooks.register("register_admin_urls")
def register_packages_admin_urls():
    from .admin_views import RefundUnusedView

    urls = [path("purchase/<int:pk>/refund-unused/", RefundUnusedView.as_view(), name="refund_unused")]
    return [path("packages-admin/", include((urls, "packages_admin"), namespace="packages_admin"))]
