"""The "Plugins" pages of the Wagtail admin."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.models import Site

from . import breaker, config
from .forms import PluginConfigurationForm
from .manager import get_manager
from .models import PluginConfiguration, PluginError

PERMISSION = "plugins.change_pluginconfiguration"


class PluginAdminMixin(WagtailAdminTemplateMixin):
    header_icon = "cogs"

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        self.site = self._site(request)
        return super().dispatch(request, *args, **kwargs)

    @staticmethod
    def _site(request: HttpRequest) -> Site:
        site_id = request.GET.get("site") or request.POST.get("site")
        if site_id:
            try:
                return Site.objects.get(pk=int(site_id))
            except (ValueError, Site.DoesNotExist) as exc:
                raise Http404(gettext("No such site")) from exc
        site = Site.find_for_request(request) or Site.objects.filter(is_default_site=True).first()
        if site is None:
            raise Http404(gettext("No Wagtail site is configured"))
        return site

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse("plugins_admin:index"), "label": _("Plugins")},
        ]


class PluginIndexView(PluginAdminMixin, TemplateView):
    page_title = _("Plugins")
    template_name = "plugins/admin/index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        manager = get_manager()
        stored = config.stored_for_site(self.site.id)
        rows = []
        health = {
            name: checks
            for name, checks in manager.call("peerlearn_health", site_id=self.site.id)  # enabled plugins only
        }
        for plugin in sorted(manager.plugins.values(), key=lambda p: p.name):
            errors = PluginError.objects.for_site(self.site.id).filter(plugin=plugin.name)
            rows.append(
                {
                    "plugin": plugin,
                    "enabled": manager.is_enabled(plugin.name, self.site.id),
                    # Plugins declare their labels in English (marked for the catalogue); shown translated.
                    "missing": [
                        gettext(label)
                        for label in plugin.meta.missing_settings(manager.config_for(plugin.name, self.site.id))
                    ]
                    if plugin.loaded and plugin.meta
                    else [],
                    "unreadable": (stored.get(plugin.name) or {}).get("unreadable") or [],
                    "breaker_open": breaker.is_open(plugin.name, self.site.id),
                    "error_count": errors.count(),
                    "recent_errors": list(errors[:3]),
                    "health": health.get(plugin.name, ()),
                }
            )
        context.update(rows=rows, site=self.site, sites=Site.objects.all())
        return context


def takes_effect(kind: str) -> str:
    """When a saved change (settings, enabling) reaches people, by the plugin's kind."""
    if kind != "recommender":
        return gettext("Changes take effect at once: the next payment, room or event uses the new settings.")
    schedule = (getattr(settings, "CELERY_BEAT_SCHEDULE", {}).get("refit-recommenders") or {}).get("schedule")
    if isinstance(schedule, int | float):
        hours = float(schedule) / 3600
        every = ngettext("every %(hours)s hour", "every %(hours)s hours", max(1, round(hours))) % {
            "hours": f"{hours:g}"
        }
    else:
        every = gettext("on its schedule")
    return gettext(
        "Recommenders are fitted by the refit task, which runs %(every)s: a change to these settings, or "
        "enabling the plugin, reaches learners after the next refit. Refit now to apply it at once."
    ) % {"every": every}


class PluginEditView(PluginAdminMixin, TemplateView):
    template_name = "plugins/admin/edit.html"

    def setup(self, request: HttpRequest, *args, **kwargs) -> None:
        super().setup(request, *args, **kwargs)
        plugin = get_manager().plugins.get(kwargs["name"])
        if plugin is None:
            raise Http404(gettext("No such plugin"))
        self.plugin = plugin

    def get_page_title(self) -> str:
        return gettext(self.plugin.meta.name) if self.plugin.meta else self.plugin.name

    def _form(self, data=None) -> PluginConfigurationForm:
        configuration = PluginConfiguration.objects.filter(site=self.site, plugin=self.plugin.name).first()
        if configuration is None:
            configuration = PluginConfiguration(
                site=self.site, plugin=self.plugin.name, enabled=self.plugin.meta.enabled_by_default
            )
        return PluginConfigurationForm(self.plugin.meta, configuration, data)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", self._form())
        context.update(
            plugin=self.plugin,
            site=self.site,
            errors=PluginError.objects.for_site(self.site.id).filter(plugin=self.plugin.name)[:50],
            breaker_open=breaker.is_open(self.plugin.name, self.site.id),
            takes_effect=takes_effect(self.plugin.meta.kind) if self.plugin.meta else "",
            refits=bool(self.plugin.meta and self.plugin.meta.kind == "recommender"),
        )
        return context

    def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.plugin.loaded:
            messages.error(
                request,
                gettext("%(name)s is not loaded: %(load_error)s")
                % {"name": self.plugin.name, "load_error": self.plugin.load_error},
            )
        return super().get(request, *args, **kwargs)

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not self.plugin.loaded:
            messages.error(request, gettext("A plugin that is not loaded cannot be configured."))
            return redirect(self._url())
        if "reset_breaker" in request.POST:
            breaker.reset(self.plugin.name, self.site.id)
            messages.success(
                request,
                gettext("The circuit breaker was reset on %(site)s; the plugin is called again.") % {"site": self.site},
            )
            return redirect(self._url())
        form = self._form(request.POST)
        if form.is_valid():
            form.save()
            messages.success(
                request,
                gettext("Saved %(get_page_title)s for %(site)s.")
                % {"get_page_title": self.get_page_title(), "site": self.site},
            )
            return redirect(self._url())
        messages.error(request, gettext("The settings were not saved; correct the errors below."))
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def _url(self) -> str:
        return f"{reverse('plugins_admin:edit', args=[self.plugin.name])}?site={self.site.id}"
