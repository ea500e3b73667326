"""The app factory and ``/healthz``."""

import pytest

from slaengine.config import load_settings
from slaengine.errors import ConfigError
from slaengine.scheduler import jobs, run_job
from web import create_app


@pytest.fixture
def app(database, tmp_path):
    return create_app(
        {"TESTING": True, "DATABASE": database, "SLAENGINE_INSTANCE": str(tmp_path)}
    )


def test_factory_builds_independent_apps_with_a_persistent_secret(database, tmp_path):
    first = create_app({"DATABASE": database, "SLAENGINE_INSTANCE": str(tmp_path)})
    second = create_app({"DATABASE": database, "SLAENGINE_INSTANCE": str(tmp_path)})
    assert first is not second
    assert first.secret_key == second.secret_key
    assert (tmp_path / "secret_key").read_text().strip() == first.secret_key
    assert first.config["SESSION_COOKIE_HTTPONLY"] is True


def test_healthz_reports_database_and_a_stopped_scheduler(app):
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json["database"] == "ok"
    assert response.json["scheduler"]["running"] is False


def test_healthz_sees_the_scheduler_once_its_sweep_has_run(app, database):
    settings = app.extensions["slaengine.settings"]
    for job in jobs(settings):
        run_job(job, database, settings)
    body = app.test_client().get("/healthz").json
    assert body["scheduler"]["running"] is True
    assert set(body["scheduler"]["jobs"]) == {
        "sla-sweep",
        "outbox-delivery",
        "follow-the-sun",
        "mail-intake",
    }
    assert body["scheduler"]["jobs"]["sla-sweep"]["last_error"] is None


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path):
    app = create_app(
        {
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
            "SLAENGINE_INSTANCE": str(tmp_path),
        }
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PORT": "http"}, "PORT must be a whole number, got 'http'"),
        ({"PORT": "70000"}, "PORT must be between 1 and 65535, got 70000"),
        ({"DATABASE_URL": "::nonsense"}, "DATABASE_URL is not a database URL"),
        ({"SWEEP_INTERVAL_SECONDS": "0"}, "SWEEP_INTERVAL_SECONDS must be between"),
        ({"SWEEP_WORKERS": "0"}, "SWEEP_WORKERS must be between 1 and 16, got 0"),
        ({"PUBLIC_URL": "support.example"}, "PUBLIC_URL must be an http:// or"),
        ({"PUBLIC_URL": "ftp://support.example"}, "PUBLIC_URL must be an http:// or"),
        ({"PUBLIC_URL": "https://support.example:web"}, "PUBLIC_URL has a bad port"),
        ({"PUBLIC_URL": "https://support.example/?a=1"}, "must not have a query"),
    ],
)
def test_bad_configuration_names_the_setting(tmp_path, env, message):
    with pytest.raises(ConfigError, match=message):
        load_settings({"SLAENGINE_INSTANCE": str(tmp_path), **env})


def test_public_url_defaults_to_where_the_app_listens(tmp_path):
    instance = {"SLAENGINE_INSTANCE": str(tmp_path)}
    assert load_settings(instance).public_url == "http://127.0.0.1:5000"
    assert (
        load_settings({**instance, "HOST": "10.0.0.5", "PORT": "8080"}).public_url
        == "http://10.0.0.5:8080"
    )
    given = {**instance, "PUBLIC_URL": "https://help.example/desk/"}
    assert load_settings(given).public_url == "https://help.example/desk"
