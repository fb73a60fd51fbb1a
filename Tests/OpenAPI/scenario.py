"""Proves the server's OpenAPI document with standard tools, against a live server.

1. Validates the product's document (no token) with openapi-spec-validator.
2. Generates a Python client from it with openapi-python-client (a real generator), imports
   it, and runs a scenario through the generated code: register, create a custom field,
   create a contact with a value for it, list, update with If-Match, delete.
3. Fetches the tenant's view (with the token), validates it too, and checks that the custom
   field appears as a typed property of the contact's `custom`.
4. Validates every request and response of the scenario against both documents with
   openapi-core.

Usage: python scenario.py BASE_URL WORK_DIR   (exit status 0 when everything holds)
"""

import importlib
import json
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_spec_validator import validate
from werkzeug.datastructures import Headers, ImmutableMultiDict


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def fetch_document(base_url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{base_url}/api/v1/openapi.json", headers=headers)
    if response.status_code != 200:
        fail(f"GET /api/v1/openapi.json answered {response.status_code}: {response.text}")
    document = response.json()
    validate(document)  # raises with the first violation of the OpenAPI 3.1 schema
    return document


def generate_client(document, work_dir):
    """Writes the generated package `crm_client` under work_dir and imports it."""
    spec_path = work_dir / "openapi.json"
    spec_path.write_text(json.dumps(document))
    config_path = work_dir / "generator.json"
    config_path.write_text(json.dumps({"package_name_override": "crm_client", "post_hooks": []}))
    output = work_dir / "client"
    result = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec_path),
         "--config", str(config_path), "--output-path", str(output), "--meta", "none", "--overwrite"],
        capture_output=True, text=True)
    print(result.stdout)
    if result.returncode != 0 or "Warning" in result.stdout or "Error" in result.stdout:
        fail(f"openapi-python-client did not generate cleanly:\n{result.stdout}\n{result.stderr}")
    sys.path.insert(0, str(output.parent))
    # With --meta none the output directory is the package itself.
    output.rename(output.parent / "crm_client")
    return importlib.import_module("crm_client")


class Exchange:
    """One request and its response, in the shapes openapi-core validates."""

    def __init__(self, response: httpx.Response):
        self.response = response
        request = response.request
        url = urlsplit(str(request.url))
        self.host_url = f"{url.scheme}://{url.netloc}"
        self.path = url.path
        self.full_url_pattern = self.host_url + self.path
        self.method = request.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(httpx.QueryParams(url.query).multi_items()),
            header=Headers(list(request.headers.items())),
            cookie=ImmutableMultiDict(),
        )
        self.content_type = request.headers.get("content-type", "")
        self.body = request.content or None
        # The response side.
        self.status_code = response.status_code
        self.data = response.content
        self.mimetype = response.headers.get("content-type", "").split(";")[0]
        self.headers = Headers(list(response.headers.items()))
        self.invalid_request = False

    def describe(self):
        return f"{self.method.upper()} {self.path} → {self.status_code}"


class ResponseView:
    def __init__(self, exchange):
        self.status_code = exchange.status_code
        self.data = exchange.data
        self.content_type = exchange.mimetype
        self.headers = exchange.headers


def check_exchanges(document, exchanges, base_url, label):
    document = dict(document)
    document["servers"] = [{"url": base_url}]
    # RFC 9457 problem documents are JSON under their own media type.
    api = OpenAPI.from_dict(
        document, config=Config(extra_media_type_deserializers={"application/problem+json": json.loads}))
    for exchange in exchanges:
        try:
            if not exchange.invalid_request:
                api.validate_request(exchange)
            api.validate_response(exchange, ResponseView(exchange))
        except Exception as error:  # openapi-core raises a tree of validation errors
            details = getattr(error, "__cause__", None)
            fail(f"{label}: {exchange.describe()} does not match the document: {error!r} {details!r}\n"
                 f"body: {exchange.data[:2000]!r}")
    print(f"{label}: {len(exchanges)} exchanges match the document")


