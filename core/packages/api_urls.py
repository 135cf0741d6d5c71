"""REST endpoints of core.packages, included under /api/ by core.api.urls."""

from django.urls import path

from . import api

urlpatterns = [
    path("packages/", api.PackageListView.as_view(), name="api-packages"),
    path("packages/<int:pk>/", api.PackageDetailView.as_view(), name="api-package"),
    path("packages/<int:pk>/purchase/", api.PackagePurchaseView.as_view(), name="api-package-purchase"),
    path("credits/", api.CreditListView.as_view(), name="api-credits"),
    path("credits/<int:pk>/book/", api.CreditBookView.as_view(), name="api-credit-book"),
    path("credits/<int:pk>/refund/", api.CreditRefundView.as_view(), name="api-credit-refund"),
]
