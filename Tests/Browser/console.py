#!/usr/bin/env python3
"""The admin console as a person uses it, in headless chromium (UI.md, Tests): elements are
found by UI.md's names — labels, button texts, link texts, aria-labels — never by CSS classes.
Every task checks the browser console for errors; a failing task saves a screenshot.

Usage: console.py <base url> <screenshot directory> [task name ...]
"""
import json
import sys
import time
import traceback
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE, SHOTS = sys.argv[1], sys.argv[2]
PASSWORD = "console-test-pass"


def api(method, path, body=None, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(BASE + "/api/v1" + path, method=method, headers=headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    with urllib.request.urlopen(request) as response:
        text = response.read()
        return json.loads(text) if text else None


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"]:
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)


class Console:
    def __init__(self, driver):
        self.d = driver
        self.wait = WebDriverWait(driver, 10)

    def open(self, path):
        self.d.get(BASE + path)

    def field(self, label):
        """The input a visible <label> names."""
        return self.wait.until(EC.presence_of_element_located((By.XPATH, f"//label[normalize-space()='{label}']")))\
            .find_element(By.XPATH, "following-sibling::*[self::input or self::select or self::textarea][1]")

    def button(self, text):
        return self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//button[normalize-space()='{text}']")))

    def link(self, text):
        return self.wait.until(EC.element_to_be_clickable((By.XPATH, f"//a[normalize-space()='{text}']")))

    def named(self, label):
        return self.wait.until(EC.presence_of_element_located((By.XPATH, f"//*[@aria-label='{label}']")))

    def at(self, path):
        self.wait.until(lambda d: d.current_url.split("?")[0].split("#")[0] == BASE + path)

    def console_errors(self):
        """Uncaught errors and CSP violations. An API call the server refuses on purpose (a
        wrong password's 401, a form's 422) is logged by Chrome as a failed load: not an error of
        the page."""
        return [e["message"] for e in self.d.get_log("browser") if e["level"] == "SEVERE"
                and not ("/api/v1/" in e["message"] and "the server responded with a status of 4" in e["message"])]

    def sign_in(self, email):
        self.field("Email").send_keys(email)
        self.field("Password").send_keys(PASSWORD)
        self.button("Sign in").click()


def register(name):
    email = f"{name}-{uuid.uuid4().hex[:8]}@example.com"
    pair = api("POST", "/auth/register", {"email": email, "password": PASSWORD, "name": name.title()})
    return email, pair


# --- Tasks: each takes a Console and raises on failure -------------------------------------------


def deep_link_sign_in_and_dashboard(c):
    """A signed-out visitor of a deep link signs in and lands there; the dashboard shows the figures."""
    email, pair = register("owner")
    token = pair["accessToken"]
    api("POST", "/deals", {"name": "Big", "amount": 1200}, token)
    api("POST", "/deals", {"name": "Small", "amount": 30.5, "currency": "EUR"}, token)
    api("POST", "/contacts", {"lastName": "Lovelace"}, token)
    c.open("/admin/contacts")
    c.at("/admin/sign-in")
    c.sign_in(email)
    c.at("/admin/contacts")
    c.link("Dashboard").click()
    c.at("/admin")
    figure = c.named("Open pipeline")
    c.wait.until(lambda d: "2 deals" in figure.text)
    assert "$1,200.00" in figure.text and "€30.50" in figure.text, figure.text
    assert "1" in c.named("New contacts (30 days)").text
    for label in ["Won this month", "Activities due today", "Overdue activities"]:
        c.named(label)
    chart = c.named("Pipeline by stage")
    assert chart.tag_name == "svg" and chart.get_attribute("role") == "img"
    c.wait.until(lambda d: len(chart.find_elements(By.TAG_NAME, "rect")) == 6)
    nav = c.d.find_element(By.TAG_NAME, "nav")
    for text in ["Dashboard", "Contacts", "Companies", "Deals", "Activities", "Members", "API keys", "Plugins",
                 "Scripts", "Custom fields", "API docs"]:
        nav.find_element(By.XPATH, f".//a[normalize-space()='{text}']")
    timing = c.d.execute_script("const t = performance.timing; return t.loadEventEnd - t.navigationStart")
    print(f"   first screen load (performance.timing): {timing} ms")
    c.d.save_screenshot(f"{SHOTS}/dashboard-1280.png")
    # 390 px: nothing wider than the screen.
    c.d.set_window_size(390, 900)
    time.sleep(0.3)
    width = c.d.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide at 390 px"
    c.d.save_screenshot(f"{SHOTS}/dashboard-390.png")
    c.d.set_window_size(1280, 900)


def keyboard_sign_in_and_sign_out(c):
    """Sign in by keyboard alone; "Sign out" ends the session on the server too."""
    email, _ = register("keys")
    c.open("/admin/sign-in")
    email_input = c.field("Email")
    email_input.click()
    email_input.send_keys(email, Keys.TAB, PASSWORD, Keys.ENTER)
    c.at("/admin")
    c.named("Open pipeline")
    refresh = c.d.execute_script("return sessionStorage.getItem('crm.refreshToken')")
    assert refresh, "the refresh token is kept in sessionStorage"
    c.button("Sign out").click()
    c.at("/admin/sign-in")
    assert c.d.execute_script("return sessionStorage.getItem('crm.refreshToken')") is None
    try:
        api("POST", "/auth/refresh", {"refreshToken": refresh})
        raise AssertionError("the refresh token still works after signing out")
    except urllib.error.HTTPError as error:
        assert error.code == 401
    # Signed out, a console path sends to sign-in again.
    c.open("/admin")
    c.at("/admin/sign-in")


def wrong_password_and_registration(c):
    """A refused sign-in shows the problem; creating an account lands on its dashboard."""
    c.open("/admin/sign-in")
    c.field("Email").send_keys("nobody@example.com")
    c.field("Password").send_keys("wrong password")
    c.button("Sign in").click()
    alert = c.wait.until(EC.presence_of_element_located((By.XPATH, "//*[@role='alert']")))
    assert "invalid email or password" in alert.text, alert.text
    c.link("Create account").click()
    c.at("/admin/register")
    c.button("Create account").click()
    # The server's field errors appear beside the fields.
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//input[@aria-invalid='true']")))
    c.field("Name").send_keys("New Person")
    c.field("Email").send_keys(f"new-{uuid.uuid4().hex[:8]}@example.com")
    c.field("Password").send_keys(PASSWORD)
    c.field("Organization").send_keys("Fresh Start Ltd")
    c.button("Create account").click()
    c.at("/admin")
    select = Select(c.field("Organization"))
    assert select.first_selected_option.text == "Fresh Start Ltd"


def organization_switch_and_plugin_nav(c):
    """The organization select switches; a disabled plugin's links are hidden."""
    email, pair = register("switcher")
    token = pair["accessToken"]
    second = api("POST", "/organizations", {"name": "Second Org"}, token)
    switched = api("POST", "/auth/switch", {"organizationId": second["id"]}, token)
    api("PUT", "/plugins/activities", {"enabled": False}, switched["accessToken"])
    c.open("/admin/sign-in")
    c.sign_in(email)
    c.at("/admin")
    c.link("Activities")
    Select(c.field("Organization")).select_by_visible_text("Second Org")
    c.wait.until(lambda d: not d.find_elements(By.XPATH, "//nav//a[normalize-space()='Activities']"))
    c.link("Deals")


def sign_in_as(c, email):
    c.open("/admin/sign-in")
    c.sign_in(email)
    c.at("/admin")


def contact_with_custom_field_found_edited_and_stale(c):
    """Create a contact with a custom field, find it, edit it; a stale save offers "Reload"."""
    email, pair = register("records")
    token = pair["accessToken"]
    api("POST", "/custom-fields", {"entity": "contacts", "key": "tier", "label": "Customer tier", "type": "select",
                                   "options": ["gold", "silver"]}, token)
    api("POST", "/companies", {"name": "Analytical Engines"}, token)
    sign_in_as(c, email)
    c.link("Contacts").click()
    c.link("New contact").click()
    c.at("/admin/contacts/new")
    c.field("First name").send_keys("Ada")
    c.field("Last name").send_keys("Lovelace")
    c.field("Email").send_keys("ada@example.com")
    Select(c.field("Company")).select_by_visible_text("Analytical Engines")
    Select(c.field("Customer tier")).select_by_visible_text("gold")
    c.button("Save").click()
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='Ada Lovelace']")))
    page = c.d.find_element(By.TAG_NAME, "main").text
    assert "Customer tier" in page and "gold" in page, page
    c.link("Analytical Engines")
    c.named("History")
    # Find it.
    c.link("Contacts").click()
    c.field("Search").send_keys("lovel")
    c.link("Ada").click()
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='Ada Lovelace']")))
    contact_id = c.d.current_url.rstrip("/").split("/")[-1]
    # Edit; meanwhile someone else changes it: the save says so and offers "Reload".
    c.link("Edit").click()
    c.at(f"/admin/contacts/{contact_id}/edit")
    title = c.field("Title")
    api("PATCH", f"/contacts/{contact_id}", {"title": "Countess"}, token)
    title.send_keys("Analyst")
    c.button("Save").click()
    c.button("Reload").click()
    c.wait.until(lambda d: c.field("Title").get_attribute("value") == "Countess")
    retype(c.field("Title"), "Analyst")
    c.button("Save").click()
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//dd[normalize-space()='Analyst']")))
    c.wait.until(lambda d: "update" in c.named("History").text)
    # A field error shows beside its field.
    c.link("Edit").click()
    retype(c.field("Email"), "not an email")
    c.button("Save").click()
    error = c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[aria-invalid='true']")))
    described = c.d.find_element(By.ID, error.get_attribute("aria-describedby"))
    assert "email" in described.text.lower(), described.text


