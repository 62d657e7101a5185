"""The built-in page at / in a real headless Chromium against a real server (tests/ui/conftest.py):
what a user does with it, checked in what the browser shows (the tree's items, the SVG's series
paths and their data attributes, the legend, the link). Every test also fails on an error in
the browser's console.

TSSTORE_PAGE_SCREENSHOTS=<dir> saves screenshots of the page there for a person to look at.
"""
from __future__ import annotations

import os
import time

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.helpers.servers import send_tcp
from tests.ui.conftest import EVENT_AGE, GAP, HOSTILE

pytestmark = pytest.mark.browser
WAIT = 15  # seconds: a page action answered later than this is a failure


@pytest.fixture(autouse=True)
def no_console_errors(chrome):
    chrome.get_log("browser")  # what an earlier test left
    yield
    errors = [e for e in chrome.get_log("browser") if e["level"] == "SEVERE"]
    assert not errors, f"errors in the browser console: {errors}"


def css(driver, selector):
    return driver.find_elements(By.CSS_SELECTOR, selector)


def wait(driver, condition, message, timeout=WAIT):
    return WebDriverWait(driver, timeout).until(condition, message)


def open_page(chrome, server, fragment=""):
    chrome.get("about:blank")  # a new document even when only the fragment differs
    chrome.get(f"{server.url}/{fragment}")
    wait(chrome, lambda d: css(d, "#tree > li[data-path]"), "the tree's root nodes never showed")


def click_node(chrome, path):
    css(chrome, f'li[data-path="{path}"] > .node')[0].click()


def expand(chrome, path):
    click_node(chrome, path)
    return wait(chrome, lambda d: css(d, f'li[data-path="{path}"] > ul > li[data-path]'),
                f"{path} never listed its children")


def series_paths(chrome):
    """The drawn series: target -> number of points drawn (read in one script: a redraw can
    replace the elements between two WebDriver calls)."""
    return chrome.execute_script("return Object.fromEntries([...document.querySelectorAll('#graph path.series')]"
                                 ".map(p => [p.dataset.target, Number(p.dataset.points)]))")


def wait_for_series(chrome, targets):
    return wait(chrome, lambda d: set(series_paths(d)) == set(targets) and series_paths(d),
                f"the graph never showed exactly {targets}")


def target_texts(chrome):
    return chrome.execute_script("return [...document.querySelectorAll('#targets .expr')].map(e => e.textContent)")


def graph_range(chrome):
    """The first and last timestamps of the drawn data."""
    return chrome.execute_script("const s = document.querySelector('#graph svg');"
                                 "return [Number(s.dataset.start), Number(s.dataset.end)]")


def screenshot(chrome, name):
    folder = os.environ.get("TSSTORE_PAGE_SCREENSHOTS")
    if folder:
        chrome.save_screenshot(os.path.join(folder, name))


def test_the_page_loads_with_its_assets_and_lists_the_roots_of_the_data(chrome, page_server):
    open_page(chrome, page_server)
    roots = {li.get_attribute("data-path") for li in css(chrome, "#tree > li")}
    assert {"servers", "apps", "odd"} <= roots
    assert all("branch" in li.get_attribute("class") for li in css(chrome, "#tree > li"))
    # the style sheet applied (the header is dark) and the script ran (the presets are its buttons)
    assert css(chrome, "header")[0].value_of_css_property("background-color") == "rgba(29, 35, 48, 1)"
    assert [b.text for b in css(chrome, "#presets button")] == ["15m", "1h", "6h", "24h", "7d", "30d"]
    assert "Pick a metric" in css(chrome, "#graph")[0].text


def test_expanding_a_node_lists_its_children_and_a_second_click_folds_it(chrome, page_server):
    open_page(chrome, page_server)
    children = expand(chrome, "servers")
    assert [c.get_attribute("data-path") for c in children] == ["servers.web01", "servers.web02"]
    expand(chrome, "servers.web01")
    cpu = expand(chrome, "servers.web01.cpu")
    assert [(c.get_attribute("data-path"), c.get_attribute("class")) for c in cpu] == [
        ("servers.web01.cpu.system", "leaf"), ("servers.web01.cpu.user", "leaf")]
    click_node(chrome, "servers")
    wait(chrome, lambda d: not css(d, 'li[data-path="servers"] > ul'), "servers did not fold")
    assert not css(chrome, 'li[data-path="servers.web01.cpu.user"]')


