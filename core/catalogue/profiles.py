"""Mentors editing their own public page from the site, through Wagtail's moderation workflow.

Every save is a new revision submitted to the "Mentor profile moderation" workflow (assigned to the
mentor index page). The live page keeps showing the last approved revision until an editor approves
the new one in the Wagtail admin; approval publishes it. A mentor who has no page yet gets a draft one.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext
from wagtail.models import (
    Collection,
    GroupApprovalTask,
    Page,
    Site,
    Workflow,
    WorkflowPage,
    WorkflowState,
    WorkflowTask,
)
from wagtail.rich_text import RichText

from .models import MentorIndexPage, MentorPage

WORKFLOW_NAME = "Mentor profile moderation"
TASK_NAME = "Approve mentor profile"
MODERATOR_GROUPS = ("Moderators", "Editors")
PHOTO_COLLECTION = "Mentor photos"


class ProfileError(Exception):
    """The profile cannot be saved (for instance: the account is not a mentor)."""


# --- the workflow --------------------------------------------------------------------------------


def moderation_workflow() -> Workflow:
    """The mentor-profile workflow with its one group-approval task, created on first use."""
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME)
        task.groups.set(Group.objects.filter(name__in=MODERATOR_GROUPS))
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    return workflow


def assign_workflow(index: MentorIndexPage) -> Workflow:
    """Give the index page (and so every mentor page below it) the mentor workflow, unless an
    editor already chose another workflow for it."""
    existing = WorkflowPage.objects.filter(page=index).select_related("workflow").first()
    if existing is not None:
        return existing.workflow
    workflow = moderation_workflow()
    WorkflowPage.objects.create(page=index, workflow=workflow)
    return workflow


def mentor_index(site: Site | None = None) -> MentorIndexPage | None:
    """The live mentor index page of a site (the default site when none is given)."""
    site = site or Site.objects.filter(is_default_site=True).first()
    pages = MentorIndexPage.objects.live()
    if site is not None:
        in_site = pages.descendant_of(site.root_page, inclusive=True).first()
        if in_site is not None:
            return in_site
    return pages.first()


def get_or_create_mentor_index(site: Site | None = None) -> MentorIndexPage:
    """The index page under which mentor pages live; a published "Mentors" page at /mentors/ if none."""
    index = mentor_index(site)
    if index is None:
        site = site or Site.objects.filter(is_default_site=True).first()
        parent = site.root_page.specific if site else Page.get_first_root_node()
        index = MentorIndexPage(
            title="Mentors",
            slug="mentors",
            intro="Find a mentor by skill, language, price, rating and free time.",
        )
        parent.add_child(instance=index)
        index.save_revision().publish()
    assign_workflow(index)
    return index


# --- bio text <-> StreamField -------------------------------------------------------------------

_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def bio_from_text(text: str) -> list[tuple[str, Any]]:
    """A plain text (paragraphs separated by blank lines) as StreamField paragraph blocks."""
    blocks = []
    for paragraph in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()):
        paragraph = paragraph.strip()
        if paragraph:
            lines = "<br/>".join(html.escape(line.strip()) for line in paragraph.split("\n"))
            blocks.append(("paragraph", RichText(f"<p>{lines}</p>")))
    return blocks


def bio_to_text(bio: Any) -> str:
    """The bio as the plain text the site form edits (formatting an editor added is flattened)."""
    parts = []
    for block in bio or []:
        value = block.value
        if block.block_type == "paragraph":
            source = getattr(value, "source", str(value))
            source = _BREAK.sub("\n", source).replace("</p>", "\n\n").replace("</li>", "\n")
            parts.append(html.unescape(_TAG.sub("", source)).strip())
        elif block.block_type == "quote":
            parts.append(str(value).strip())
        else:
            parts.append(str(value).strip())
    return "\n\n".join(part for part in parts if part)


# --- a mentor's own page ------------------------------------------------------------------------


@dataclass
class ProfileStatus:
    """What the mentor sees about their page: is it live, is a change waiting, what did editors say."""

    page: MentorPage | None
    draft: MentorPage | None
    live: bool
    state: str  # "none", "draft", "pending", "changes_requested", "live"
    submitted_at: datetime | None = None
    comment: str = ""

    @property
    def label(self) -> str:
        return {
            "none": gettext("No profile page yet"),
            "draft": gettext("Draft: not submitted"),
            "pending": gettext("Pending review"),
            "changes_requested": gettext("Changes requested"),
            "live": gettext("Live"),
        }[self.state]


def mentor_page_for(user: Any) -> MentorPage | None:
    return MentorPage.objects.filter(user=user).select_related("photo").first()


def profile_status(user: Any) -> ProfileStatus:
    page = mentor_page_for(user)
    if page is None:
        return ProfileStatus(page=None, draft=None, live=False, state="none")
    draft = page.get_latest_revision_as_object() if page.latest_revision_id else page
    workflow_state = page.current_workflow_state
    if workflow_state is not None and workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        task_state = workflow_state.current_task_state
        comment = task_state.get_comment() if task_state else ""
        return ProfileStatus(page, draft, page.live, "changes_requested", workflow_state.created_at, comment)
    if workflow_state is not None:
        return ProfileStatus(page, draft, page.live, "pending", workflow_state.created_at)
    if page.live and not page.has_unpublished_changes:
        return ProfileStatus(page, draft, True, "live")
    return ProfileStatus(page, draft, page.live, "draft")


def _unique_slug(parent: Page, base: str) -> str:
    base = slugify(base)[:60] or "mentor"
    siblings = set(parent.get_children().values_list("slug", flat=True))
    slug, n = base, 2
    while slug in siblings:
        slug, n = f"{base}-{n}", n + 1
    return slug


def store_photo(user: Any, upload: Any) -> Any:
    """Keep an uploaded photo as a Wagtail image in the "Mentor photos" collection."""
    from wagtail.images import get_image_model

    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name=PHOTO_COLLECTION).first()
    if collection is None:
        collection = root.add_child(name=PHOTO_COLLECTION)
    image_model = get_image_model()
    image = image_model(
        title=f"Photo of {user.display_name or user.email}",
        file=upload,
        collection=collection,
        uploaded_by_user=user,
    )
    image.save()
    return image


def initial_profile(user: Any) -> dict[str, Any]:
    """What the edit form starts from: the latest draft, or the account's own profile the first time."""
    page = mentor_page_for(user)
    draft = (page.get_latest_revision_as_object() if page.latest_revision_id else page) if page else None
    if draft is None:
        return {
            "headline": "",
            "bio": user.bio,
            "skills": list(user.skills.all()),
            "languages": list(user.languages or []),
            "hourly_rate_minor": 0,
            "currency": MentorPage._meta.get_field("currency").get_default(),
            "photo": None,
        }
    return {
        "headline": draft.headline,
        "bio": bio_to_text(draft.bio),
        "skills": list(draft.skills.all()),
        "languages": list(draft.languages or []),
        "hourly_rate_minor": draft.hourly_rate_minor,
        "currency": draft.currency,
        "photo": draft.photo,
    }


