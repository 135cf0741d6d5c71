"""REST endpoints of core.payments, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("payments/gateways/", api.GatewayListView.as_view(), name="api-payment-gateways"),
    path("bookings/<int:pk>/", api.BookingDetailView.as_view(), name="api-booking"),
    path("bookings/<int:pk>/pay/", api.BookingPayView.as_view(), name="api-booking-pay"),
    path("bookings/<int:pk>/refund/", api.BookingRefundView.as_view(), name="api-booking-refund"),
    path("earnings/", api.EarningsView.as_view(), name="api-earnings"),
]