def test_clicking_a_leaf_draws_its_graph_with_a_legend_and_gaps(chrome, page_server):
    open_page(chrome, page_server)
    for path in ("servers", "servers.web01", "servers.web01.disk"):
        expand(chrome, path)
    click_node(chrome, "servers.web01.disk.used")
    drawn = wait_for_series(chrome, ["servers.web01.disk.used"])
    # the last hour at 10 s, less the 10 minutes the data leaves out
    assert 330 <= drawn["servers.web01.disk.used"] + GAP[0] // 10 - GAP[1] // 10 <= 361, drawn
    d = css(chrome, "#graph path.series")[0].get_attribute("d")
    assert d.count("M") == 2, "the gap in the data is not a gap in the line"  # one move per run of points
    assert target_texts(chrome) == ["servers.web01.disk.used"]
    assert [e.text for e in css(chrome, "#legend .series-name")] == ["servers.web01.disk.used"]
    assert len(css(chrome, "#graph text.ytick")) >= 3 and len(css(chrome, "#graph text.xtick")) >= 3
    assert "target=servers.web01.disk.used" in chrome.current_url
    screenshot(chrome, "page-tree.png")
    click_node(chrome, "servers.web01.disk.used")  # a target already there is not added twice
    assert target_texts(chrome) == ["servers.web01.disk.used"]


def test_the_range_picker_changes_the_range_and_the_points_drawn(chrome, page_server):
    open_page(chrome, page_server, "#target=servers.web01.cpu.user")
    hour = wait_for_series(chrome, ["servers.web01.cpu.user"])["servers.web01.cpu.user"]
    start, end = graph_range(chrome)
    now = time.time()
    assert abs(start - (now - 3600)) < 60 and abs(end - now) < 60
    svg = css(chrome, "#graph svg")[0]
    css(chrome, '#presets button[data-from="-24h"]')[0].click()
    wait(chrome, EC.staleness_of(svg), "the graph was not redrawn for 24h")
    day = wait_for_series(chrome, ["servers.web01.cpu.user"])["servers.web01.cpu.user"]
    start, _ = graph_range(chrome)
    # 24 h of 1 min points, consolidated to at most one point per pixel of the plot
    plot_width = css(chrome, "#graph svg")[0].size["width"] - 80
    assert abs(start - (now - 86400)) < 600 and hour < day <= plot_width, (hour, day, plot_width)
    assert "from=-24h" in chrome.current_url
    assert css(chrome, "#presets button.active")[0].text == "24h"

    for field, value in (("from", "-3h"), ("until", "-2h")):
        css(chrome, f"#{field}")[0].clear()
        css(chrome, f"#{field}")[0].send_keys(value)
    svg = css(chrome, "#graph svg")[0]
    css(chrome, "#apply-range")[0].click()
    wait(chrome, EC.staleness_of(svg), "the graph was not redrawn for the custom range")
    start, end = graph_range(chrome)
    assert abs(start - (now - 3 * 3600)) < 60 and abs(end - (now - 2 * 3600)) < 60, (start, end, now)
    assert not css(chrome, "#presets button.active")


def test_the_link_reproduces_the_targets_range_and_refresh(chrome, page_server):
    open_page(chrome, page_server)
    for path in ("apps", "apps.checkout"):
        expand(chrome, path)
    click_node(chrome, "apps.checkout.requests")
    css(chrome, "#target-input")[0].send_keys("servers.web02.cpu.*", Keys.ENTER)
    css(chrome, '#presets button[data-from="-6h"]')[0].click()
    Select(css(chrome, "#refresh")[0]).select_by_value("30")
    wanted = ["apps.checkout.requests", "servers.web02.cpu.system", "servers.web02.cpu.user"]
    wait_for_series(chrome, wanted)
    link = css(chrome, "#link")[0].get_attribute("href")

    chrome.get("about:blank")
    chrome.get(link)
    drawn = wait_for_series(chrome, wanted)
    assert target_texts(chrome) == ["apps.checkout.requests", "servers.web02.cpu.*"]
    assert css(chrome, "#presets button.active")[0].text == "6h"
    assert css(chrome, "#from")[0].get_attribute("value") == "-6h"
    assert Select(css(chrome, "#refresh")[0]).first_selected_option.text == "30s"
    start, _ = graph_range(chrome)
    assert abs(start - (time.time() - 6 * 3600)) < 120 and min(drawn.values()) >= 500  # of 2160, consolidated
    screenshot(chrome, "page-link.png")


