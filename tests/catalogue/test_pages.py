"""The catalogue's pages: mentor index and search, mentor page, topic page, skills directory."""

from __future__ import annotations

import re
from datetime import time

import pytest

from core.catalogue.models import MentorIndexPage, SkillsDirectoryPage, TopicPage
from core.catalogue.services import mentor_rate

pytestmark = pytest.mark.django_db


def listed(response) -> list[int]:
    """User ids of the mentor cards on a page, in order."""
    return [int(n) for n in re.findall(r'<article class="card[^"]*" data-mentor="(\d+)"', response.content.decode())]


@pytest.fixture
def catalogue(make_mentor, skills):
    """Four live mentors and one draft, across currencies, languages, skills and ratings."""
    return {
        "ana": make_mentor(
            "Ana Silva",
            skills=[skills["python"], skills["django"]],
            languages=["en", "pt"],
            rate=3000,
            currency="USD",
            rating="4.80",
            rating_count=10,
            headline="Backend web development",
            bio="Ten years of building web shops.",
        ),
        "ben": make_mentor(
            "Ben Okafor",
            skills=[skills["guitar"]],
            languages=["en"],
            rate=2000,
            currency="EUR",
            rating="3.90",
            rating_count=4,
            headline="Rock and blues guitar",
        ),
        "chi": make_mentor(
            "Chitra Iyer",
            skills=[skills["python"], skills["calculus"]],
            languages=["hi", "en"],
            rate=150000,
            currency="INR",
            headline="Maths with code",
        ),
        "dan": make_mentor(
            "Dana Kim", skills=[skills["spanish"]], languages=["es"], rate=4000, currency="JPY", headline="Spanish"
        ),
        "draft": make_mentor("Eve Draft", skills=[skills["python"]], live=False),
    }


def test_index_lists_live_mentors_best_rated_first(client, catalogue):
    response = client.get("/mentors/")
    assert response.status_code == 200
    ids = listed(response)
    assert ids[:2] == [catalogue["ana"].user_id, catalogue["ben"].user_id]
    assert set(ids) == {catalogue[k].user_id for k in ("ana", "ben", "chi", "dan")}
    html = response.content.decode()
    assert "$30.00 / hour" in html and "₹1,500.00 / hour" in html and "¥4,000 / hour" in html
    assert "Eve Draft" not in html


def test_index_page_model_serves_search_at_its_own_url(client, catalogue, mentor_index):
    assert mentor_index.url == "/mentors/"
    response = client.get("/mentors/?q=guitar")
    assert listed(response) == [catalogue["ben"].user_id]


def test_search_without_index_page_still_works(client, make_mentor, mentor_index):
    ana = make_mentor("Ana Silva")
    MentorIndexPage.objects.filter(pk=mentor_index.pk).update(live=False)
    response = client.get("/mentors/")
    assert response.status_code == 200
    assert "Find a mentor" in response.content.decode()
    assert listed(response) == []  # the mentors under an unpublished index are not public either
    assert ana.live


SEARCH_CASES = [
    ("q=web+shops", ["ana"]),  # bio
    ("q=blues", ["ben"]),  # headline
    ("q=Chitra", ["chi"]),  # the mentor's name
    ("q=calculus", ["chi"]),  # a skill name
    ("q=pyth", ["ana", "chi"]),  # prefix fallback
    ("skill=python", ["ana", "chi"]),
    ("skill=python&skill=calculus", ["chi"]),  # all of the skills
    ("language=hi", ["chi"]),
    ("language=en", ["ana", "ben", "chi"]),
    # bounds in USD, the reference: 30 USD, 20 EUR = 22.22, 1500 INR = 17.86, 4000 JPY = 26.67 USD
    ("min_price=25", ["ana", "dan"]),
    ("max_price=25", ["ben", "chi"]),
    ("min_price=21&max_price=35", ["ana", "ben", "dan"]),
    ("price_currency=INR&max_price=1600", ["chi"]),  # 20 EUR = 1867 INR, 4000 JPY = 2240 INR
    ("currency=EUR", ["ben"]),
    ("min_rating=4", ["ana"]),
    ("min_rating=3.5", ["ana", "ben"]),
    ("q=python&language=hi", ["chi"]),
]


def test_search_filters(client, catalogue, exchange_rates):
    # One catalogue for all cases: building it is the slow part.
    for query, expected in SEARCH_CASES:
        response = client.get(f"/mentors/?{query}")
        assert response.status_code == 200
        assert sorted(listed(response)) == sorted(catalogue[name].user_id for name in expected), query


