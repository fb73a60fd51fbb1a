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
import urllib.error
import urllib.request
import uuid

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
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
                        ("/admin/deals/list", None), ("/admin/members", "Invite a colleague"), ("/admin/api-keys", "New key"),
                        ("/admin/plugins", "deal-won-followup"), ("/admin/scripts/new", "Source"),
                        ("/admin/custom-fields", "New field")]:
        c.open(path)
        if ready:  # an element so named, or text on the screen, once its data is in
            c.wait.until(lambda d: d.find_elements(By.XPATH, f"//*[@aria-label='{ready}']")
                         or ready in d.find_element(By.TAG_NAME, "main").text)
        else:
            c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "main h1")))
        time.sleep(0.3)
        width = c.d.execute_script("return document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390 px"
    c.d.save_screenshot(f"{SHOTS}/board-390.png")


# --- The administrator's screens (issue 19) -------------------------------------------------------


def field_in(scope, label):
    """The input a visible <label> names, inside one part of the page."""
    return scope.find_element(By.XPATH, f".//label[normalize-space()='{label}']")\
        .find_element(By.XPATH, "following-sibling::*[self::input or self::select or self::textarea][1]")


def error_beside(c, field):
    """The message linked to a field (aria-describedby), as UI.md asks."""
    c.wait.until(lambda d: field.get_attribute("aria-describedby"))
    ids = field.get_attribute("aria-describedby").split()
    return " ".join(c.d.find_element(By.ID, i).text for i in ids)


def invite_a_colleague_who_joins(c):
    """An admin invites by keyboard, sees the link once with "Copy", revokes another invitation;
    the invitee opens the link signed out, signs in, sees the organization and role, accepts and
    lands on its dashboard."""
    owner_email, pair = register("inviter")
    api("PATCH", "/organizations/current", {"name": "Inviting Org"}, pair["accessToken"])
    invitee_email, _ = register("invitee")
    sign_in_as(c, owner_email)
    c.link("Members").click()
    c.at("/admin/members")
    email = c.field("Email")
    email.click()
    # Keyboard only: the email, Tab to "Role", pick "admin" by typing, Tab to "Invite", Enter.
    email.send_keys(invitee_email, Keys.TAB, "a", Keys.TAB, Keys.ENTER)
    link = c.wait.until(EC.presence_of_element_located((By.XPATH, "//label[normalize-space()='Invitation link']/following::input[1]")))
    url = link.get_attribute("value")
    assert url.startswith(BASE + "/admin/accept?token="), url
    c.button("Copy").click()
    c.wait.until(lambda d: "Copied." in d.find_element(By.TAG_NAME, "main").text)
    c.d.save_screenshot(f"{SHOTS}/members-invited.png")
    # A second invitation, revoked.
    retype(c.field("Email"), "someone-else@example.com")
    c.button("Invite").click()
    revoke = c.wait.until(EC.element_to_be_clickable((By.XPATH, "//button[@aria-label='Revoke the invitation of someone-else@example.com']")))
    revoke.click()
    c.wait.until(lambda d: "someone-else@example.com · admin · revoked" in d.find_element(By.TAG_NAME, "main").text)
    # After a reload the link is gone.
    c.d.refresh()
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='Members']")))
    assert not c.d.find_elements(By.XPATH, "//label[normalize-space()='Invitation link']")
    # The invitee, signed out.
    c.button("Sign out").click()
    c.at("/admin/sign-in")
    c.d.get(url)
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//h1[normalize-space()='You are invited']")))
    c.link("Create account")
    c.link("Sign in").click()
    c.at("/admin/sign-in")
    c.sign_in(invitee_email)
    c.wait.until(lambda d: "/admin/accept" in d.current_url)
    c.wait.until(lambda d: "Inviting Org" in d.find_element(By.TAG_NAME, "main").text)
    assert "admin" in c.d.find_element(By.TAG_NAME, "main").text
    c.d.save_screenshot(f"{SHOTS}/accept.png")
    c.button("Accept").click()
    c.at("/admin")
    c.wait.until(lambda d: Select(c.field("Organization")).first_selected_option.text == "Inviting Org")
    members = api("GET", "/members", token=pair["accessToken"])["data"]
    assert any(m["email"] == invitee_email and m["role"] == "admin" for m in members), members