def retype(field, text):
    """Replaces a field's text as a person does (select all, type): WebDriver's clear() sets the
    value without an input event, so the console's form state kept the old text and a re-render
    could put it back before the typing ("CountessAnalyst")."""
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(text)


def deal_moved_to_won_and_follow_up_completed(c):
    """Move a deal to Won (by the keyboard menu and by refusal), then complete its follow-up."""
    email, pair = register("board")
    token = pair["accessToken"]
    api("PUT", "/plugins/deal-won-followup", {"enabled": True}, token)
    api("PUT", "/scripts/no-losing", {"source": "return { on = { ['deals.beforeSave'] = function(event) "
                                      "if event.record.status == 'lost' then event:reject('stageId', 'we never lose') end end } }"}, token)
    api("POST", "/deals", {"name": "Big deal", "amount": 5000}, token)
    sign_in_as(c, email)
    c.link("Deals").click()
    c.at("/admin/deals")
    lead = c.named("Lead")
    c.wait.until(lambda d: "Big deal" in lead.text)
    # A refused move puts the card back and shows the problem.
    lead.find_element(By.XPATH, ".//button[normalize-space()='Move']").click()
    c.wait.until(EC.element_to_be_clickable((By.XPATH, "//*[@role='menuitem'][normalize-space()='Lost']"))).click()
    alert = c.wait.until(EC.presence_of_element_located((By.XPATH, "//*[@role='alert']")))
    assert "we never lose" in alert.text or "validation" in alert.text.lower(), alert.text
    c.wait.until(lambda d: "Big deal" in c.named("Lead").text)
    assert "Big deal" not in c.named("Lost").text
    # The keyboard path: Move, then arrows to "Won", Enter.
    move = c.named("Lead").find_element(By.XPATH, ".//button[normalize-space()='Move']")
    move.send_keys(Keys.ENTER)
    items = c.wait.until(EC.presence_of_all_elements_located((By.XPATH, "//*[@role='menuitem']")))
    names = [item.text for item in items]
    assert "Lead" not in names and "Won" in names, names
    focused = c.d.switch_to.active_element
    for _ in range(names.index("Won")):
        focused.send_keys(Keys.ARROW_DOWN)
        focused = c.d.switch_to.active_element
    assert focused.text == "Won", focused.text
    focused.send_keys(Keys.ENTER)
    c.wait.until(lambda d: "Big deal" in c.named("Won").text)
    c.d.save_screenshot(f"{SHOTS}/board.png")
    # The bundled deal-won-followup created a call two days out: Due, then Complete, then Done.
    c.link("Activities").click()
    c.at("/admin/activities")
    # The follow-up is made by a workflow job after the move commits: a person would reload.
    for _ in range(20):
        c.wait.until(EC.presence_of_element_located((By.XPATH, "//*[@role='tab'][normalize-space()='Due']")))
        try:
            WebDriverWait(c.d, 1).until(lambda d: "Big deal" in d.find_element(By.CSS_SELECTOR, "[role=tabpanel]").text)
            break
        except TimeoutException:
            c.open("/admin/activities")
    c.button("Complete").click()
    c.wait.until(lambda d: "Big deal" not in d.find_element(By.CSS_SELECTOR, "[role=tabpanel]").text)
    c.d.find_element(By.XPATH, "//*[@role='tab'][normalize-space()='Done']").click()
    c.wait.until(lambda d: "Big deal" in d.find_element(By.CSS_SELECTOR, "[role=tabpanel]").text)


