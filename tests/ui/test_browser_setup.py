"""Without Debian's Chromium the browser tests fail, saying how to install it: never a skip
that would let a machine without a browser pass them."""
import pytest

from tests.ui import conftest


@pytest.mark.parametrize("binary", ["CHROMIUM", "CHROMEDRIVER"])
def test_a_missing_browser_fails_with_the_install_command(monkeypatch, tmp_path, binary):
    monkeypatch.setattr(conftest, binary, str(tmp_path / "absent"))
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        conftest._driver(tmp_path / "profile")
