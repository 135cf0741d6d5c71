"""Site (HTML) URLs of core.payments, included at the root by peerlearn.urls."""

app_name = "payments"
urlpatterns: list = []
