"""Site (HTML) URLs of core.packages, included at the root by peerlearn.urls."""

from django.urls import path

from . import views

app_name = "packages"
urlpatterns = [
    path("packages/mine/", views.mentor_packages, name="mine"),
    path("packages/mine/<int:pk>/", views.mentor_package_edit, name="edit"),
    path("packages/<int:pk>/buy/", views.buy, name="buy"),
    path("packages/purchases/<int:pk>/pay/<slug:gateway>/", views.pay, name="pay"),
    path("packages/purchases/<int:pk>/", views.purchase_result, name="result"),
    path("packages/credits/", views.my_credits, name="credits"),
    path("packages/credits/<int:pk>/book/", views.book_with_credit, name="book"),
    path("packages/credits/<int:pk>/refund/", views.refund_unused, name="refund"),
]
