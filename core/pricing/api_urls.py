"""REST endpoints of core.pricing, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("bookings/<int:pk>/quote/", api.BookingQuoteView.as_view(), name="api-booking-quote"),
    path("receipts/", api.ReceiptListView.as_view(), name="api-receipts"),
    path("receipts/<str:number>/pdf", api.ReceiptPdfView.as_view(), name="api-receipt-pdf"),
]
