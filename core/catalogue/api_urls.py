"""REST endpoints of core.catalogue, included under /api/ by core.api.urls."""

urlpatterns: list = []
