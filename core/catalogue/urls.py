"""Site (HTML) URLs of core.catalogue, included at the root by peerlearn.urls."""

app_name = "catalogue"
urlpatterns: list = []