def test_search_free_time_filter_uses_availability(client, catalogue):
    from core.scheduling.models import WeeklyRule

    for weekday in range(7):
        WeeklyRule.objects.create(mentor=catalogue["ben"].user, weekday=weekday, start_time=time(0), end_time=time(0))
    response = client.get("/mentors/?free_within_days=3")
    assert listed(response) == [catalogue["ben"].user_id]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("skill=underwater-basket-weaving", "skill"),
        ("language=xx", "language"),
        ("min_price=cheap", "min_price"),
        ("max_price=-1", "max_price"),
        ("min_price=50&max_price=10", "max_price"),
        ("min_rating=6", "min_rating"),
        ("free_within_days=0", "free_within_days"),
        ("currency=ABC", "currency"),
    ],
)
def test_search_page_names_a_bad_filter(client, skills, mentor_index, query, param):
    response = client.get(f"/mentors/?{query}")
    assert response.status_code == 200
    assert f'data-filter-error="{param}"' in response.content.decode()
    assert listed(response) == []


def test_search_paginates(client, make_mentor, mentor_index):
    mentor_index.per_page = 2
    mentor_index.save_revision().publish()
    for n in range(5):
        make_mentor(f"Mentor {n}")
    first = client.get("/mentors/")
    third = client.get("/mentors/?page=3")
    assert len(listed(first)) == 2 and len(listed(third)) == 1
    assert 'rel="next"' in first.content.decode()


def test_mentor_page_shows_profile_booking_link_and_group_sessions(client, catalogue, make_session, skills):
    ana = catalogue["ana"]
    make_session(ana.user, "Django for beginners", skills=[skills["django"]], capacity=6, price=1500)
    from core.scheduling.models import Session

    # At other times: the database refuses overlapping sessions of one mentor (on PostgreSQL).
    make_session(ana.user, "Private 1:1", capacity=1, origin=Session.SLOT, in_hours=52)
    make_session(ana.user, "Cancelled one", status=Session.CANCELLED, in_hours=56)
    response = client.get(ana.url)
    html = response.content.decode()
    assert response.status_code == 200
    for text in ("Ana Silva", "Backend web development", "Ten years of building web shops.", "$30.00 / hour"):
        assert text in html
    assert "Portuguese" in html and "Python" in html and "Django" in html
    assert f'href="/mentors/{ana.user_id}/book/"' in html
    assert "Django for beginners" in html and "$15.00" in html
    assert "Private 1:1" not in html and "Cancelled one" not in html
    assert "4.8" in html


def test_mentor_address_by_user_id_redirects_to_the_page(client, catalogue):
    response = client.get(f"/mentors/{catalogue['ana'].user_id}/")
    assert response.status_code == 302 and response["Location"] == catalogue["ana"].url
    assert client.get(f"/mentors/{catalogue['draft'].user_id}/").status_code == 404


def test_topic_page_groups_mentors_and_sessions_by_skill(client, catalogue, site_root, skills, make_session):
    topic = TopicPage(title="Programming", slug="programming", intro="Code with people who ship.")
    topic.skills = [skills["python"]]
    site_root.add_child(instance=topic)
    topic.save_revision().publish()
    make_session(catalogue["chi"].user, "Python for maths", skills=[skills["python"]])
    make_session(catalogue["ben"].user, "Guitar basics", skills=[skills["guitar"]])

    response = client.get("/programming/")
    html = response.content.decode()
    assert response.status_code == 200
    assert sorted(listed(response)) == sorted([catalogue["ana"].user_id, catalogue["chi"].user_id])
    assert "Python for maths" in html and "Guitar basics" not in html
    assert "Eve Draft" not in html


def test_topic_page_without_sessions_says_so(client, site_root, skills):
    topic = TopicPage(title="Music", slug="music")
    topic.skills = [skills["guitar"]]
    site_root.add_child(instance=topic)
    topic.save_revision().publish()
    response = client.get("/music/")
    assert "No upcoming sessions." in response.content.decode()
    assert "No mentor teaches these skills yet." in response.content.decode()


def test_skills_directory_counts_live_mentors(client, catalogue, site_root):
    directory = SkillsDirectoryPage(title="Skills", slug="skills")
    site_root.add_child(instance=directory)
    directory.save_revision().publish()
    html = client.get("/skills/").content.decode()
    python = re.search(r'data-skill="python">.*?data-count>(\d+) mentor', html, re.S)
    guitar = re.search(r'data-skill="guitar">.*?data-count>(\d+) mentor', html, re.S)
    assert python.group(1) == "2"  # Ana and Chitra; the draft does not count
    assert guitar.group(1) == "1"
    assert 'data-category="Programming"' in html and 'href="/mentors/?skill=python"' in html


def test_mentor_rate_is_the_live_price(catalogue, make_mentor):
    assert mentor_rate(catalogue["chi"].user) == (150000, "INR")
    assert mentor_rate(catalogue["draft"].user) is None
    unpriced = make_mentor("Free Spirit", rate=0)
    assert mentor_rate(unpriced.user_id) is None