def a_viewer_sees_no_write_controls(c):
    """A viewer of the organization gets no create, edit, delete or move controls."""
    owner_email, owner = register("boss")
    viewer_email, viewer = register("looker")
    token = owner["accessToken"]
    contact = api("POST", "/contacts", {"firstName": "Grace", "lastName": "Hopper"}, token)
    api("POST", "/deals", {"name": "Watched deal", "amount": 10}, token)
    invitation = api("POST", "/members", {"email": viewer_email, "role": "viewer"}, token)
    api("POST", "/invitations/accept", {"token": invitation["token"]}, viewer["accessToken"])
    sign_in_as(c, viewer_email)
    Select(c.field("Organization")).select_by_visible_text(owner["organization"]["name"])
    c.wait.until(lambda d: Select(c.field("Organization")).first_selected_option.text == owner["organization"]["name"])
    c.link("Contacts").click()
    c.link("Grace")
    assert not c.d.find_elements(By.XPATH, "//a[normalize-space()='New contact']")
    c.open(f"/admin/contacts/{contact['id']}")
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='Grace Hopper']")))
    for text in ["Edit", "Delete"]:
        assert not c.d.find_elements(By.XPATH, f"//*[self::a or self::button][normalize-space()='{text}']"), text
    c.link("Deals").click()
    c.wait.until(lambda d: "Watched deal" in c.named("Lead").text)
    assert not c.d.find_elements(By.XPATH, "//button[normalize-space()='Move']")
    assert not c.d.find_elements(By.XPATH, "//a[normalize-space()='New deal']")


