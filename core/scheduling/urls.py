"""Site (HTML) URLs of core.scheduling, included at the root by peerlearn.urls."""

app_name = "scheduling"
urlpatterns: list = []
