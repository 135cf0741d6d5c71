"""Site (HTML) URLs of core.pricing, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "pricing"
urlpatterns = [
    path("payments/checkout/<int:booking_id>/coupon/", views.apply_coupon, name="apply_coupon"),
    path("payments/checkout/<int:booking_id>/covered/", views.confirm_covered, name="confirm_covered"),
    path("payments/receipts/", views.receipts_page, name="receipts"),
    path("payments/receipts/<str:number>.pdf", views.receipt_download, name="receipt_pdf"),
    path("payments/coupons/", views.mentor_coupons, name="mentor_coupons"),
    path("payments/statement/", views.mentor_statement, name="statement"),
]
