// Custom fields (UI.md): the definitions of one entity (select "Entity"), added, edited and
// deleted with every setting of API.md: key, label, type (all 13), options, default, validation
// and formula. The server's errors appear beside their inputs (a formula's or a validation's
// Lua compile error included); a type change it refuses (409, with a count) is explained.
import { html, useEffect, useRef, useState } from "./preact-htm.js";
import { api, Problem } from "./api.js";
import { Alert, Empty, Field, isAdmin, useAction, useCollection, useId } from "./ui.js";

const types = ["text", "longText", "number", "integer", "boolean", "date", "datetime", "email", "url", "phone", "select", "multiSelect", "currency"];
const entityNames = { contacts: "Contacts", companies: "Companies", deals: "Deals", activities: "Activities" };
const blank = { key: "", label: "", type: "text", required: false, indexed: false, options: "", defaultValue: "", expression: "", message: "", formula: "" };

/** A default as text, the way it is typed: lists with `;`, money as `12.50 EUR` (the CSV form). */
function defaultText(value, type) {
  if (value === null || value === undefined) return "";
  if (type === "multiSelect") return value.join(";");
  if (type === "currency") return `${Number(value.amount).toFixed(2)} ${value.currency}`;
  return String(value);
}

/** The default the API takes, from its text; text that does not parse is sent as it is, for the server to explain. */
function defaultValue(text, type) {
  const trimmed = text.trim();
  if (trimmed === "") return null;
  switch (type) {
    case "number": case "integer": return Number.isNaN(Number(trimmed)) ? trimmed : Number(trimmed);
    case "boolean": return trimmed === "true" ? true : trimmed === "false" ? false : trimmed;
    case "multiSelect": return trimmed.split(";").map((s) => s.trim()).filter(Boolean);
    case "currency": {
      const [amount, currency] = trimmed.split(/\s+/);
      return Number.isNaN(Number(amount)) || !currency ? trimmed : { amount: Number(amount), currency };
    }
    default: return trimmed;
  }
}

function DefinitionForm({ entity, editing, onDone }) {
  const [form, setForm] = useState(editing ? {
    ...blank, ...editing, options: (editing.options ?? []).join("\n"), defaultValue: defaultText(editing.defaultValue, editing.type),
    expression: editing.validation?.expression ?? "", message: editing.validation?.message ?? "", formula: editing.formula ?? "",
  } : blank);
  const [problem, setProblem] = useState(null);
  const set = (key) => (value) => setForm({ ...form, [key]: value });
  const typeId = useId("type");
  const requiredId = useId("required");
  const indexedId = useId("indexed");
  const selectType = form.type === "select" || form.type === "multiSelect";
  const heading = useRef(null);
  // "Edit" brings the form into view with the focus on it (keyboard and small screens).
  useEffect(() => {
    if (editing) { heading.current?.scrollIntoView({ block: "start" }); heading.current?.focus(); }
  }, [editing?.id]);

  const submit = async (event) => {
    event.preventDefault();
    setProblem(null);
    const body = {
      label: form.label.trim() || form.key, type: form.type, required: form.required, indexed: form.indexed,
      options: selectType ? form.options.split("\n").map((o) => o.trim()).filter(Boolean) : null,
      defaultValue: defaultValue(form.defaultValue, form.type),
      validation: form.expression.trim() ? { expression: form.expression, message: form.message.trim() || "is invalid" } : null,
      formula: form.formula.trim() ? form.formula : null,
    };
    try {
      if (editing) await api("PATCH", `/custom-fields/${editing.id}`, body);
      else await api("POST", "/custom-fields", { entity, key: form.key, ...body });
      await onDone();
      if (!editing) setForm(blank);
    } catch (error) {
      if (error instanceof Problem && error.status === 409 && error.detail.includes("do not convert")) {
        error.detail += " — the type was not changed. Clear or fix those values first, or add a new field of the new type.";
      }
      setProblem(error);
    }
  };
  const described = (name) => (problem?.fieldError(name) ? `${name}-error` : undefined);
  return html`
    <form class="panel record-form" onSubmit=${submit} novalidate aria-labelledby="definition-heading">
      <h2 id="definition-heading" tabindex="-1" ref=${heading}>${editing ? `Edit ${editing.label}` : "New field"}</h2>
      <${Alert} problem=${problem} />
      ${editing
        ? html`<div class="field"><label for="definition-key">Key</label><input id="definition-key" value=${form.key} readonly /></div>`
        : html`<${Field} label="Key" name="key" value=${form.key} onInput=${set("key")} problem=${problem} required />`}
      <${Field} label="Label" name="label" value=${form.label} onInput=${set("label")} problem=${problem} />
      <${Field} label="Type" name="type" problem=${problem}>
        ${(id, describedBy) => html`<select id=${id} value=${form.type} aria-describedby=${describedBy} onChange=${(e) => set("type")(e.target.value)}>
          ${types.map((t) => html`<option value=${t}>${t}</option>`)}</select>`}
      </${Field}>
      ${selectType && html`<${Field} label="Options" name="options" problem=${problem}>
        ${(id, describedBy) => html`<textarea id=${id} rows="4" aria-describedby=${[describedBy, `${id}-hint`].filter(Boolean).join(" ")}
          value=${form.options} onInput=${(e) => set("options")(e.target.value)}></textarea><p class="detail" id=${`${id}-hint`}>One option per line.</p>`}
      </${Field}>`}
      <${Field} label="Default" name="defaultValue" value=${form.defaultValue} onInput=${set("defaultValue")} problem=${problem} />
      <div class="field checkbox"><input id=${requiredId} type="checkbox" checked=${form.required} onChange=${(e) => set("required")(e.target.checked)} />
        <label for=${requiredId}>Required</label></div>
      <div class="field checkbox"><input id=${indexedId} type="checkbox" checked=${form.indexed} aria-describedby=${`${indexedId}-hint`}
          onChange=${(e) => set("indexed")(e.target.checked)} />
        <label for=${indexedId}>Indexed</label></div>
      <p class="detail" id=${`${indexedId}-hint`}>Lists can sort by an indexed field and filter it by range. One number, one text and one date field per entity; not for yes/no, multi-select or long text.</p>
      <${Field} label="Validation" name="validation.expression" value=${form.expression} onInput=${set("expression")} problem=${problem} />
      <${Field} label="Validation message" name="validation.message" value=${form.message} onInput=${set("message")} problem=${problem} />
      <${Field} label="Formula" name="formula" value=${form.formula} onInput=${set("formula")} problem=${problem} />
      <p class="detail">Validation and formula are Lua expressions: <code>value</code> and <code>record</code> are in scope (e.g. <code>value >= 0</code>, <code>(record.amount or 0) * 0.2</code>). A formula makes the field read-only.</p>
      <div class="actions">
        <button type="submit">${editing ? "Save field" : "Add field"}</button>
        ${editing && html`<button type="button" class="secondary" onClick=${() => onDone()}>Cancel</button>`}
      </div>
    </form>`;
}

