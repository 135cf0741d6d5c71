"""REST endpoints of core.payments, included under /api/ by core.api.urls."""

urlpatterns: list = []
