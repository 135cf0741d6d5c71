"""Editors' action on a purchase: refund its unused credits (pro rata, through the gateway that took the money)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from core.api.refusals import Refusal
from core.payments.admin_views import ConfirmActionView, _back
from core.scheduling.currency import format_money

from .models import CreditRefund, PackagePurchase
from .services import credits


class RefundUnusedView(ConfirmActionView):
    permission = "payments.change_payment"
    button = _("Refund unused credits")

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        self.purchase = get_object_or_404(PackagePurchase.objects.select_related("package", "learner"), pk=kwargs["pk"])
        self.page_title = _("Package purchase %(pk)s") % {"pk": self.purchase.pk}

    def question_for(self) -> str:
        return _(
            "Refund the %(left)s unused credit(s) of “%(title)s” bought by %(learner)s for %(price)s, pro rata, and "
            "close the package? Credits already booked stay booked."
        ) % {
            "left": self.purchase.credits_left,
            "title": self.purchase.package.title,
            "learner": self.purchase.learner,
            "price": format_money(self.purchase.price_minor, self.purchase.currency),
        }

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        try:
            refund = credits.refund_unused(self.purchase, by=request.user, cause=CreditRefund.STAFF)
        except Refusal as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("Refund of %(amount)s: %(status)s.")
                % {"amount": format_money(refund.amount_minor, refund.currency), "status": refund.get_status_display()},
            )
        return _back(request, reverse("packages_purchase:index"))
