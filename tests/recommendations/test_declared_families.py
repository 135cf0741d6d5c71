"""A recommender plugin declares a blend family of its own: checked at load, weighed by editors, blended.

The plugins live in ``family_plugins.py`` and are installed as a real
distribution (``family_dist/``, entry points included) for each test.
"""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from wagtail.models import Site

from core.plugins import RecommenderFamily
from core.plugins.manager import get_manager, reset_manager
from core.plugins.models import PluginConfiguration, PluginError
from core.recommendations import families, services, store
from core.recommendations.models import Experiment, RecommendationSettings
from peerlearn_testing import RecommenderContract
from tests.recommendations import family_plugins as declaring

FAMILY_DIST = Path(__file__).parent / "family_dist"
SETTINGS_URL = "/admin/settings/recommendations/recommendationsettings/{}/"
FORM = {
    "weight_content": "0.4",
    "weight_collaborative": "0.3",
    "weight_popularity": "0.2",
    "weight_trending": "0.1",
    "diversity_lambda": "1.0",
    "exploration_share": "0",
    "new_mentor_days": "30",
    "availability_horizon_days": "14",
    "dismiss_days": "90",
}


def _install() -> None:
    sys.path.insert(0, str(FAMILY_DIST))
    importlib.invalidate_caches()
    reset_manager()
    store.forget_loaded()


def _uninstall() -> None:
    if str(FAMILY_DIST) in sys.path:
        sys.path.remove(str(FAMILY_DIST))
    importlib.invalidate_caches()
    reset_manager()
    store.forget_loaded()


@pytest.fixture
def family_plugins(db):
    declaring.FAVOURITE["item"] = ""
    _install()
    yield get_manager()
    _uninstall()
    declaring.FAVOURITE["item"] = ""