def tour(base_url, token, event_hooks, exchanges):
    """Calls the rest of the API the way an integrator would (raw HTTP, recorded like the
    client's calls), so every documented shape meets a real response: kernel resources,
    deals and pipelines, activities, tags, search, custom fields, scripts and workflows,
    and the problem documents of typical mistakes."""
    http = httpx.Client(base_url=f"{base_url}/api/v1", headers={"Authorization": f"Bearer {token}"},
                        event_hooks=event_hooks)

    def call(method, path, expected, invalid_request=False, **kwargs):
        response = http.request(method, path, **kwargs)
        # A deliberate mistake breaks the document's request rules; its answer must still match.
        exchanges[-1].invalid_request = invalid_request
        if response.status_code != expected:
            fail(f"{method} {path} answered {response.status_code}, not {expected}: {response.text}")
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else None

    me = call("GET", "/auth/me", 200)
    call("GET", "/organizations", 200)
    call("PATCH", "/organizations/current", 200, json={"name": "Generated Co", "currency": "EUR"})
    other = httpx.post(f"{base_url}/api/v1/auth/register", json={
        "email": f"member-{uuid.uuid4().hex[:8]}@example.com", "password": "another passphrase", "name": "Member"})
    member_email = other.json()["user"]["email"]
    member_id = other.json()["user"]["id"]
    invitation = call("POST", "/members", 201, json={"email": member_email, "role": "member"})
    accepted = httpx.post(f"{base_url}/api/v1/invitations/accept", json={"token": invitation["token"]},
                          headers={"Authorization": f"Bearer {other.json()['accessToken']}"})
    if accepted.status_code != 200:
        fail(f"accepting the invitation answered {accepted.status_code}: {accepted.text}")
    call("GET", "/members", 200)
    call("PATCH", f"/members/{member_id}", 200, json={"role": "viewer"})
    call("DELETE", f"/members/{member_id}", 204)
    pending = call("POST", "/members", 201, json={"email": f"later-{uuid.uuid4().hex[:8]}@example.com", "role": "viewer"})
    call("GET", "/invitations", 200)
    call("DELETE", f"/invitations/{pending['id']}", 204)
    key = call("POST", "/api-keys", 201, json={"name": "ci", "role": "member"})
    call("GET", "/api-keys", 200)
    call("DELETE", f"/api-keys/{key['id']}", 204)
    call("GET", "/insights/summary", 200)
    call("GET", "/insights/pipeline", 200)
    call("GET", "/insights/activities", 200)
    call("GET", "/auth/providers", 200)
    call("GET", "/plugins", 200)
    call("PUT", "/plugins/email-normalizer", 200, json={"enabled": True})
    call("PUT", "/plugins/deal-won-followup", 200, json={"enabled": True, "config": {"delayDays": 3}})

    company = call("POST", "/companies", 201, json={"name": "Analytical Engines", "domain": "engines.example",
                                                    "employees": 12, "tags": ["vip"]})
    call("PUT", f"/companies/{company['id']}", 200, json={"name": "Analytical Engines Ltd"},
         headers={"If-Match": '"1"'})
    call("GET", "/tags", 200)
    tag = call("POST", "/tags", 201, json={"name": "partner"})
    call("DELETE", f"/tags/{tag['id']}", 204)
    pipelines = call("GET", "/pipelines", 200)
    pipeline = pipelines["data"][0]
    won = next(stage for stage in pipeline["stages"] if stage["kind"] == "won")
    deal = call("POST", "/deals", 201, json={"name": "Difference engine", "amount": 1200.5,
                                            "companyId": company["id"], "closeDate": "2026-12-31"})
    call("POST", f"/deals/{deal['id']}/move", 200, json={"stageId": won["id"]})
    call("GET", f"/deals/{deal['id']}/stage-history", 200)
    call("GET", f"/pipelines/{pipeline['id']}", 200)
    call("GET", f"/pipelines/{pipeline['id']}/board", 200)
    extra = call("POST", "/pipelines", 201, json={"name": "Renewals", "stages": [
        {"name": "Due", "probability": 50, "kind": "open"}, {"name": "Renewed", "probability": 100, "kind": "won"}]})
    call("PATCH", f"/pipelines/{extra['id']}", 200, json={"name": "Renewals 2027"})
    call("DELETE", f"/pipelines/{extra['id']}", 204)
    activity = call("POST", "/activities", 201, json={"type": "task", "subject": "Send the plans",
                                                     "dealId": deal["id"], "dueAt": "2026-12-01T09:00:00Z"})
    call("POST", f"/activities/{activity['id']}/complete", 200)
    call("GET", "/activities", 200, params={"filter[type]": "task", "sort": "-createdAt", "includeTotal": "true"})
    call("GET", "/deals", 200, params={"filter[amount][gte]": "1000", "limit": "5"})
    call("GET", f"/companies/{company['id']}/history", 200)
    call("DELETE", f"/companies/{company['id']}", 204)
    call("POST", f"/companies/{company['id']}/restore", 200)
    call("GET", "/search", 200, params={"q": "engine", "types": "companies,deals"})

    fields = call("GET", "/custom-fields", 200, params={"entity": "contacts"})
    tier = fields["data"][0]
    call("PATCH", f"/custom-fields/{tier['id']}", 200, json={"label": "Customer tier"})
    score = call("POST", "/custom-fields", 201, json={
        "entity": "deals", "key": "weighted", "label": "Weighted", "type": "number",
        "formula": "(record.amount or 0) / 2"})
    call("GET", f"/deals/{deal['id']}", 200)
    call("DELETE", f"/custom-fields/{score['id']}", 204)

    source = ('return { description = "Titles are required", on = { ["contacts.beforeSave"] = function(event, crm)\n'
              '  if event.record.title == nil then event:reject("title", "is required") end\n'
              '  crm.log("checked")\nend } }')
    call("PUT", "/scripts/require-title", 201, json={"source": source})
    call("PUT", "/scripts/require-title", 200, json={"source": source, "enabled": True})
    call("GET", "/scripts", 200)
    call("GET", "/scripts/require-title", 200)
    call("POST", "/scripts/require-title/test", 200, json={"event": "contacts.beforeSave", "record": {"firstName": "A"}})
    call("POST", "/contacts", 422, json={"firstName": "No title"})
    call("GET", "/scripts/require-title/runs", 200)
    call("DELETE", "/scripts/require-title", 204)
    call("GET", "/workflow-jobs", 200)

    # Typical mistakes: each a documented problem.
    call("POST", "/contacts", 422, invalid_request=True, json={"firstName": 5, "unknown": True})
    call("GET", "/contacts", 400, invalid_request=True, params={"limit": "0"})
    call("GET", "/contacts/not-a-uuid", 404, invalid_request=True)
    call("POST", "/contacts", 400, invalid_request=True, content=b"{not json",
         headers={"Content-Type": "application/json"})
    call("PUT", "/scripts/broken", 422, json={"source": "return {"})
    if me["user"]["email"] is None:
        fail("me has no user")


