"""REST endpoints of core.scheduling, included under /api/ by core.api.urls."""

urlpatterns: list = []
