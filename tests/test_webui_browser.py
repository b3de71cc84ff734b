"""The explorer driven in a real headless Chromium (Debian's chromium + chromium-driver).

Each test compares what the page draws (DOM text) with the model's own view of the state
at that step.  Screenshots land in test-artifacts/webui/ (gitignored).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webui_harness import explorer_for, serving

from kafkacheck.cli import main
from kafkacheck.explorer.render import trace_lines
from kafkacheck.explorer.trace import replay
from kafkacheck.webui.draw import variables_text
from kafkacheck.webui.session import label_of

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "webui"
ACKS1_LOSS = [["Produce", "r1"], ["Crash", "B1"], ["Fence", "B1"]]


def _browser_paths() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium under Selenium, or a skip that says what to install."""
    webdriver = pytest.importorskip(
        "selenium.webdriver", reason="selenium is not installed (pip install -e '.[dev]')")
    paths = _browser_paths()
    if paths is None:
        pytest.skip("no Chromium here: apt-get install -y chromium chromium-driver "
                    "(.ci/run does)")
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = paths[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1500,1250", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(paths[1]), options=options)
    driver.set_script_timeout(30)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def _wait(driver: Any, predicate_js: str, what: str) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(lambda d: d.execute_script(predicate_js), message=what)


def _open(driver: Any, url: str) -> None:
    driver.get(url)
    _wait(driver, "return document.body.dataset.ready === 'yes'", "the page to load")


def _at(driver: Any, at: int, length: int) -> None:
    _wait(driver, f"return document.getElementById('position').textContent === "
          f"'step {at} of {length}' && document.body.dataset.busy === 'no'",
          f"step {at} of {length}")


DRAWN = """
const part = document.querySelector('section.partition');
const text = (el) => el ? el.textContent : null;
return {
  leader: text(part.querySelector('.leader-name')),
  epoch: text(part.querySelector('.epoch-value')),
  isr: [...part.querySelectorAll('.isr-members .chip')].map(text),
  replicas: Object.fromEntries([...part.querySelectorAll('tr.replica')].map((tr) =>
    [tr.dataset.broker, {
      cells: [...tr.querySelectorAll('td.cell')].map((td) =>
        `${text(td.querySelector('.rec'))}@${text(td.querySelector('.ep'))}`),
      marks: text(tr.querySelector('.marks')),
      leader: tr.classList.contains('leader'),
      diverging: [...tr.querySelectorAll('td.cell.diverges')].map((td) => +td.dataset.offset),
    }])),
  crashed: [...document.querySelectorAll('section.cards[data-title="Brokers"] .card.is-crashed')]
    .map((c) => c.dataset.name),
  properties: Object.fromEntries([...document.querySelectorAll('.property')].map((p) =>
    [p.dataset.property, {status: p.className.replace('property status-', ''),
                          why: text(p.querySelector('.why'))}])),
  steps: [...document.querySelectorAll('#steps pre.step')].map(text),
  messages: [...document.querySelectorAll('svg.sequence g.message text.label')].map(text),
};
"""


def _assert_drawn_as_model_sees_it(driver: Any, model: Any, state: Any) -> dict[str, Any]:
    """The drawn leader, epoch, ISR, logs, HW and crashed brokers are the model's."""
    drawn = driver.execute_script(DRAWN)
    text = variables_text(model, state)
    assert drawn["leader"] == text["leader"]
    assert drawn["epoch"] == text["leader_epoch"]
    assert "{" + ", ".join(drawn["isr"]) + "}" == text["isr"]
    assert sorted(drawn["replicas"]) == sorted(k.split(".")[0] for k in text if k.endswith(".log"))
    for broker, replica in drawn["replicas"].items():
        assert "[" + ", ".join(replica["cells"]) + "]" == text[f"{broker}.log"]
        assert replica["marks"].startswith(f"HW {text[f'{broker}.hw']} · LEO ")
        assert replica["leader"] == (broker == text["leader"])
    alive = text["alive"].strip("{}").split(", ")
    assert drawn["crashed"] == [b for b in sorted(drawn["replicas"]) if b not in alive]
    return drawn


def test_acks1_counterexample_loaded_from_check_json_and_stepped_through(
        chromium: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "acks1-loss", "--json"]) == 1
    result = tmp_path / "acks1-loss.json"
    result.write_text(capsys.readouterr().out)
    violation = next(v for v in json.loads(result.read_text())["violations"]
                     if v["property"] == "NoAckedWriteLost")
    labels = [step["label"] for step in violation["trace"] if step["label"]]
    assert labels == ACKS1_LOSS
    explorer = explorer_for("acks1-loss")
    model = explorer.model
    trace = replay(model, [label_of(x) for x in labels])
    prop = next(p for p in explorer.properties if p.name == "NoAckedWriteLost")
    with serving(explorer) as url:
        _open(chromium, url)
        chromium.find_element("id", "trace-file").send_keys(str(result))
        button = 'button.load-trace[data-property="NoAckedWriteLost"]'
        _wait(chromium, f"return document.querySelector('{button}') !== null",
              "the loaded counterexample")
        chromium.find_element("css selector", button).click()
        for at, step in enumerate(trace.steps):
            _at(chromium, at, len(trace))
            drawn = _assert_drawn_as_model_sees_it(chromium, model, step.state)
            expected = "false" if at == len(trace) else "true"
            assert drawn["properties"]["NoAckedWriteLost"]["status"] == expected
            chromium.save_screenshot(str(ARTIFACTS / f"acks1-loss-step{at}.png"))
            if at < len(trace):
                chromium.find_element("id", "forward").click()
        # The end: the violation, its story, the CLI's steps and the sequence diagram.
        assert drawn["properties"]["NoAckedWriteLost"]["why"] == f"why: {prop.story(model, trace)}"
        assert "\n".join(drawn["steps"]) == "\n".join(trace_lines(model, trace))
        assert drawn["messages"] == [
            f"{model.message(s.action, p.state, s.state).text}"
            for p, s in zip(trace.steps, trace.steps[1:], strict=False)]
        chromium.find_element("id", "back").click()
        _at(chromium, 2, 3)
        drawn = _assert_drawn_as_model_sees_it(chromium, model, trace.steps[2].state)
        assert drawn["properties"]["NoAckedWriteLost"]["status"] == "true"