@pytest.fixture
def admin_client(client, user_factory):
    client.force_login(user_factory(display_name="Admin", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def site():
    return Site.objects.get(is_default_site=True)


def _settings_page(admin_client, site) -> str:
    response = admin_client.get(SETTINGS_URL.format(site.pk))
    assert response.status_code == 200
    return response.content.decode()


def _save_settings(admin_client, site, *, others: float | None = None, **values):
    """Post the settings form; families other installed plugins declare keep their weight (or get ``others``)."""
    current = RecommendationSettings.for_site(site).declared_weights().declared
    kept = {f"family_weight__{name}": str(w if others is None else others) for name, w in current.items()}
    response = admin_client.post(SETTINGS_URL.format(site.pk), {**FORM, **kept, **values})
    assert response.status_code in (200, 302)
    return response


# --- loading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("family", "reason"),
    [
        (RecommenderFamily("streaks", "Streaks", 0.5, "fine"), ""),
        (RecommenderFamily("s2_ok", "Ok", 0), ""),
        (RecommenderFamily("trending", "Mine", 0.1), "clashes with a built-in family"),
        (RecommenderFamily("x", "Too short", 0.1), "must be 2 to 40 lower-case"),
        (RecommenderFamily("Caps", "Caps", 0.1), "must be 2 to 40 lower-case"),
        (RecommenderFamily("9lives", "Digit first", 0.1), "must be 2 to 40 lower-case"),
        (RecommenderFamily("a" * 41, "Long", 0.1), "must be 2 to 40 lower-case"),
        (RecommenderFamily("blank", "  ", 0.1), "needs a label"),
        (RecommenderFamily("nan", "NaN", float("nan")), "must be a number from 0 to 100"),
        (RecommenderFamily("huge", "Huge", 101), "must be a number from 0 to 100"),
        (RecommenderFamily("yes", "Bool", True), "must be a number from 0 to 100"),
        (RecommenderFamily("text", "Text", "0.3"), "must be a number from 0 to 100"),  # type: ignore[arg-type]
        (RecommenderFamily("desc", "Desc", 0.1, None), "description must be text"),  # type: ignore[arg-type]
    ],
)
def test_a_declaration_is_checked_on_its_own(family, reason):
    problem = family.problem()
    assert (reason in problem) if reason else problem == ""


def test_invalid_declarations_disable_their_plugin_with_a_logged_reason(caplog):
    caplog.set_level(logging.ERROR, logger="peerlearn.plugins")
    sys.path.insert(0, str(FAMILY_DIST))
    importlib.invalidate_caches()
    reset_manager()
    try:
        manager = get_manager()  # loading must not raise, whatever the declarations say
        plugins = manager.plugins
        assert plugins["test_family_streaks"].loaded
        assert "clashes with a built-in family" in plugins["test_family_clash"].load_error
        assert "default_weight -1.0 must be a number from 0 to 100" in plugins["test_family_bad_weight"].load_error
        assert "family name 'Bad Name!'" in plugins["test_family_bad_name"].load_error
        assert (
            "recommender family 'streaks' is already declared by plugin test_family_streaks"
            in plugins["test_family_taken"].load_error
        )
        for name in ("test_family_clash", "test_family_bad_weight", "test_family_bad_name", "test_family_taken"):
            assert not plugins[name].loaded and not manager.is_enabled(name)
            assert any(name in r.getMessage() and "not loaded" in r.getMessage() for r in caplog.records)
        declared = manager.declared_families()  # other installed plugins may declare families too
        assert declared["streaks"][0] == "test_family_streaks" and not {"content", "negative"} & set(declared)
    finally:
        _uninstall()


def test_manage_plugins_lists_a_rejected_declaration_with_its_reason(family_plugins, capsys):
    call_command("plugins", "--json")
    listed = {p["name"]: p for p in json.loads(capsys.readouterr().out)}
    assert "clashes with a built-in family" in listed["test_family_clash"]["load_error"]


def test_a_recommender_naming_an_undeclared_family_is_left_out_and_charged(family_plugins, site):
    keys = {rec.key for _, rec in store.recommenders(site.pk)}
    assert "test_streaks" in keys and "test_stray" not in keys
    error = PluginError.objects.get(plugin="test_family_stray")
    assert "family 'nowhere'" in error.message and error.kind == "bad_result"


# --- the admin and the blend --------------------------------------------------------------


def test_a_declared_family_appears_in_the_admin_with_its_default_weight(family_plugins, admin_client, site):
    page = _settings_page(admin_client, site)
    assert "Learning streaks" in page and "Keeps a learner&#x27;s streak of sessions going." in page
    assert 'name="family_weight__streaks"' in page and 'value="0.5"' in page
    overview = admin_client.get(reverse("recommendations_admin:index")).content.decode()
    assert "Blend families" in overview and "Learning streaks" in overview and "test_family_streaks" in overview
    conf = RecommendationSettings.for_site(site)
    assert conf.family_weights == {}  # nothing stored until an editor saves
    weights = conf.declared_weights().as_dict()
    assert list(weights)[:4] == ["content", "collaborative", "popularity", "trending"]
    assert {k: weights[k] for k in ("content", "collaborative", "popularity", "trending", "streaks")} == {
        "content": 0.4,
        "collaborative": 0.3,
        "popularity": 0.2,
        "trending": 0.1,
        "streaks": 0.5,
    }


def test_the_admin_refuses_a_bad_declared_weight_and_stores_nothing(family_plugins, admin_client, site):
    response = _save_settings(admin_client, site, family_weight__streaks="-2")
    assert response.status_code == 200 and "family_weight__streaks" in response.context["form"].errors
    zero = {name: "0" for name in ("weight_content", "weight_collaborative", "weight_popularity", "weight_trending")}
    response = _save_settings(admin_client, site, others=0, family_weight__streaks="0", **zero)
    assert response.status_code == 200 and "At least one blend weight" in response.content.decode()
    assert RecommendationSettings.for_site(site).family_weights == {}
    # Only a declared family's weight may carry the blend on its own.
    response = _save_settings(admin_client, site, others=0, family_weight__streaks="1", **zero)
    assert response.status_code == 302
    assert RecommendationSettings.for_site(site).family_weights["streaks"] == 1.0


def test_an_editor_changes_the_weight_and_the_blend_follows(family_plugins, fitted, admin_client, site):
    bo = f"mentor:{fitted['bo'].pk}"
    declaring.FAVOURITE["item"] = bo
    outcomes = store.refit(site.pk)
    assert {o.key: o.ok for o in outcomes}["test_streaks"]

    _save_settings(admin_client, site, family_weight__streaks="0")
    assert RecommendationSettings.for_site(site).family_weights["streaks"] == 0.0
    quiet = services.recommend(fitted["newcomer"], limit=5, explore=False)
    assert "test_streaks" in quiet.models  # it answered...
    assert all("test_streaks" not in r.item.parts for r in quiet.items)  # ...but weighs nothing
    assert quiet.items[0].candidate.key != bo

    _save_settings(admin_client, site, family_weight__streaks="50")
    assert RecommendationSettings.for_site(site).family_weights["streaks"] == 50.0
    loud = services.recommend(fitted["newcomer"], limit=5, explore=False)
    first = loud.items[0]
    assert first.candidate.key == bo and first.item.parts["test_streaks"] > 0
    assert first.item.explanation == "Keeps your learning streak going"


def test_removing_the_plugin_keeps_the_others_working_and_its_weight(family_plugins, fitted, admin_client, site):
    declaring.FAVOURITE["item"] = f"mentor:{fitted['bo'].pk}"
    store.refit(site.pk)
    _save_settings(admin_client, site, family_weight__streaks="7")

    # Disabled on the site: gone from the admin and the blend, the stored weight kept.
    PluginConfiguration.objects.update_or_create(
        site=site, plugin="test_family_streaks", defaults={"enabled": False, "settings": {}, "secrets": {}}
    )
    store.forget_loaded()
    names = [f.name for f in families.active(site.pk)]
    assert names[:4] == ["content", "collaborative", "popularity", "trending"] and "streaks" not in names
    assert "family_weight__streaks" not in _settings_page(admin_client, site)
    result = services.recommend(fitted["newcomer"], limit=5)
    assert result.items and "test_streaks" not in result.models
    assert all("test_streaks" not in r.item.parts for r in result.items)
    _save_settings(admin_client, site, weight_content="0.5")  # saving without the family keeps its weight
    conf = RecommendationSettings.for_site(site)
    assert conf.weight_content == 0.5 and conf.family_weights["streaks"] == 7.0
    assert "streaks" not in conf.declared_weights().declared

    # Uninstalled altogether: the same, and nothing breaks.
    _uninstall()
    assert "family_weight__streaks" not in _settings_page(admin_client, site)
    assert services.recommend(fitted["newcomer"], limit=5).items
    assert RecommendationSettings.for_site(site).family_weights["streaks"] == 7.0

    # Back again and enabled: the family returns with the weight the editor gave it.
    _install()
    again = PluginConfiguration.objects.get(site=site, plugin="test_family_streaks")
    again.enabled = True
    again.save()  # as the Plugins page does (its signal drops the cached configuration)
    page = _settings_page(admin_client, site)
    assert 'name="family_weight__streaks"' in page and 'value="7.0"' in page
    assert RecommendationSettings.for_site(site).declared_weights().of("streaks") == 7.0


# --- A/B experiments ---------------------------------------------------------------------


def _variant_form(site_id, variant):
    data = {
        "name": "Streaks first",
        "site": str(site_id),
        "description": "",
        "active": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
        "variants-0-ORDER": "1",
        "variants-0-DELETE": "",
        "variants-0-id": "",
    }
    data.update({f"variants-0-{k}": str(v) for k, v in variant.items()})
    return data


def test_an_experiment_variant_weighs_a_declared_family(family_plugins, fitted, admin_client, site):
    declaring.FAVOURITE["item"] = f"mentor:{fitted['bo'].pk}"
    store.refit(site.pk)
    url = reverse("wagtailsnippets_recommendations_experiment:add")
    page = admin_client.get(url).content.decode()
    assert "Learning streaks" in page and "family_weight__streaks" in page

    bad = admin_client.post(
        url, _variant_form(site.pk, {"name": "a", "traffic_share": 100, "family_weight__streaks": -1})
    )
    assert (
        bad.status_code == 200 and "family_weight__streaks" in bad.context["form"].formsets["variants"].forms[0].errors
    )
    assert not Experiment.objects.exists()

    response = admin_client.post(
        url, _variant_form(site.pk, {"name": "streaks", "traffic_share": 100, "family_weight__streaks": 1})
    )
    assert response.status_code == 302
    variant = Experiment.objects.get().variants.get()
    assert variant.family_weights == {"streaks": 1.0}
    weights = variant.weights
    assert weights is not None and weights.as_dict()["streaks"] == 1.0 and weights.content == 0.0

    result = services.recommend(fitted["newcomer"], limit=5)
    assert result.variant == "streaks"
    assert result.items[0].candidate.key == f"mentor:{fitted['bo'].pk}"
    assert all(set(r.item.parts) <= {"test_streaks"} for r in result.items)

    edit = admin_client.get(reverse("wagtailsnippets_recommendations_experiment:edit", args=[variant.experiment_id]))
    assert 'value="1.0"' in edit.content.decode()
    report = admin_client.get(reverse("recommendations_admin:experiment_report", args=[variant.experiment_id]))
    assert "streaks: 1.0" in report.content.decode()


# --- the contract suite, run against the declaring plugin --------------------------------


class TestStreaksPassesTheRecommenderContract(RecommenderContract):
    @pytest.fixture
    def peerlearn_plugin(self):
        _install()
        yield "test_family_streaks"
        _uninstall()
