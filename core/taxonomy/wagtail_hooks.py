from django.utils.translation import gettext_lazy as _
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .models import Skill


class SkillViewSet(SnippetViewSet):
    model = Skill
    icon = "tag"
    menu_label = _("Skills")
    menu_order = 250
    add_to_admin_menu = True
    list_display = ["name", "category", "slug"]
    list_filter = ["category"]
    search_fields = ["name", "description"]


register_snippet(SkillViewSet)
