// What the forms and record pages know about an entity comes from the organization's OpenAPI
// document (GET /api/v1/openapi.json with the user's token): its fields, their types, options
// and limits, and the organization's custom fields — so a new custom field appears in every
// form and page with no change here.
import { api } from "./api.js";

let documentPromise = null;
let documentOrg = null;

/** The tenant's document, fetched once per organization. */
export function openAPIDocument(organizationId) {
  if (!documentPromise || documentOrg !== organizationId) {
    documentOrg = organizationId;
    documentPromise = api("GET", "/openapi.json");
  }
  return documentPromise;
}

/** The screens' entities: API path, component name and the labels UI.md names them by. */
export const entities = {
  contacts: { api: "/contacts", component: "Contact", title: "Contacts", one: "contact", columns: ["firstName", "lastName", "email", "phone"] },
  companies: { api: "/companies", component: "Company", title: "Companies", one: "company", columns: ["name", "domain", "industry", "employees"] },
  deals: { api: "/deals", component: "Deal", title: "Deals", one: "deal", columns: ["name", "amount", "currency", "status", "closeDate"] },
  activities: { api: "/activities", component: "Activity", title: "Activities", one: "activity", columns: ["subject", "type", "dueAt", "completedAt"] },
};

const labels = {
  firstName: "First name", lastName: "Last name", email: "Email", phone: "Phone", title: "Title", companyId: "Company",
  ownerId: "Owner", name: "Name", domain: "Domain", website: "Website", industry: "Industry", employees: "Employees",
  amount: "Amount", currency: "Currency", pipelineId: "Pipeline", stageId: "Stage", status: "Status", contactIds: "Contacts",
  closeDate: "Close date", subject: "Subject", type: "Type", body: "Body", dueAt: "Due at", completedAt: "Completed at",
  dealId: "Deal", contactId: "Contact", tags: "Tags", createdAt: "Created", updatedAt: "Updated",
};

/** A field's label: UI.md's name, else its name in words ("closeDate" → "Close date"). */
export function label(name) {
  if (labels[name]) return labels[name];
  const words = name.replace(/Ids?$/, "").replace(/([A-Z])/g, " $1").toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function resolve(document, schema) {
  let current = schema;
  for (let i = 0; current && i < 5; i++) {
    if (current.$ref) current = document.components.schemas[current.$ref.split("/").pop()];
    else if (current.allOf?.length === 1) current = { ...current.allOf[0], readOnly: current.readOnly ?? current.allOf[0].readOnly, description: current.description };
    else if (current.anyOf) current = current.anyOf.find((s) => s.type !== "null") ?? current.anyOf[0];
    else if (current.oneOf) current = current.oneOf.find((s) => s.type !== "null") ?? current.oneOf[0];
    else break;
  }
  return current ?? {};
}

/** One input of a form: name, label, kind (text, number, date, datetime, select, reference, tags, json) and limits. */
function describe(document, name, raw, required, custom = false) {
  const schema = resolve(document, raw);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  const field = { name, label: custom ? (raw.description || schema.description || name) : label(name), required, custom, schema };
  if (schema.enum) field.kind = "select";
  else if (schema.format === "uuid") field.kind = "reference";
  else if (schema.format === "date") field.kind = "date";
  else if (schema.format === "date-time") field.kind = "datetime";
  else if (type === "integer" || type === "number") field.kind = "number";
  else if (type === "boolean") field.kind = "boolean";
  else if (type === "array" && name === "tags") field.kind = "tags";
  else if (type === "array" && resolve(document, schema.items ?? {}).enum) { field.kind = "multiselect"; field.options = resolve(document, schema.items).enum; }
  else if (type === "array" || type === "object") field.kind = "json";
  else field.kind = name === "body" ? "textarea" : "text";
  if (schema.enum) field.options = schema.enum.filter((v) => v !== null);
  return field;
}

/** The writable fields of an entity (its `<Name>Input`), custom fields last, by their labels. */
export async function formFields(organizationId, entity) {
  const document = await openAPIDocument(organizationId);
  const component = entities[entity].component;
  const input = document.components.schemas[`${component}Input`] ?? { properties: {} };
  const required = new Set(input.required ?? []);
  const fields = Object.entries(input.properties ?? {})
    .filter(([name]) => name !== "custom")
    .map(([name, schema]) => describe(document, name, schema, required.has(name)));
  const custom = resolve(document, document.components.schemas[`${component}CustomInput`] ?? {});
  for (const [key, schema] of Object.entries(custom.properties ?? {})) {
    fields.push(describe(document, `custom.${key}`, schema, (custom.required ?? []).includes(key), true));
  }
  return fields;
}

/** Every field a record shows (its component), with labels; custom ones by their definitions' labels. */
export async function recordFields(organizationId, entity) {
  const document = await openAPIDocument(organizationId);
  const component = entities[entity].component;
  const record = document.components.schemas[component] ?? { properties: {} };
  const fields = Object.entries(record.properties ?? {})
    .filter(([name]) => !["id", "custom", "tags", "version"].includes(name))
    .map(([name, schema]) => describe(document, name, schema, false));
  const custom = resolve(document, document.components.schemas[`${component}Custom`] ?? {});
  for (const [key, schema] of Object.entries(custom.properties ?? {})) {
    fields.push(describe(document, `custom.${key}`, schema, false, true));
  }
  return fields;
}

/** A record's value for a (possibly custom) field name. */
export function valueOf(record, name) {
  return name.startsWith("custom.") ? record.custom?.[name.slice(7)] : record[name];
}