def every_screen_fits_390_px(c):
    """At 390 px wide no screen is wider than the window (wide tables and the board scroll inside)."""
    email, pair = register("narrow")
    token = pair["accessToken"]
    contact = api("POST", "/contacts", {"firstName": "Katherine", "lastName": "Johnson", "email": "kj@example.com",
                                        "title": "Mathematician", "phone": "+1 555 0100"}, token)
    api("POST", "/deals", {"name": "A deal with a rather long name for a narrow card", "amount": 123456.78}, token)
    api("POST", "/activities", {"type": "call", "subject": "Call Katherine about the trajectory tables"}, token)
    sign_in_as(c, email)
    c.d.set_window_size(390, 900)
    for path, ready in [("/admin", "Open pipeline"), ("/admin/contacts", None), (f"/admin/contacts/{contact['id']}", "History"),
                        (f"/admin/contacts/{contact['id']}/edit", None), ("/admin/deals", "Lead"), ("/admin/activities", None),
                        ("/admin/deals/list", None)]:
        c.open(path)
        if ready:
            c.named(ready)
        else:
            c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        time.sleep(0.3)
        width = c.d.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"
    c.d.save_screenshot(f"{SHOTS}/board-390.png")


TASKS = [deep_link_sign_in_and_dashboard, keyboard_sign_in_and_sign_out, wrong_password_and_registration,
         organization_switch_and_plugin_nav, contact_with_custom_field_found_edited_and_stale,
         deal_moved_to_won_and_follow_up_completed, a_viewer_sees_no_write_controls, every_screen_fits_390_px]


def main():
    failures = 0
    only = [name for name in sys.argv[3:]]  # task names, to run some alone
    tasks = [t for t in TASKS if not only or t.__name__ in only]
    for task in tasks:
        driver = browser()
        console = Console(driver)
        try:
            task(console)
            errors = console.console_errors()
            if errors:
                raise AssertionError(f"browser console errors: {errors}")
            print(f"✔ {task.__name__}: {task.__doc__.strip()}")
        except (AssertionError, TimeoutException, Exception) as error:
            failures += 1
            shot = f"{SHOTS}/{task.__name__}.png"
            driver.save_screenshot(shot)
            print(f"✘ {task.__name__}: {type(error).__name__}: {error}\n   screenshot: {shot}")
            traceback.print_exc(limit=3)
        finally:
            driver.quit()
    print(f"browser tests: {len(tasks) - failures} of {len(tasks)} passed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
