"""The words of the site's own pages (How it works, About), as editors get them on a new site.

They are ordinary Wagtail content pages: ``seed_pages`` writes this content only into a page whose
body is still empty, so an editor's changes are never overwritten by a later ``seed_demo``.
"""

from __future__ import annotations

from typing import Any

HOW_IT_WORKS_INTRO = (
    "PeerLearn connects people who want to learn a skill with people who already use it: "
    "you find a mentor, book a time that is really free, meet in the browser, and rate the session."
)

HOW_IT_WORKS_BODY: list[tuple[str, Any]] = [
    ("heading", "For learners"),
    (
        "features",
        [
            {
                "title": "Find a mentor",
                "text": "Search by skill, language, price, rating and free time. Prices are compared in the "
                "currency you choose, and every mentor page shows the mentor's hours in your time zone.",
            },
            {
                "title": "Book a time",
                "text": "Pick a one-to-one slot or a seat in a group session. A slot you book is yours alone: "
                "two people can never hold the same time.",
            },
            {
                "title": "Pay safely",
                "text": "A paid seat is held for you while you pay. The booking is confirmed when the payment "
                "provider confirms the payment, and you get an email and a calendar invitation.",
            },
            {
                "title": "Meet in the browser",
                "text": "The room opens a few minutes before the start: video, chat and screen sharing, "
                "with nothing to install. Only the mentor and the learners of the session can join.",
            },
            {
                "title": "Rate the session",
                "text": "After the session, rate it from the room or from your dashboard. Ratings are "
                "checked by the editors, then shown on the mentor's page and used for recommendations.",
            },
        ],
    ),
    ("heading", "For mentors"),
    (
        "features",
        [
            {
                "title": "Sign up as a mentor",
                "text": "Choose \u201cMentor others\u201d when you sign up, or add the role later on your profile.",
            },
            {
                "title": "Create your public page",
                "text": "Write a headline and a short bio, choose your skills and languages, and set your "
                "hourly rate. The editors approve the page before it appears in the search.",
            },
            {
                "title": "Set your hours",
                "text": "Give your weekly availability in your own time zone, with days off and extra hours. "
                "Learners only see times that are really free, in their own zone.",
            },
            {
                "title": "Teach and get paid",
                "text": "Run one-to-one sessions or group sessions with a seat limit. Your earnings page "
                "shows every payment, the platform's commission and your payouts.",
            },
        ],
    ),
    ("heading", "Good to know"),
    (
        "paragraph",
        "<ul>"
        "<li><b>Time zones.</b> Every time on the site is shown in your time zone: the one in your profile "
        "once you have an account, your browser's before that. The zone is named next to the times.</li>"
        "<li><b>Cancelling and moving.</b> You can cancel or move a booking from your dashboard; the "
        "booking page says until when you get a full refund.</li>"
        "<li><b>Privacy.</b> Nothing is recorded in the room, and the site loads no fonts, scripts or "
        "trackers from other companies; only the payment step talks to the payment provider you choose.</li>"
        "</ul>",
    ),
    (
        "call_to_action",
        {
            "title": "Ready to start?",
            "text": "Create a free account as a learner, a mentor, or both.",
            "button_label": "Create your account",
            "button_url": "/accounts/signup/",
        },
    ),
]

ABOUT_INTRO = "PeerLearn is an open mentoring marketplace that anyone can run: learn from people who have done it."

ABOUT_BODY: list[tuple[str, Any]] = [
    ("heading", "Why PeerLearn"),
    (
        "paragraph",
        "<p>The fastest way to learn a skill is often an hour with someone who uses it every day. "
        "PeerLearn makes that hour easy to find, book and hold: a mentor sets a price and their hours, "
        "a learner books a time that suits both, and they meet in the browser.</p>"
        "<p>Mentors set their own prices in their own currency; the platform keeps a small commission "
        "on each paid session to run the site.</p>",
    ),
    ("heading", "What we care about"),
    (
        "features",
        [
            {
                "title": "Honest listings",
                "text": "Mentor pages and reviews are checked by the editors before they are published.",
            },
            {
                "title": "Your time, your zone",
                "text": "Availability is kept in the mentor's zone and shown in yours, across daylight saving changes.",
            },
            {
                "title": "Open source",
                "text": "PeerLearn is free software built on Wagtail and Django. Payment providers, video "
                "and recommendations are plugins that any site can swap.",
            },
        ],
    ),
    ("heading", "Contact"),
    (
        "paragraph",
        "<p>Questions about a booking? Write to your mentor or learner from the booking page. For anything "
        "else, the editors of this site can be reached through the address in your confirmation emails.</p>",
    ),
]

SITE_PAGES: list[dict[str, Any]] = [
    {"slug": "how-it-works", "title": "How it works", "intro": HOW_IT_WORKS_INTRO, "body": HOW_IT_WORKS_BODY},
    {"slug": "about", "title": "About PeerLearn", "intro": ABOUT_INTRO, "body": ABOUT_BODY},
]
