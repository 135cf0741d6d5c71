"""The catalogue's demo seeders: idempotent pages for every demo mentor, and reviews of completed bookings."""

from __future__ import annotations

import pytest

from core.catalogue import demo, demo_reviews
from core.catalogue.models import MentorIndexPage, MentorPage, Review, SkillsDirectoryPage, TopicPage
from core.demo.seed import SeedContext, SeedReport, seed_pages, seed_people, seed_skills

pytestmark = pytest.mark.django_db


@pytest.fixture
def context():
    skills = seed_skills()
    mentors, learners = seed_people(skills, mentors=6, learners=3)
    return SeedContext(skills=skills, mentors=mentors, learners=learners, home=seed_pages(), report=SeedReport())


def test_seed_is_idempotent_and_complete(client, context):
    demo.seed(context)
    demo.seed(context)
    assert MentorIndexPage.objects.count() == 1
    pages = MentorPage.objects.live()
    assert pages.count() == 6 and context.report.counts["mentor pages"] == 6
    assert {p.currency for p in pages} >= {"USD", "EUR", "INR", "GBP"}
    for page in pages:
        assert set(page.skills.all()) == set(page.user.skills.all()) and page.headline and page.hourly_rate_minor
    assert TopicPage.objects.live().count() == len(demo.TOPICS)
    assert SkillsDirectoryPage.objects.live().count() == 1
    index = MentorIndexPage.objects.get()
    assert index.get_workflow().name == "Mentor profile moderation"
    assert client.get("/mentors/").status_code == 200
    assert client.get("/programming/").status_code == 200
    assert client.get("/skills/").status_code == 200


def test_seed_reviews_for_completed_bookings(context, make_booking):
    demo.seed(context)
    mentor = context.mentors[0]
    for learner in context.learners:
        make_booking(mentor, learner)
    demo_reviews.seed(context)
    demo_reviews.seed(context)
    assert Review.objects.count() == 3
    assert Review.objects.filter(status=Review.APPROVED).count() == 3
    page = MentorPage.objects.get(user=mentor)
    assert page.rating_count == 3 and page.rating_average > 0


def test_seed_gives_the_demo_currencies_exchange_rates(client, context):
    from core.catalogue.models import ExchangeRate

    demo.seed(context)
    demo.seed(context)
    assert set(ExchangeRate.objects.values_list("currency", flat=True)) == {"EUR", "GBP", "INR", "JPY"}
    # every demo mentor can be compared by price
    listed = client.get("/mentors/?max_price=100000&price_currency=USD").content.decode().count("data-mentor=")
    assert listed == 6


def test_how_it_works_and_about_are_real_editable_pages(client):
    from core.demo.seed import seed_pages
    from core.pages.models import ContentPage

    seed_pages()
    for slug, words in (
        ("how-it-works", ["For learners", "For mentors", "Create your public page"]),
        ("about", ["Why PeerLearn", "Open source"]),
    ):
        page = ContentPage.objects.get(slug=slug)
        assert page.live and len(page.body) >= 4
        html = client.get(f"/{slug}/").content.decode()
        for word in words:
            assert word in html, (slug, word)
    # an editor's change survives the next seeding; an empty page gets the content
    about = ContentPage.objects.get(slug="about")
    about.body = [("paragraph", "<p>Our own words.</p>")]
    about.save_revision().publish()
    how = ContentPage.objects.get(slug="how-it-works")
    how.body = []
    how.save_revision().publish()
    seed_pages()
    assert "Our own words." in client.get("/about/").content.decode()
    assert "For learners" in client.get("/how-it-works/").content.decode()
