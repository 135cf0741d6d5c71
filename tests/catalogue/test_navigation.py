"""Finding your way: topic pages are linked from the skills directory, whose category headings are links."""

from __future__ import annotations

import pytest

from core.catalogue.models import SkillsDirectoryPage, TopicPage

pytestmark = pytest.mark.django_db


def test_skills_directory_links_topics_and_category_headings(client, site_root, skills, make_mentor):
    make_mentor("Ana Silva", skills=[skills["python"], skills["guitar"]])
    directory = SkillsDirectoryPage(title="Skills", slug="skills")
    site_root.add_child(instance=directory)
    directory.save_revision().publish()
    topic = TopicPage(title="Programming", slug="programming")
    topic.skills = [skills["python"], skills["django"]]
    site_root.add_child(instance=topic)
    topic.save_revision().publish()

    html = client.get("/skills/").content.decode()
    assert 'href="/programming/" class="chip' in html  # "Browse by topic"
    # A category with a topic page links to it; one without links to a search of its skills.
    assert f'<a href="{topic.url}" class="text-slate-900 underline' in html
    assert f'href="/mentors/?skill={skills["guitar"].slug}" class="text-slate-900 underline' in html
    # and the main navigation reaches the directory from every page
    assert 'href="/skills/" class="nav-link" aria-current="page"' in html
