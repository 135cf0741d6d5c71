"""Wagtail admin of the catalogue: review moderation, and the mentor workflow on new index pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.widgets.button import MenuItem
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet

from .models import ExchangeRate, MentorIndexPage, Review
from .profiles import assign_workflow
from .reviews import ReviewError, moderate_review


class ReviewPermissionPolicy(ModelPermissionPolicy):
    """Reviews come from learners through the site or the API, never from the admin's "add" form."""

    def user_has_permission(self, user, action):
        if action == "add":
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)


register_permission_policy(Review, ReviewPermissionPolicy(Review))


class ReviewIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if self.permission_policy.user_has_permission(self.request.user, "change"):
            for action, label, icon, skip in (
                ("approve", _("Approve"), "check", Review.APPROVED),
                ("reject", _("Reject"), "cross", Review.REJECTED),
            ):
                if instance.status != skip:
                    url = reverse("catalogue_review_moderate", args=[instance.pk, action])
                    buttons.append(MenuItem(label, url=url, icon_name=icon, priority=5))
        return buttons


class ReviewEditView(EditView):
    """Saving the edit form goes through the moderation service, so the mentor's rating follows."""

    def save_instance(self):
        instance = self.form.instance
        return moderate_review(instance.pk, instance.status, self.request.user, instance.moderation_note)


class ReviewViewSet(SnippetViewSet):
    model = Review
    icon = "pick"
    menu_label = _("Reviews")
    menu_order = 260
    add_to_admin_menu = True
    index_view_class = ReviewIndexView
    edit_view_class = ReviewEditView
    list_display = ["__str__", "rating", "status", "created"]
    list_filter = ["status", "rating"]
    search_fields = ["comment"]
    ordering = ["status", "-created"]
    inspect_view_enabled = True


register_snippet(ReviewViewSet)


class ExchangeRateViewSet(SnippetViewSet):
    """Editors keep the rates the mentor search compares prices with (Settings-like, under Snippets)."""

    model = ExchangeRate
    icon = "doc-full"
    menu_label = _("Exchange rates")
    menu_order = 270
    add_to_settings_menu = True
    list_display = ["currency", "per_reference", "updated_at"]
    ordering = ["currency"]


register_snippet(ExchangeRateViewSet)


def moderate_review_view(request, pk: int, action: str):
    """Approve or reject one review: a confirmation page on GET, the change on POST."""
    if not request.user.has_perm("catalogue.change_review"):
        raise PermissionDenied
    review = get_object_or_404(Review.objects.select_related("mentor", "learner", "booking__session"), pk=pk)
    status = {"approve": Review.APPROVED, "reject": Review.REJECTED}.get(action)
    if status is None:
        raise PermissionDenied
    if request.method == "POST":
        try:
            moderate_review(review.pk, status, request.user, request.POST.get("note", ""))
        except ReviewError as exc:
            messages.error(request, exc.message)
        else:
            approved = status == Review.APPROVED
            done = gettext("Review %(pk)s approved.") if approved else gettext("Review %(pk)s rejected.")
            messages.success(request, done % {"pk": review.pk})
        return redirect(reverse("wagtailsnippets_catalogue_review:list"))
    title = gettext("Approve review") if status == Review.APPROVED else gettext("Reject review")
    return TemplateResponse(
        request,
        "catalogue/admin/moderate_review.html",
        {
            "review": review,
            "action": action,
            "header_title": title,
            "page_title": title,
            "header_icon": "pick",
            "list_url": reverse("wagtailsnippets_catalogue_review:list"),
        },
    )


@hooks.register("register_admin_urls")
def review_moderation_urls():
    return [path("reviews/<int:pk>/<slug:action>/", moderate_review_view, name="catalogue_review_moderate")]


@hooks.register("after_create_page")
def give_mentor_index_its_workflow(request, page):
    """A mentor index page created in the admin moderates its mentors' pages at once."""
    if isinstance(page.specific, MentorIndexPage):
        assign_workflow(page.specific)
