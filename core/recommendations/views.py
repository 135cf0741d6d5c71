"""The "Recommended for you" page."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView


class RecommendationsPage(LoginRequiredMixin, TemplateView):
    """The full list; the lists themselves come from the template tags (one code path)."""

    template_name = "recommendations/index.html"
