"""Whether a person may open the Wagtail admin, kept per person.

Every signed-in page asks it (the Wagtail userbar is on the base template), and
Django answers it with two queries over the person's and their groups'
permissions. The answer is kept (:func:`core.pages.cache.cached_part`) until a
permission, a group or a membership changes (``permissions``, bumped here) or
the person is saved (``site``: superuser and active flags).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db.models.signals import m2m_changed, post_delete, post_save

from core.pages.cache import bump_on_commit, cached_part

ADMIN_PERMISSION = "wagtailadmin.access_admin"
PERMISSIONS_TAG = "permissions"


def may_open_admin(user) -> bool:
    """``user.has_perm("wagtailadmin.access_admin")``, from the cache after the first time."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return cached_part(
        "admin-access", [user.pk], [PERMISSIONS_TAG, "site"], lambda: bool(user.has_perm(ADMIN_PERMISSION))
    )


def permissions_changed(sender, **kwargs) -> None:
    if kwargs.get("action", "post_").startswith("post_"):
        bump_on_commit(PERMISSIONS_TAG)


def connect(user_model) -> None:
    """Called once from ``AccountsConfig.ready``."""
    uid = "accounts-admin-access-"
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"{uid}{through._meta.label}")
    for model in (Group, Permission):
        for signal in (post_save, post_delete):
            signal.connect(permissions_changed, sender=model, dispatch_uid=f"{uid}{signal}-{model._meta.label}")