export function CustomFields({ me, plugins }) {
  const enabled = new Set(plugins.filter((p) => p.enabled).map((p) => p.id));
  const choices = Object.keys(entityNames).filter((e) => enabled.has(e === "companies" ? "contacts" : e));
  const [entity, setEntity] = useState(choices[0] ?? "contacts");
  const definitions = useCollection(`/custom-fields?entity=${entity}`);
  const [editing, setEditing] = useState(null);
  const [problem, setProblem] = useState(null);
  const run = useAction(setProblem);
  const entityId = useId("entity");
  const admin = isAdmin(me);
  const done = async () => { setEditing(null); await definitions.reload(); };
  const remove = (definition) => run(async () => { await api("DELETE", `/custom-fields/${definition.id}`); await done(); });

  return html`
    <main>
      <h1 tabindex="-1">Custom fields</h1>
      <div class="toolbar">
        <div class="field inline"><label for=${entityId}>Entity</label>
          <select id=${entityId} value=${entity} onChange=${(e) => { setEditing(null); setEntity(e.target.value); }}>
            ${choices.map((e) => html`<option value=${e}>${entityNames[e]}</option>`)}</select></div>
      </div>
      <${Alert} problem=${problem ?? definitions.problem} />
      ${definitions.data?.length === 0 && html`<${Empty}>No custom fields on ${entityNames[entity].toLowerCase()} yet${admin ? " — add one below" : ""}.</${Empty}>`}
      ${definitions.data?.length > 0 && html`
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Label</th><th scope="col">Key</th><th scope="col">Type</th><th scope="col">Rules</th>${admin && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}</tr></thead>
          <tbody>${definitions.data.map((d) => html`
            <tr><td>${d.label}</td><td><code>custom.${d.key}</code></td><td>${d.type}</td>
              <td>${[d.required && "required", d.indexed && "indexed", d.options && `options: ${d.options.join(", ")}`, d.defaultValue !== null && d.defaultValue !== undefined && `default ${defaultText(d.defaultValue, d.type)}`,
                d.validation && `valid when ${d.validation.expression}`, d.formula && `= ${d.formula}`].filter(Boolean).join(" · ") || "—"}</td>
              ${admin && html`<td class="actions">
                <button type="button" class="secondary" aria-label=${`Edit ${d.label}`} onClick=${() => setEditing(d)}>Edit</button>
                <button type="button" class="secondary danger" aria-label=${`Delete ${d.label}`} onClick=${() => remove(d)}>Delete</button></td>`}</tr>`)}</tbody>
        </table></div>`}
      ${admin && html`<${DefinitionForm} key=${editing?.id ?? `new-${entity}`} entity=${entity} editing=${editing} onDone=${done} />`}
    </main>`;
}
