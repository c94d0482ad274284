"""Settings read from the environment: the typed helpers, and the production deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from icsvoice.env import env_bool, env_int, env_list, env_str

REPO_ROOT = Path(__file__).resolve().parents[2]

# Everything settings.py reads, so the subprocess sees only what each test sets.
SETTINGS_PREFIXES = (
    "DJANGO_",
    "ICSVOICE_",
    "DATABASE_",
    "REDIS_",
    "CELERY_",
    "EMAIL_",
    "AXES_",
    "DEFAULT_FROM_EMAIL",
)


# --- env helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_env_bool_reads_true(monkeypatch, value):
    monkeypatch.setenv("ICSVOICE_TEST_FLAG", value)
    assert env_bool("ICSVOICE_TEST_FLAG", False) is True


@pytest.mark.parametrize("value", ["0", "false", "No", "off"])
def test_env_bool_reads_false(monkeypatch, value):
    monkeypatch.setenv("ICSVOICE_TEST_FLAG", value)
    assert env_bool("ICSVOICE_TEST_FLAG", True) is False


def test_env_bool_unset_gives_default(monkeypatch):
    monkeypatch.delenv("ICSVOICE_TEST_FLAG", raising=False)
    assert env_bool("ICSVOICE_TEST_FLAG", True) is True


@pytest.mark.parametrize("value", ["", "  "])
def test_env_bool_empty_gives_default_so_it_cannot_switch_off_two_factor(monkeypatch, value):
    monkeypatch.setenv("ICSVOICE_REQUIRE_MFA", value)
    assert env_bool("ICSVOICE_REQUIRE_MFA", True) is True


def test_env_bool_refuses_a_word_it_does_not_know_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("ICSVOICE_HTTPS", "enabled")
    with pytest.raises(ImproperlyConfigured, match="ICSVOICE_HTTPS") as error:
        env_bool("ICSVOICE_HTTPS", False)
    assert "'enabled'" in str(error.value)


def test_env_int_reads_a_whole_number(monkeypatch):
    monkeypatch.setenv("EMAIL_PORT", "2525")
    assert env_int("EMAIL_PORT", 587) == 2525


@pytest.mark.parametrize("value", ["", "   "])
def test_env_int_blank_gives_default(monkeypatch, value):
    monkeypatch.setenv("EMAIL_PORT", value)
    assert env_int("EMAIL_PORT", 587) == 587


@pytest.mark.parametrize("value", ["five", "2.5", "587a"])
def test_env_int_refuses_what_is_not_a_whole_number_and_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("AXES_FAILURE_LIMIT", value)
    with pytest.raises(ImproperlyConfigured, match="AXES_FAILURE_LIMIT") as error:
        env_int("AXES_FAILURE_LIMIT", 5)
    assert repr(value) in str(error.value)


def test_env_str_without_default_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("ICSVOICE_TEST_REQUIRED", raising=False)
    with pytest.raises(ImproperlyConfigured, match="ICSVOICE_TEST_REQUIRED"):
        env_str("ICSVOICE_TEST_REQUIRED")


def test_env_str_empty_counts_as_unset(monkeypatch):
    monkeypatch.setenv("ICSVOICE_TEST_VALUE", "")
    assert env_str("ICSVOICE_TEST_VALUE", "fallback") == "fallback"


def test_env_list_splits_on_commas_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOWED_HOSTS", " icsvoice.example.nhs.uk, .nhs.uk ,, ")
    assert env_list("DJANGO_ALLOWED_HOSTS", ["localhost"]) == ["icsvoice.example.nhs.uk", ".nhs.uk"]


# --- manage.py check --deploy with production settings ----------------------------------------


def production_env(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """The variables a production host sets (as in .env.example), on SQLite in tmp_path so no
    database server is needed: the deploy checks never connect to the database or Redis."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(SETTINGS_PREFIXES)}
    env.update(
        {
            "DJANGO_SECRET_KEY": "test-" + "k3Y9vQ2mZx7LpR4tW8nB" * 3,
            "DJANGO_ALLOWED_HOSTS": "icsvoice.example.nhs.uk",
            "ICSVOICE_SITE_URL": "https://icsvoice.example.nhs.uk",
            "ICSVOICE_HTTPS": "1",
            "ICSVOICE_BEHIND_PROXY": "1",
            "ICSVOICE_VAR_DIR": str(tmp_path / "var"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'icsvoice.sqlite3'}",
            "REDIS_URL": "redis://127.0.0.1:6379/0",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
            "EMAIL_HOST": "smtp.example.nhs.uk",
        }
    )
    env.update(overrides)
    return env


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_passes_with_production_settings(tmp_path):
    result = check_deploy(production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_debug_on(tmp_path):
    result = check_deploy(production_env(tmp_path, DJANGO_DEBUG="1"))
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # "You should not have DEBUG set to True"


def test_check_deploy_fails_without_https(tmp_path):
    result = check_deploy(production_env(tmp_path, ICSVOICE_HTTPS="0"))
    assert result.returncode != 0
    assert "security.W008" in result.stderr  # SECURE_SSL_REDIRECT
    assert "security.W004" in result.stderr  # HSTS


def test_settings_refuse_a_bad_boolean_at_startup(tmp_path):
    result = check_deploy(production_env(tmp_path, ICSVOICE_HTTPS="maybe"))
    assert result.returncode != 0
    assert "ICSVOICE_HTTPS must be true or false" in result.stderr