def main():
    base_url, work_dir = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    work_dir.mkdir(parents=True, exist_ok=True)

    product = fetch_document(base_url)
    print(f"product document: valid OpenAPI {product['openapi']}, {len(product['paths'])} paths")
    crm = generate_client(product, work_dir)

    exchanges = []

    def record(response):
        response.read()
        exchanges.append(Exchange(response))

    hooks = {"event_hooks": {"response": [record]}}
    from crm_client import Client, AuthenticatedClient
    from crm_client.api.auth import register
    from crm_client.api.customfields import create_custom_field
    from crm_client.api.contacts import create_contact, list_contacts, update_contact, delete_contact, get_contact
    from crm_client.models import RegisterRequest, CustomFieldInput, ContactInput, ContactPatch
    from crm_client.models import ContactCustomInput

    anonymous = Client(base_url=base_url, httpx_args=hooks, raise_on_unexpected_status=True)
    email = f"openapi-{uuid.uuid4().hex[:8]}@example.com"
    registered = register.sync_detailed(
        client=anonymous,
        body=RegisterRequest(email=email, password="a long passphrase", name="OpenAPI", organization_name="Generated Co"))
    if registered.status_code != 201:
        fail(f"register answered {registered.status_code}: {registered.content!r}")
    token = registered.parsed.access_token
    client = AuthenticatedClient(base_url=base_url, token=token, httpx_args=hooks, raise_on_unexpected_status=True)

    field = create_custom_field.sync_detailed(
        client=client,
        body=CustomFieldInput.from_dict({"entity": "contacts", "key": "tier", "label": "Tier", "type": "select",
                                         "options": ["gold", "silver"]}))
    if field.status_code != 201:
        fail(f"createCustomField answered {field.status_code}: {field.content!r}")

    custom = ContactCustomInput.from_dict({"tier": "gold"})
    created = create_contact.sync_detailed(
        client=client, body=ContactInput(first_name="Ada", last_name="Lovelace", email="ada@example.com", custom=custom))
    if created.status_code != 201:
        fail(f"createContact answered {created.status_code}: {created.content!r}")
    contact = created.parsed
    etag = created.headers["ETag"]
    if contact.custom.to_dict().get("tier") != "gold" or etag != '"1"':
        fail(f"created contact has custom {contact.custom.to_dict()} and ETag {etag}")

    listed = list_contacts.sync_detailed(client=client, limit=10)
    if listed.status_code != 200 or [c.id for c in listed.parsed.data] != [contact.id]:
        fail(f"listContacts answered {listed.status_code}: {listed.content!r}")

    updated = update_contact.sync_detailed(
        id=contact.id, client=client, body=ContactPatch(title="Countess"), if_match=etag)
    if updated.status_code != 200 or updated.parsed.title != "Countess" or updated.parsed.version != 2:
        fail(f"updateContact answered {updated.status_code}: {updated.content!r}")

    # The old ETag is stale now: the same client call gets the documented 412 problem.
    stale = httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, event_hooks=hooks["event_hooks"])
    conflict = stale.patch(f"/api/v1/contacts/{contact.id}", json={"title": "Again"}, headers={"If-Match": etag})
    if conflict.status_code != 412:
        fail(f"a stale If-Match answered {conflict.status_code}")

    deleted = delete_contact.sync_detailed(id=contact.id, client=client, if_match='"2"')
    if deleted.status_code != 204:
        fail(f"deleteContact answered {deleted.status_code}: {deleted.content!r}")
    gone = stale.get(f"/api/v1/contacts/{contact.id}")
    if gone.status_code != 404:
        fail(f"a deleted contact answered {gone.status_code}")
    print(f"scenario through the generated client: {len(exchanges)} calls")

    tour(base_url, token, hooks["event_hooks"], exchanges)
    print(f"tour of the other endpoints: {len(exchanges)} calls in all")

    tenant = fetch_document(base_url, token)
    tier = tenant["components"]["schemas"]["ContactCustom"]["properties"].get("tier")
    if not tier or "string" not in json.dumps(tier):
        fail(f"the tenant view does not type custom.tier: {tier}")
    if "tier" in product["components"]["schemas"]["ContactCustom"].get("properties", {}):
        fail("the product view shows a tenant's custom field")
    print("tenant document: valid, types custom.tier")

    check_exchanges(product, exchanges, base_url, "product document")
    check_exchanges(tenant, exchanges, base_url, "tenant document")
    print("OK")


if __name__ == "__main__":
    main()
