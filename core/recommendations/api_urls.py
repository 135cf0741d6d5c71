"""REST endpoints of core.recommendations, included under /api/ by core.api.urls."""

urlpatterns: list = []