@transaction.atomic
def submit_profile(
    user: Any,
    *,
    headline: str,
    bio_text: str,
    skills: list[Any],
    languages: list[str],
    hourly_rate_minor: int,
    currency: str,
    photo: Any = None,
    remove_photo: bool = False,
) -> MentorPage:
    """Save the mentor's changes as a new revision and submit it for moderation.

    ``photo`` is an already-stored Wagtail image (see :func:`store_photo`) or ``None`` to keep the
    current one. The live page does not change here: an editor's approval publishes the revision.
    """
    if not user.is_mentor:
        raise ProfileError(gettext("Only mentors have a public profile page: turn on the mentor role first."))
    page = MentorPage.objects.select_for_update().filter(user=user).first()
    if page is None:
        index = get_or_create_mentor_index()
        draft = MentorPage(
            title=user.display_name or "Mentor",
            slug=_unique_slug(index, user.display_name or f"mentor-{user.pk}"),
            user=user,
            live=False,
            owner=user,
        )
        _apply(draft, headline, bio_text, skills, languages, hourly_rate_minor, currency, photo, remove_photo)
        index.add_child(instance=draft)
        page = draft
    else:
        draft = page.get_latest_revision_as_object() if page.latest_revision_id else page
        draft.title = user.display_name or draft.title
        _apply(draft, headline, bio_text, skills, languages, hourly_rate_minor, currency, photo, remove_photo)
        if not page.live:
            draft.save()  # a never-published page has no live content to protect
    draft.save_revision(user=user, log_action=True)
    _submit(draft, user)
    return draft


def _apply(page, headline, bio_text, skills, languages, hourly_rate_minor, currency, photo, remove_photo) -> None:
    page.headline = headline.strip()
    page.bio = bio_from_text(bio_text)
    page.skills = list(skills)
    page.languages = list(dict.fromkeys(languages))
    page.hourly_rate_minor = int(hourly_rate_minor)
    page.currency = currency
    if photo is not None:
        page.photo = photo
    elif remove_photo:
        page.photo = None


def _submit(page: MentorPage, user: Any) -> WorkflowState:
    """Start moderation of the latest revision: resume after "changes requested", restart a
    review already under way (so editors judge the newest text), or start a new one."""
    state = page.current_workflow_state
    if state is not None and state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        state.resume(user)
        return state
    if state is not None:
        state.cancel(user=user)
    workflow = page.get_workflow()
    if workflow is None:
        workflow = assign_workflow(page.get_parent().specific)
    return workflow.start(page, user)
