import pytest

from ipclab import start


def test_default_is_the_platforms_first_method(monkeypatch):
    monkeypatch.delenv(start.ENV_VAR, raising=False)
    assert start.start_method() == start.available_methods()[0]


@pytest.mark.parametrize("method", start.available_methods())
def test_env_var_selects_the_context(monkeypatch, method):
    monkeypatch.setenv(start.ENV_VAR, method)
    assert start.start_method() == method
    assert start.context().get_start_method() == method


def test_a_typo_is_an_error_not_a_silent_default(monkeypatch):
    monkeypatch.setenv(start.ENV_VAR, "forck")
    with pytest.raises(ValueError, match="forck"):
        start.start_method()
