"""unspin serve in a real browser: headless Chromium (Debian's chromium and chromium-driver) via Selenium.

.ci/run installs both; elsewhere the test is skipped when they are missing. Nothing is downloaded:
the system chromedriver is used.
"""

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = pytest.mark.skipif(not CHROMIUM or not CHROMEDRIVER.is_file(),
                                reason="headless Chromium not installed (apt-get install chromium chromium-driver)")
webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the [dev] extra)")
uvicorn = pytest.importorskip("uvicorn", reason="the [serve] extra is not installed")

from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

from unspin import Restorer  # noqa: E402
from unspin.server import create_app  # noqa: E402

PARAGRAPH = ("The White Home official mentioned Thursday that the warfare in Ukraine is nearing its fourth yr.\n"
             "Trump had informed reporters that the Related Press confirmed it.")


@pytest.fixture
def server_url(tiny_lexicon, unigram_scorer):
    restorer = Restorer(lexicons=[str(tiny_lexicon)], scorer=unigram_scorer)
    with socket.socket() as probe:  # a free port on the loopback interface
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(restorer), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,900"):
        options.add_argument(argument)
    if os.geteuid() == 0:  # Chromium's sandbox refuses to run as root (CI runs as root)
        options.add_argument("--no-sandbox")
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_paste_a_spun_paragraph_and_see_the_restored_words_highlighted(server_url, browser):
    browser.get(server_url)
    box = browser.find_element(By.ID, "text")
    box.send_keys(PARAGRAPH)
    browser.find_element(By.ID, "restore").click()
    WebDriverWait(browser, 30).until(lambda b: b.find_elements(By.CSS_SELECTOR, "#marked-text .edit"))

    edits = browser.find_elements(By.CSS_SELECTOR, "#marked-text .edit")
    restored = [edit.find_element(By.TAG_NAME, "ins").text for edit in edits]
    spun = [edit.find_element(By.TAG_NAME, "del").text for edit in edits]
    assert restored == ["House", "said", "war", "year", "told", "Associated"]
    assert spun == ["Home", "mentioned", "warfare", "yr", "informed", "Related"]
    for edit in edits:  # highlighted: shaded, the spun word struck through, the restored one bold
        assert edit.value_of_css_property("background-color") not in ("rgba(0, 0, 0, 0)", "transparent")
        assert "line-through" in edit.find_element(By.TAG_NAME, "del").value_of_css_property("text-decoration")
        assert int(edit.find_element(By.TAG_NAME, "ins").value_of_css_property("font-weight")) >= 700
    assert "(6 of 26)" in browser.find_element(By.CLASS_NAME, "figures").text
    # The restored text reads as the original; the textarea keeps what was pasted.
    assert browser.find_element(By.ID, "text").tag_name == "textarea"
    assert browser.find_element(By.ID, "text").get_attribute("value").replace("\r\n", "\n") == PARAGRAPH

    # Keyboard: Tab moves to each edit in turn, and its tooltip (confidence, lexicon) shows on focus.
    tip = edits[0].find_element(By.CLASS_NAME, "tip")
    assert not tip.is_displayed()
    browser.find_element(By.ID, "restore").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("id") == edits[0].get_attribute("id")
    assert tip.is_displayed() and "confident" in tip.text and "tiny" in tip.text
    focused.send_keys(Keys.TAB)
    assert browser.switch_to.active_element.get_attribute("id") == edits[1].get_attribute("id")

    # On a phone-sized window nothing runs off the side of the page.
    browser.set_window_size(380, 800)
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