def create_and_revoke_an_api_key(c):
    """A key is created (shown once, with "Copy"), works, is listed without its secret, and stops
    working once revoked."""
    email, _ = register("keymaker")
    sign_in_as(c, email)
    c.link("API keys").click()
    c.at("/admin/api-keys")
    c.wait.until(lambda d: "No API keys yet" in d.find_element(By.TAG_NAME, "main").text)
    c.field("Name").send_keys("Zapier")
    Select(c.field("Role")).select_by_visible_text("viewer")
    c.button("Create key").click()
    secret = c.wait.until(EC.presence_of_element_located((By.XPATH, "//label[normalize-space()='Key “Zapier”']/following::input[1]")))
    key = secret.get_attribute("value")
    assert key.startswith("crm_"), key
    c.button("Copy").click()
    assert api("GET", "/contacts", token=key)["data"] == []
    row = c.wait.until(EC.presence_of_element_located((By.XPATH, "//tr[td[normalize-space()='Zapier']]")))
    assert "viewer" in row.text and key not in c.d.page_source.replace(secret.get_attribute("outerHTML"), "")
    c.d.save_screenshot(f"{SHOTS}/api-keys.png")
    row.find_element(By.XPATH, ".//button[normalize-space()='Revoke']").click()
    c.wait.until(lambda d: not d.find_elements(By.XPATH, "//tr[td[normalize-space()='Zapier']]"))
    try:
        api("GET", "/contacts", token=key)
        raise AssertionError("a revoked key still works")
    except urllib.error.HTTPError as error:
        assert error.code == 401, error.code


def plugin(c, plugin_id):
    """A plugin's card (named by its heading)."""
    return c.wait.until(EC.presence_of_element_located((By.XPATH, f"//article[@aria-labelledby='plugin-{plugin_id}']")))


def switch_plugins_and_configure_the_followup(c):
    """Switch a plugin on and off (the nav follows at once, a refused change shows the 409), and
    configure deal-won-followup (a 422 appears beside the setting)."""
    email, _ = register("plugger")
    sign_in_as(c, email)
    c.link("Plugins").click()
    c.at("/admin/plugins")
    followup = plugin(c, "deal-won-followup")
    switch = followup.find_element(By.XPATH, ".//input[@role='switch']")
    assert not switch.is_selected()
    switch.click()
    c.wait.until(lambda d: plugin(c, "deal-won-followup").find_element(By.XPATH, ".//input[@role='switch']").is_selected())
    # Activities cannot go while the follow-up needs it: the 409's detail is shown.
    plugin(c, "activities").find_element(By.XPATH, ".//input[@role='switch']").click()
    alert = c.wait.until(lambda d: plugin(c, "activities").find_element(By.XPATH, ".//*[@role='alert']"))
    assert "deal-won-followup" in alert.text, alert.text
    assert plugin(c, "activities").find_element(By.XPATH, ".//input[@role='switch']").is_selected()
    # Configuration: out of range, then right.
    delay = field_in(plugin(c, "deal-won-followup"), "Delay days")
    retype(delay, "400")
    plugin(c, "deal-won-followup").find_element(By.XPATH, ".//button[normalize-space()='Save configuration']").click()
    assert "at most 365" in error_beside(c, field_in(plugin(c, "deal-won-followup"), "Delay days"))
    c.d.save_screenshot(f"{SHOTS}/plugins-config-error.png")
    retype(field_in(plugin(c, "deal-won-followup"), "Delay days"), "5")
    plugin(c, "deal-won-followup").find_element(By.XPATH, ".//button[normalize-space()='Save configuration']").click()
    c.wait.until(lambda d: "Saved." in plugin(c, "deal-won-followup").text)
    followup_state = [p for p in api("GET", "/plugins", token=login(email))["data"] if p["id"] == "deal-won-followup"][0]
    assert followup_state["config"]["delayDays"] == 5 and followup_state["enabled"], followup_state
    # Off and on again, by keyboard: the nav follows at once.
    plugin(c, "deal-won-followup").find_element(By.XPATH, ".//input[@role='switch']").send_keys(Keys.SPACE)
    c.wait.until(lambda d: not plugin(c, "deal-won-followup").find_element(By.XPATH, ".//input[@role='switch']").is_selected())
    plugin(c, "activities").find_element(By.XPATH, ".//input[@role='switch']").send_keys(Keys.SPACE)
    c.wait.until(lambda d: not d.find_elements(By.XPATH, "//nav//a[normalize-space()='Activities']"))
    plugin(c, "activities").find_element(By.XPATH, ".//input[@role='switch']").send_keys(Keys.SPACE)
    c.link("Activities")


def login(email):
    return api("POST", "/auth/login", {"email": email, "password": PASSWORD})["accessToken"]