def test_a_function_from_the_list_wraps_the_target(chrome, page_server):
    open_page(chrome, page_server)
    css(chrome, "#target-input")[0].send_keys("servers.*.cpu.user", Keys.ENTER)
    wait_for_series(chrome, ["servers.web01.cpu.user", "servers.web02.cpu.user"])

    def apply(name, shot=None, **params):
        css(chrome, '#targets li[data-index="0"] button.fn')[0].click()
        select = wait(chrome, lambda d: [s for s in css(d, "#function-select") if s.is_displayed()
                                         and css(d, "#function-select option")], "no function list")[0]
        Select(select).select_by_value(name)
        for param, value in params.items():
            css(chrome, f'#function-params [data-param="{param}"]')[0].send_keys(value)
        if shot:
            screenshot(chrome, shot)
        css(chrome, "#function-apply")[0].click()

    apply("sumSeries")
    assert target_texts(chrome) == ["sumSeries(servers.*.cpu.user)"]
    wait_for_series(chrome, ["sumSeries(servers.*.cpu.user)"])
    apply("scale", "page-function-panel.png", factor="2")
    apply("alias", newName="2026")  # a string parameter is quoted even when it reads as a number
    assert target_texts(chrome) == ["alias(scale(sumSeries(servers.*.cpu.user), 2), '2026')"]
    wait_for_series(chrome, ["2026"])
    assert [e.text for e in css(chrome, "#legend .series-name")] == ["2026"]
    assert css(chrome, "#function-panel")[0].is_displayed() is False
    screenshot(chrome, "page-function.png")


def test_a_target_is_typed_edited_and_removed(chrome, page_server):
    open_page(chrome, page_server)
    css(chrome, "#target-input")[0].send_keys("servers.web01.cpu.user", Keys.ENTER)
    wait_for_series(chrome, ["servers.web01.cpu.user"])
    css(chrome, '#targets li[data-index="0"] button.edit')[0].click()
    field = css(chrome, "#target-input")[0]
    assert field.get_attribute("value") == "servers.web01.cpu.user" and css(chrome, "#target-add")[0].text == "Save"
    field.clear()
    field.send_keys("offset(servers.web01.cpu.user, 1000)", Keys.ENTER)
    wait_for_series(chrome, ["offset(servers.web01.cpu.user,1000)"])
    assert target_texts(chrome) == ["offset(servers.web01.cpu.user, 1000)"]
    assert float(css(chrome, "#graph text.ytick")[0].text.rstrip("K")) >= 1  # 1000 and up on the axis
    css(chrome, '#targets li[data-index="0"] button.remove')[0].click()
    wait(chrome, lambda d: not css(d, "#graph svg"), "the graph stayed after its last target went")
    assert target_texts(chrome) == [] and "target=" not in chrome.current_url


def test_a_bad_target_shows_the_servers_message(chrome, page_server):
    open_page(chrome, page_server)
    css(chrome, "#target-input")[0].send_keys("noSuchFunction(a.b)", Keys.ENTER)
    error = wait(chrome, lambda d: [e for e in css(d, "#error") if e.is_displayed() and e.text], "no error shown")[0]
    assert "noSuchFunction" in error.text
    # the browser logs the 400 of /render itself; that one is expected, nothing else is
    logged = chrome.get_log("browser")
    assert all("/render?" in e["message"] and "400" in e["message"] for e in logged if e["level"] == "SEVERE"), logged


def test_tags_browse_to_a_series_by_tag_target(chrome, page_server):
    open_page(chrome, page_server)
    wait(chrome, lambda d: css(d, '#tags li[data-tag="host"]'), "the tags never showed")
    assert {li.get_attribute("data-tag") for li in css(chrome, "#tags > li")} >= {"dc", "host", "name"}
    css(chrome, '#tags li[data-tag="host"] > .node')[0].click()
    values = wait(chrome, lambda d: css(d, '#tags li[data-tag="host"] li[data-value]'), "host listed no values")
    assert [v.get_attribute("data-value") for v in values] == ["web01", "web02"]
    values[0].click()
    assert target_texts(chrome) == ["seriesByTag('host=web01')"]
    wait_for_series(chrome, ["disk.free;dc=east;host=web01"])