def _click_action(driver: Any, text: str) -> None:
    driver.find_element("css selector", f'button.action[data-action="{text}"]').click()


def test_violation_reproduced_by_clicking_actions_by_hand_then_found_by_search(
        chromium: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.support.ui import Select

    explorer = explorer_for("acks1-loss")
    model = explorer.model
    with serving(explorer) as url:
        _open(chromium, url)
        _at(chromium, 0, 0)
        state = explorer.inits[0]
        for at, label in enumerate(ACKS1_LOSS[:2], start=1):
            _click_action(chromium, f"{label[0]}({label[1]})")
            _at(chromium, at, at)
            state = model.next_state(state, tuple(label))
            _assert_drawn_as_model_sees_it(chromium, model, state)
        fence = chromium.find_element("css selector", 'button.action[data-action="Fence(B1)"]')
        assert "leads-to-violation" in fence.get_attribute("class")
        ActionChains(chromium).move_to_element(fence).perform()
        preview = chromium.find_element("id", "preview").text
        assert "Controller → B1: fence; p0 leader B2" in preview
        assert "leader B1 → B2" in preview
        assert "This step violates NoAckedWriteLost." in preview
        fence.click()
        _at(chromium, 3, 3)
        state = model.next_state(state, ("Fence", "B1"))
        drawn = _assert_drawn_as_model_sees_it(chromium, model, state)
        assert drawn["properties"]["NoAckedWriteLost"]["status"] == "false"
        # Back to the state after the produce; search finds the rest of the way.
        chromium.find_element("id", "back").click()
        chromium.find_element("id", "back").click()
        _at(chromium, 1, 3)
        Select(chromium.find_element("id", "search-property")).select_by_value(
            "NoAckedWriteLost")
        chromium.find_element("id", "search-button").click()
        _wait(chromium, "return document.getElementById('follow-end') !== null", "a search")
        assert chromium.find_element("id", "search-result").text.startswith(
            "NoAckedWriteLost is violated 2 steps from here (shortest path, breadth-first;")
        chromium.find_element("id", "follow-end").click()
        _at(chromium, 3, 3)
        drawn = _assert_drawn_as_model_sees_it(chromium, model, state)
        assert drawn["properties"]["NoAckedWriteLost"]["status"] == "false"
        chromium.save_screenshot(str(ARTIFACTS / "acks1-loss-by-hand.png"))


# The README's picture: acks=1 with three records; the old leader B1 is back after the
# failover, holding r2, which it acknowledged and the new leader never had.
FAILOVER = [["Produce", "r1"], ["Fetch", "B2"], ["Fetch", "B3"], ["Fetch", "B2"], ["Fetch", "B3"],
            ["Produce", "r2"], ["Crash", "B1"], ["Fence", "B1"], ["Produce", "r3"],
            ["Restart", "B1"]]


def test_mid_failover_state_draws_the_diverging_log_of_the_old_leader(chromium: Any) -> None:
    explorer = explorer_for("acks1-loss", "--bound", "records=3")
    model = explorer.model
    state = replay(model, [label_of(x) for x in FAILOVER]).steps[-1].state
    fragment = json.dumps({"init": 0, "at": len(FAILOVER), "path": FAILOVER})
    with serving(explorer) as url:
        _open(chromium, f"{url}#{fragment}")
        _at(chromium, len(FAILOVER), len(FAILOVER))
        drawn = _assert_drawn_as_model_sees_it(chromium, model, state)
        assert drawn["replicas"]["B1"]["cells"] == ["r1@e0", "r2@e0"]
        assert drawn["replicas"]["B2"]["cells"] == ["r1@e0", "r3@e1"]
        assert drawn["replicas"]["B1"]["diverging"] == [1]
        assert drawn["properties"]["NoAckedWriteLost"]["status"] == "false"
        assert drawn["properties"]["CommittedRecordsStay"]["status"] == "true"
        # Hover over the truncation that is about to happen, for the picture.
        from selenium.webdriver.common.action_chains import ActionChains

        truncate = 'button.action[data-action="BecomeFollower(B1, truncate to 1)"]'
        ActionChains(chromium).move_to_element(
            chromium.find_element("css selector", truncate)).perform()
        chromium.save_screenshot(str(ARTIFACTS / "failover.png"))


def _searched(driver: Any, prop: str) -> dict[str, str]:
    """Search ``prop`` from the current state: the verdict, the text and its colour."""
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", "search-property")).select_by_value(prop)
    driver.find_element("id", "search-button").click()
    _wait(driver, "return document.getElementById('search-result').dataset.verdict !== "
          "undefined && document.body.dataset.busy === 'no'", f"a search for {prop}")
    return driver.execute_script("""
        const r = document.getElementById('search-result');
        return {verdict: r.dataset.verdict, text: r.textContent, colour: getComputedStyle(r).color,
                warnings: [...r.querySelectorAll('.search-warning')].map(
                    (w) => [w.textContent, getComputedStyle(w).color])};
    """)


OK, BAD, WARN = "rgb(31, 138, 76)", "rgb(192, 38, 45)", "rgb(178, 106, 0)"


@pytest.mark.parametrize("argv,searches", [
    (("acks1-loss",), {"NoAckedWriteLost": ("violated", BAD),
                       "SomeRecordCommitted": ("holds", OK)}),
    (("replication",), {"LeaderFailsOver": ("never reached", WARN),
                        "LeaderInIsr": ("holds", OK)}),
    (("replication", "--set", "transactional.id=app"), {"LeaderInIsr": ("not covered", WARN)}),
    (("replication", "--set", "replication.factor=3", "--set", "acks=all",
      "--set", "min.insync.replicas=2", "--bound", "crash_kind=process"),
     {"NoAckedWriteLost": ("holds", OK)}),
])
def test_search_results_are_coloured_by_their_verdict_green_only_for_holds(
        chromium: Any, argv: tuple[str, ...], searches: dict[str, tuple[str, str]]) -> None:
    # The page coloured "not covered" and "never reached" green and a reached
    # sometimes-property red; the header never showed the NOT COVERED setting.
    explorer = explorer_for(*argv)
    model = explorer.describe_model()
    with serving(explorer) as url:
        _open(chromium, url)
        header = chromium.find_element("id", "config").text
        assert "Kafka 4.4" in header
        for line in [*model["setting_lines"], *model["warnings"]]:
            assert line in header
        if "transactional.id=app" in argv:
            assert "NOT COVERED: transactional.id=app (changes producer semantics" in header
        for prop, (verdict, colour) in searches.items():
            shown = _searched(chromium, prop)
            assert (shown["verdict"], shown["colour"]) == (verdict, colour), prop
            # check's lines around the verdict (the power-loss WARNING) follow it, in the
            # warning colour whatever the verdict's.
            lines = shown["text"].split("\n")[1:]
            assert shown["warnings"] == [[line, WARN] for line in lines], prop
            if "crash_kind=process" in argv:
                assert lines == model["warnings"] and lines[0].startswith(
                    "WARNING: power loss was NOT explored")