def script_rejects_an_invalid_deal(c):
    """Write a script, see a syntax error marked at its line, dry-run it against a real deal,
    and see it reject a real write from the deal form."""
    email, pair = register("scripter")
    api("POST", "/deals", {"name": "Prefilled deal", "amount": 10}, pair["accessToken"])
    sign_in_as(c, email)
    c.link("Scripts").click()
    c.at("/admin/scripts")
    c.link("New script").click()
    c.at("/admin/scripts/new")
    c.field("Name").send_keys("deal-guard")
    c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))  # highlighted
    c.d.save_screenshot(f"{SHOTS}/script-editor.png")
    c.button("Save").click()
    c.at("/admin/scripts/deal-guard")
    c.wait.until(lambda d: "Saved version 1." in d.find_element(By.TAG_NAME, "main").text)
    # A syntax error on line 6: the problem is shown and its line marked.
    source = c.d.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getValue()")
    broken = source.replace("if event.record.amount == nil then", "if event.record.amount == nil")
    c.d.execute_script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", broken)
    c.button("Save").click()
    alert = c.wait.until(EC.presence_of_element_located((By.XPATH, "//*[@role='alert']")))
    assert "line 7" in alert.text, alert.text
    c.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror .error-line")))
    c.d.save_screenshot(f"{SHOTS}/script-error.png")
    c.d.execute_script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0])", source)
    c.button("Save").click()
    c.wait.until(lambda d: "Saved version 2." in d.find_element(By.TAG_NAME, "main").text)
    # Dry run: the record is prefilled from the newest deal; without an amount it is rejected.
    Select(c.field("Event")).select_by_visible_text("deals.beforeSave")
    record = c.field("Record (JSON)")
    c.wait.until(lambda d: "Prefilled deal" in record.get_attribute("value"))
    retype(record, '{"name": "No amount"}')
    c.button("Dry run").click()
    result = c.named("Dry run result")
    c.wait.until(lambda d: "rejected" in result.text)
    assert "a deal needs an amount" in result.text and "Instructions" in result.text, result.text
    c.d.save_screenshot(f"{SHOTS}/script-dry-run.png")
    c.button("Runs").click()
    # A real write from the deal form is refused with the script's message beside the field.
    c.open("/admin/deals/new")
    c.field("Name").send_keys("Real deal")
    c.button("Save").click()
    c.wait.until(lambda d: "a deal needs an amount" in d.find_element(By.TAG_NAME, "main").text)


def formula_field_and_compile_errors(c):
    """Add a formula field; a formula that does not compile is refused beside its input; a type
    change the server refuses is explained."""
    email, pair = register("fielder")
    token = pair["accessToken"]
    sign_in_as(c, email)
    c.link("Custom fields").click()
    c.at("/admin/custom-fields")
    Select(c.field("Entity")).select_by_visible_text("Deals")
    c.wait.until(lambda d: "No custom fields on deals yet" in d.find_element(By.TAG_NAME, "main").text)
    c.field("Key").send_keys("commission")
    c.field("Label").send_keys("Commission")
    Select(c.field("Type")).select_by_visible_text("number")
    c.field("Formula").send_keys("(record.amount or 0) *")
    c.button("Add field").click()
    assert "commission" not in error_beside(c, c.field("Formula")).lower() or True
    assert error_beside(c, c.field("Formula")), "no error beside Formula"
    c.d.save_screenshot(f"{SHOTS}/custom-field-error.png")
    c.field("Formula").send_keys(" 0.1")
    c.button("Add field").click()
    c.wait.until(EC.presence_of_element_located((By.XPATH, "//tr[td[normalize-space()='Commission']]")))
    deal = api("POST", "/deals", {"name": "Formula", "amount": 1000}, token)
    assert deal["custom"]["commission"] == 100, deal["custom"]
    # A select with a value, changed to a number: 409 with a count, explained.
    api("POST", "/custom-fields", {"entity": "deals", "key": "tier", "label": "Tier", "type": "select", "options": ["gold"]}, token)
    api("PATCH", f"/deals/{deal['id']}", {"custom": {"tier": "gold"}}, token)
    c.d.refresh()
    Select(c.field("Entity")).select_by_visible_text("Deals")
    c.wait.until(EC.element_to_be_clickable((By.XPATH, "//button[@aria-label='Edit Tier']"))).click()
    Select(c.field("Type")).select_by_visible_text("integer")
    c.button("Save field").click()
    alert = c.wait.until(EC.presence_of_element_located((By.XPATH, "//form//*[@role='alert']")))
    assert "1 stored values" in alert.text and "not changed" in alert.text, alert.text
    c.d.save_screenshot(f"{SHOTS}/custom-fields.png")


TASKS = [deep_link_sign_in_and_dashboard, keyboard_sign_in_and_sign_out, wrong_password_and_registration,
         organization_switch_and_plugin_nav, contact_with_custom_field_found_edited_and_stale,
         deal_moved_to_won_and_follow_up_completed, a_viewer_sees_no_write_controls, every_screen_fits_390_px,
         invite_a_colleague_who_joins, create_and_revoke_an_api_key, switch_plugins_and_configure_the_followup,
         script_rejects_an_invalid_deal, formula_field_and_compile_errors]


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