def test_events_in_the_range_are_markers_on_the_graph(chrome, page_server):
    open_page(chrome, page_server, "#target=servers.web02.cpu.user&from=-1h")
    wait_for_series(chrome, ["servers.web02.cpu.user"])
    marks = wait(chrome, lambda d: css(d, '#graph g.event[data-what="deploy v1.2"]'), "no event marker")
    start, end = graph_range(chrome)
    frame = css(chrome, "#graph rect.frame")[0]
    left, width = float(frame.get_attribute("x")), float(frame.get_attribute("width"))
    x = float(css(marks[0], "line")[0].get_attribute("x1"))
    when = page_server.now - EVENT_AGE
    assert abs(x - (left + (when - start) / (end - start) * width)) < 1.5
    screenshot(chrome, "page-events.png")

    open_page(chrome, page_server, "#target=servers.web02.cpu.user&from=-15min")  # the event is 30 min old
    wait_for_series(chrome, ["servers.web02.cpu.user"])
    assert not css(chrome, "#graph g.event")


def test_the_search_box_finds_a_glob_and_graphs_it(chrome, page_server):
    open_page(chrome, page_server)
    css(chrome, "#search")[0].send_keys("servers.*.cpu.user", Keys.ENTER)
    found = wait(chrome, lambda d: css(d, "#search-results li[data-path]"), "the search found nothing")
    assert [(f.get_attribute("data-path"), f.get_attribute("class")) for f in found] == [
        ("servers.web01.cpu.user", "leaf"), ("servers.web02.cpu.user", "leaf")]
    css(chrome, "#search-results button")[0].click()  # graph the glob itself
    assert target_texts(chrome) == ["servers.*.cpu.user"]
    wait_for_series(chrome, ["servers.web01.cpu.user", "servers.web02.cpu.user"])


def test_names_are_shown_as_text_never_run_as_markup(chrome, page_server):
    open_page(chrome, page_server)
    (node,) = expand(chrome, "odd")
    assert node.get_attribute("data-path") == HOSTILE
    assert css(node, ".name")[0].text == HOSTILE.split(".", 1)[1]
    node.find_element(By.CSS_SELECTOR, ".node").click()
    assert target_texts(chrome) == ["odd.<b_id=xss>?bold?</b>"]  # ( and ) as the glob's ?
    wait_for_series(chrome, [HOSTILE])
    assert [e.text for e in css(chrome, "#legend .series-name")] == [HOSTILE]
    assert not css(chrome, "#xss, b")


def test_auto_refresh_redraws_with_new_data(chrome, page_server):
    open_page(chrome, page_server, "#target=live.*&from=-5min&refresh=10")
    wait(chrome, lambda d: "No series match" in css(d, "#graph")[0].text, "the empty graph never showed")
    send_tcp(page_server.carbon_port, f"live.value 7 {int(time.time())}\n".encode())
    wait(chrome, lambda d: "live.value" in series_paths(d), "the page did not redraw within 10 s of refresh", timeout=25)
    assert Select(css(chrome, "#refresh")[0]).first_selected_option.text == "10s"


def test_the_legend_shows_the_values_under_the_mouse(chrome, page_server):
    open_page(chrome, page_server, "#target=servers.web01.cpu.user&target=servers.web02.cpu.user&from=-1h")
    wait_for_series(chrome, ["servers.web01.cpu.user", "servers.web02.cpu.user"])
    summaries = [e.text for e in css(chrome, "#legend .stats")]
    assert all(s.startswith("last ") for s in summaries), summaries
    ActionChains(chrome).move_to_element(css(chrome, "#graph rect.frame")[0]).perform()  # the plot's middle
    wait(chrome, lambda d: css(d, "#graph g.crosshair")[0].get_attribute("visibility") == "visible", "no crosshair")
    at = [e.text for e in css(chrome, "#legend .stats")]
    assert all(a.startswith("at cursor ") and float(a.split()[-1]) > 0 for a in at), at
    ActionChains(chrome).move_to_element(css(chrome, "#targets")[0]).perform()
    wait(chrome, lambda d: [e.text for e in css(d, "#legend .stats")] == summaries, "the summaries did not come back")
