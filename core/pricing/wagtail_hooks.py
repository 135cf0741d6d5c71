"""The "Coupons & receipts" menu of the Wagtail admin.

Coupons are edited here (codes, percentage or fixed amount, validity,
limits, restrictions, who bears the discount); uses are counted by the
service and never typed in. Receipts and credit notes are listed, filtered,
exported (CSV/XLSX through the spreadsheet-safe writer) and downloaded as
PDF, never edited. The service fee and tax are the "Fees, tax and receipts"
site setting.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet, ModelViewSetGroup
from wagtail.admin.widgets.button import Button
from wagtail.permissions import register_permission_policy

from core.payments.wagtail_hooks import MoneyColumn, ReadOnlyPolicy, ReadOnlyViewSet

from .models import Coupon, CouponRedemption, Receipt

for _model in (Receipt, CouponRedemption):
    register_permission_policy(_model, ReadOnlyPolicy(_model))


def _discount(coupon: Coupon) -> str:
    if coupon.kind == Coupon.PERCENT:
        return f"{coupon.percent.normalize():f} %"
    from core.scheduling.currency import format_money

    return format_money(coupon.amount_minor or 0, coupon.currency)


def _uses(coupon: Coupon) -> str:
    if coupon.max_uses:
        return gettext("%(uses)s of %(max_uses)s") % {"uses": coupon.uses, "max_uses": coupon.max_uses}
    return str(coupon.uses)


class CouponViewSet(ModelViewSet):
    model = Coupon
    name = "pricing_coupon"
    url_prefix = "pricing/coupons"
    icon = "tag"
    menu_label = _("Coupons")
    menu_order = 100
    copy_view_enabled = False
    inspect_view_enabled = True
    list_display = [
        "code",
        Column("discount", label=_("Discount"), accessor=_discount),
        Column("bearer", label=_("Paid by"), accessor="get_bearer_display"),
        Column("uses", label=_("Used"), accessor=_uses),
        "valid_until",
        "active",
    ]
    list_filter = ["active", "kind", "bearer", "first_booking_only"]
    list_export = ["code", "kind", "percent", "amount_minor", "currency", "bearer", "uses", "max_uses", "valid_until"]
    export_filename = "coupons"


class RedemptionViewSet(ReadOnlyViewSet):
    model = CouponRedemption
    name = "pricing_redemption"
    url_prefix = "pricing/redemptions"
    icon = "list-ul"
    menu_label = _("Coupon uses")
    menu_order = 110
    list_display = [
        "__str__",
        "learner",
        MoneyColumn("discount", field="discount_minor", label=_("Discount")),
        Column("status", label=_("Status"), accessor="get_status_display"),
        "created_at",
    ]
    list_filter = ["status", "bearer", "currency"]
    list_export = ["id", "coupon", "booking_id", "learner_id", "discount_minor", "currency", "bearer", "status"]
    export_filename = "coupon-uses"


class ReceiptIndexView(generic.IndexView):
    def get_list_more_buttons(self, instance):
        buttons = list(super().get_list_more_buttons(instance))
        url = reverse("pricing:receipt_pdf", args=[instance.number])
        buttons.append(Button(_("Download PDF"), url=url, icon_name="download", priority=5))
        return buttons


class ReceiptViewSet(ReadOnlyViewSet):
    model = Receipt
    name = "pricing_receipt"
    url_prefix = "pricing/receipts"
    icon = "doc-full-inverse"
    menu_label = _("Receipts")
    menu_order = 120
    index_view_class = ReceiptIndexView
    list_display = [
        "number",
        Column("kind", label=_("Kind"), accessor="get_kind_display"),
        Column("buyer", label=_("Buyer"), accessor="buyer_name"),
        MoneyColumn("tax", field="tax_minor", label=_("Tax")),
        MoneyColumn("total", field="total_minor", label=_("Total")),
        "issued_at",
    ]
    list_filter = ["kind", "currency"]
    list_export = [
        "number",
        "kind",
        "issued_at",
        "booking_id",
        "purchase_id",
        "subscription_invoice_id",
        "payment_id",
        "refund_id",
        "buyer_name",
        "buyer_tax_id",
        "currency",
        "net_minor",
        "tax_minor",
        "total_minor",
        "tax_label",
    ]
    export_filename = "receipts"
    inspect_view_fields = [
        "number",
        "kind",
        "issued_at",
        "booking",
        "purchase",
        "subscription_invoice",
        "payment",
        "refund",
        "seller",
        "buyer_details",
        "lines",
        "currency",
        "net_minor",
        "tax_minor",
        "total_minor",
        "tax_label",
    ]


class PricingGroup(ModelViewSetGroup):
    menu_label = _("Coupons & receipts")
    menu_icon = "tag"
    menu_order = 260
    items = (CouponViewSet, RedemptionViewSet, ReceiptViewSet)


@hooks.register("register_admin_viewset")
def register_pricing_viewsets():
    return PricingGroup()
