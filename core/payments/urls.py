"""Site (HTML) URLs of core.payments, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("payments/webhooks/<slug:gateway>/", views.webhook, name="webhook"),
    path("payments/checkout/<int:booking_id>/", views.checkout_page, name="checkout"),
    path("payments/checkout/<int:booking_id>/result/", views.result_page, name="result"),
    path("payments/checkout/<int:booking_id>/status/", views.status_endpoint, name="status"),
    path("payments/checkout/<int:booking_id>/<slug:gateway>/", views.pay_page, name="pay"),
    path("payments/checkout/<int:booking_id>/<slug:gateway>/return/", views.return_endpoint, name="return"),
    path("payments/earnings/", views.earnings_page, name="earnings"),
]
