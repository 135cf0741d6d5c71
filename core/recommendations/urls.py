"""Site (HTML) URLs of core.recommendations, included at the root by peerlearn.urls."""

app_name = "recommendations"
urlpatterns: list = []
