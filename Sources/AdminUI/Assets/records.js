// The record screens of contacts, companies, deals and activities (UI.md): a list with search,
// sort, a filter and keyset paging; a record page with every field, tags, related records and
// history; and a create/edit form generated from the organization's OpenAPI document.
import { html, useEffect, useState } from "./preact-htm.js";
import { api, Problem } from "./api.js";
import { navigate } from "./router.js";
import { Alert, Field, formatAmounts } from "./ui.js";
import { entities, formFields, label, recordFields, valueOf } from "./schema.js";

const canWrite = (me) => me.role !== "viewer";

/** A value as a cell or a line of a record page shows it. */
export function display(value, field) {
  if (value === null || value === undefined || value === "") return "—";
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  if (field?.kind === "datetime") return new Date(value).toLocaleString("en-GB", { timeZone: "UTC" }) + " UTC";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function RecordList({ me, entity }) {
  const config = entities[entity];
  const [rows, setRows] = useState(null);
  const [problem, setProblem] = useState(null);
  const [q, setQ] = useState("");
  const [sort, setSort] = useState("-createdAt");
  const [filterField, setFilterField] = useState("");
  const [filterValue, setFilterValue] = useState("");
  const [cursors, setCursors] = useState([null]); // the cursor of each page seen; last = current
  const [next, setNext] = useState(null);

  const load = async (cursor) => {
    const params = new URLSearchParams({ limit: "25", sort });
    if (q.trim()) params.set("q", q.trim());
    if (filterField && filterValue) params.set(`filter[${filterField}][contains]`, filterValue);
    if (cursor) params.set("cursor", cursor);
    try {
      const page = await api("GET", `${config.api}?${params}`);
      setRows(page.data);
      setNext(page.nextCursor);
      setProblem(null);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { setCursors([null]); load(null); }, [entity, sort, q, filterField, filterValue]);

  const sortBy = (name) => setSort(sort === name ? `-${name}` : name);
  const arrow = (name) => (sort === name ? " ▲" : sort === `-${name}` ? " ▼" : "");
  const textColumns = config.columns.filter((c) => !["amount", "employees", "dueAt", "completedAt", "closeDate"].includes(c));
  return html`
    <main>
      <h1 tabindex="-1">${config.title}</h1>
      <div class="toolbar">
        <div class="field inline"><label for="search">Search</label>
          <input id="search" type="search" value=${q} onInput=${(e) => setQ(e.target.value)} /></div>
        <div class="field inline"><label for="filter-field">Filter</label>
          <select id="filter-field" value=${filterField} onChange=${(e) => setFilterField(e.target.value)}>
            <option value="">(none)</option>
            ${textColumns.map((c) => html`<option value=${c}>${label(c)}</option>`)}
          </select></div>
        <div class="field inline"><label for="filter-value">Filter value</label>
          <input id="filter-value" value=${filterValue} onInput=${(e) => setFilterValue(e.target.value)} /></div>
        ${canWrite(me) && html`<a class="button" href=${`/admin/${entity}/new`}>New ${config.one}</a>`}
      </div>
      <${Alert} problem=${problem} />
      <div class="table-wrap">
        <table>
          <thead><tr>${config.columns.map((c) => html`
            <th scope="col" aria-sort=${sort === c ? "ascending" : sort === `-${c}` ? "descending" : undefined}>
              <button type="button" class="link" onClick=${() => sortBy(c)}>${label(c)}${arrow(c)}</button></th>`)}</tr></thead>
          <tbody>${(rows ?? []).map((row) => html`
            <tr>${config.columns.map((c, i) => html`<td>${i === 0
              ? html`<a href=${`/admin/${entity}/${row.id}`}>${display(row[c]) === "—" ? `(no ${label(c).toLowerCase()})` : display(row[c])}</a>`
              : display(row[c])}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
      ${rows && rows.length === 0 && html`<p>No ${config.title.toLowerCase()} yet${canWrite(me) ? html` — use “New ${config.one}” to add one` : ""}.</p>`}
      <div class="pager">
        <button type="button" class="secondary" disabled=${cursors.length < 2}
          onClick=${() => { const back = cursors.slice(0, -1); setCursors(back); load(back[back.length - 1]); }}>Previous page</button>
        <button type="button" class="secondary" disabled=${!next}
          onClick=${() => { setCursors([...cursors, next]); load(next); }}>Next page</button>
      </div>
    </main>`;
}

/** Related records: a contact's deals and activities, a deal's contacts and activities, a company's contacts and deals. */
const related = {
  contacts: (r) => [["Deals", "deals", `/deals?filter[contactIds]=${r.id}`], ["Activities", "activities", `/activities?filter[contactId]=${r.id}`]],
  deals: (r) => [["Contacts", "contacts", r.contactIds?.length ? `/contacts?filter[id][in]=${r.contactIds.join(",")}` : null], ["Activities", "activities", `/activities?filter[dealId]=${r.id}`]],
  companies: (r) => [["Contacts", "contacts", `/contacts?filter[companyId]=${r.id}`], ["Deals", "deals", `/deals?filter[companyId]=${r.id}`]],
  activities: () => [],
};

/** Names (and pages) of the records a record points to, by field name. */
async function referenceNames(record, fields) {
  const names = {};
  const targets = { companyId: "companies", contactId: "contacts", dealId: "deals" };
  for (const f of fields.filter((f) => f.kind === "reference" && valueOf(record, f.name))) {
    const value = valueOf(record, f.name);
    const target = targets[f.name];
    if (target) {
      const found = await api("GET", `${entities[target].api}/${value}`).catch(() => null);
      if (found) names[f.name] = { text: found.name || [found.firstName, found.lastName].filter(Boolean).join(" ") || value, href: `/admin/${target}/${value}` };
    } else if (f.name === "stageId" || f.name === "pipelineId") {
      const pipelines = (await api("GET", "/pipelines").catch(() => ({ data: [] }))).data;
      const pipeline = pipelines.find((p) => p.id === value || p.stages.some((s) => s.id === value));
      const text = f.name === "pipelineId" ? pipeline?.name : pipeline?.stages.find((s) => s.id === value)?.name;
      if (text) names[f.name] = { text };
    } else if (f.name === "ownerId") {
      const member = (await api("GET", "/members").catch(() => ({ data: [] }))).data.find((m) => m.userId === value);
      if (member) names[f.name] = { text: member.name };
    }
  }
  return names;
}

export function RecordPage({ me, entity, id }) {
  const config = entities[entity];
  const [record, setRecord] = useState(null);
  const [deleted, setDeleted] = useState(false);
  const [fields, setFields] = useState([]);
  const [history, setHistory] = useState([]);
  const [relations, setRelations] = useState([]);
  const [names, setNames] = useState({});
  const [problem, setProblem] = useState(null);
  const load = async () => {
    try {
      const found = await api("GET", `${config.api}/${id}`);
      setRecord(found);
      const shown = await recordFields(me.organization.id, entity);
      setFields(shown);
      setNames(await referenceNames(found, shown));
      setHistory((await api("GET", `${config.api}/${id}/history`)).data);
      const lists = [];
      for (const [title, target, query] of related[entity](found)) {
        if (!query) { lists.push([title, target, []]); continue; }
        lists.push([title, target, await api("GET", query).then((p) => p.data).catch(() => [])]);
      }
      setRelations(lists);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { load(); }, [entity, id]);
  const remove = async () => {
    try { await api("DELETE", `${config.api}/${id}`); setDeleted(true); setProblem(null); } catch (error) { setProblem(error); }
  };
  const restore = async () => {
    try { setRecord(await api("POST", `${config.api}/${id}/restore`)); setDeleted(false); setProblem(null); } catch (error) { setProblem(error); }
  };
  if (!record) return html`<main><h1 tabindex="-1">${config.title}</h1><${Alert} problem=${problem} /></main>`;
  const title = record.name || record.subject || [record.firstName, record.lastName].filter(Boolean).join(" ") || config.one;
  return html`
    <main>
      <h1 tabindex="-1">${title}</h1>
      <${Alert} problem=${problem} />
      ${deleted && html`<p role="status">This ${config.one} is deleted.</p>`}
      ${canWrite(me) && html`<div class="toolbar">
        ${deleted
          ? html`<button type="button" onClick=${restore}>Restore</button>`
          : html`<a class="button" href=${`/admin/${entity}/${id}/edit`}>Edit</a>
                 <button type="button" class="secondary danger" onClick=${remove}>Delete</button>`}
      </div>`}
      <dl class="record">
        ${fields.map((f) => html`<dt>${f.label}</dt><dd>${names[f.name]
          ? (names[f.name].href ? html`<a href=${names[f.name].href}>${names[f.name].text}</a>` : names[f.name].text)
          : display(valueOf(record, f.name), f)}</dd>`)}
        <dt>Tags</dt><dd>${record.tags?.length ? record.tags.map((t) => html`<span class="tag">${t}</span>`) : "—"}</dd>
      </dl>
      ${relations.map(([title, target, rows]) => html`
        <section aria-label=${title}><h2>${title}</h2>
          ${rows.length ? html`<ul>${rows.map((r) => html`<li><a href=${`/admin/${target}/${r.id}`}>${r.name || r.subject || [r.firstName, r.lastName].filter(Boolean).join(" ") || r.id}</a></li>`)}</ul>` : html`<p>None.</p>`}
        </section>`)}
      <section aria-label="History"><h2>History</h2>
        <ol class="history">${history.map((h) => html`<li>
          <time datetime=${h.at}>${display(h.at, { kind: "datetime" })}</time> — ${h.action} by ${h.actor.type}${h.actor.type === "system" ? ` (${h.actor.id})` : ""}
          ${Object.keys(h.changes).length > 0 && html`<ul>${Object.entries(h.changes).map(([name, change]) => html`
            <li>${name.startsWith("custom.") ? name.slice(7) : label(name)}: ${display(change.from)} → ${display(change.to)}</li>`)}</ul>`}
        </li>`)}</ol>
      </section>
    </main>`;
}

/** The options a reference field offers: records of its target, by name. */
async function referenceOptions(name) {
  const sources = { companyId: ["/companies", "name"], contactId: ["/contacts", "lastName"], dealId: ["/deals", "name"] };
  if (name === "stageId" || name === "pipelineId") {
    const pipelines = (await api("GET", "/pipelines")).data;
    return name === "pipelineId"
      ? pipelines.map((p) => [p.id, p.name])
      : pipelines.flatMap((p) => p.stages.map((s) => [s.id, pipelines.length > 1 ? `${p.name}: ${s.name}` : s.name]));
  }
  if (name === "ownerId") return (await api("GET", "/members")).data.map((m) => [m.userId, m.name]);
  const source = sources[name];
  if (!source) return null;
  const rows = (await api("GET", `${source[0]}?limit=100&sort=${source[1]}`)).data;
  return rows.map((r) => [r.id, r.name || [r.firstName, r.lastName].filter(Boolean).join(" ") || r.id]);
}

/** A value typed in a form, as the API takes it. */
function parse(field, text) {
  if (text === "" || text === undefined) return null;
  switch (field.kind) {
    case "number": return Number(text);
    case "boolean": return text === "true";
    case "datetime": return new Date(text).toISOString().replace(/\.\d{3}Z$/, "Z");
    case "tags": return text.split(",").map((t) => t.trim()).filter(Boolean);
    case "multiselect": return text;
    case "json": try { return JSON.parse(text); } catch { return text; }
    default: return text;
  }
}

/** A stored value as a form shows it. */
function unparse(field, value) {
  if (value === null || value === undefined) return "";
  if (field.kind === "datetime") return value.slice(0, 16);
  if (field.kind === "tags") return value.join(", ");
  if (field.kind === "json") return JSON.stringify(value);
  return String(value);
}

export function RecordForm({ me, entity, id }) {
  const config = entities[entity];
  const [fields, setFields] = useState(null);
  const [values, setValues] = useState({});
  const [version, setVersion] = useState(null);
  const [options, setOptions] = useState({});
  const [problem, setProblem] = useState(null);
  const [stale, setStale] = useState(false);
  const load = async () => {
    try {
      const list = [...(await formFields(me.organization.id, entity)), { name: "tags", label: "Tags", kind: "tags" }]
        .filter((f, i, all) => all.findIndex((g) => g.name === f.name) === i);
      const record = id ? await api("GET", `${config.api}/${id}`) : null;
      const initial = {};
      for (const f of list) initial[f.name] = record ? unparse(f, valueOf(record, f.name)) : "";
      setVersion(record?.version ?? null);
      setValues(initial);
      setStale(false);
      const found = {};
      for (const f of list.filter((f) => f.kind === "reference")) found[f.name] = await referenceOptions(f.name).catch(() => null);
      setOptions(found);
      setFields(list);
    } catch (error) {
      setProblem(error);
    }
  };
  useEffect(() => { load(); }, [entity, id]);
  const save = async (event) => {
    event.preventDefault();
    const body = { custom: {} };
    for (const f of fields) {
      const value = parse(f, values[f.name]);
      if (!id && value === null) continue;
      if (f.custom) body.custom[f.name.slice(7)] = value;
      else body[f.name] = f.kind === "tags" ? value ?? [] : value;
    }
    if (!id && Object.keys(body.custom).length === 0) delete body.custom;
    try {
      const saved = id
        ? await apiWithVersion("PATCH", `${config.api}/${id}`, body, version)
        : await api("POST", config.api, body);
      navigate(`/admin/${entity}/${saved.id}`);
    } catch (error) {
      setStale(error instanceof Problem && error.status === 412);
      setProblem(error);
    }
  };
  if (!fields) return html`<main><h1 tabindex="-1">${id ? "Edit" : "New"} ${config.one}</h1><${Alert} problem=${problem} /></main>`;
  const set = (name) => (value) => setValues({ ...values, [name]: value });
  return html`
    <main>
      <h1 tabindex="-1">${id ? "Edit" : "New"} ${config.one}</h1>
      ${stale
        ? html`<div class="alert" role="alert">This ${config.one} was changed by someone else since you opened it.
            <button type="button" class="secondary" onClick=${load}>Reload</button></div>`
        : html`<${Alert} problem=${problem} />`}
      <form onSubmit=${save} novalidate class="record-form">
        ${fields.map((f) => html`<${Input} field=${f} value=${values[f.name]} onInput=${set(f.name)} problem=${problem} choices=${options[f.name]} />`)}
        <button type="submit">Save</button>
      </form>
    </main>`;
}

/** PATCH with If-Match (the version read), so a change made meanwhile is a 412, not lost. */
function apiWithVersion(method, path, body, version) {
  return api(method, path, body, version ? { "If-Match": `"${version}"` } : undefined);
}

function Input({ field, value, onInput, problem, choices }) {
  const errorName = field.name === "tags" ? "tags" : field.name;
  return html`<${Field} label=${field.label} name=${errorName} problem=${problem}>${(id, describedBy) => {
    const common = { id, name: field.name, required: field.required, "aria-describedby": describedBy, "aria-invalid": describedBy ? "true" : undefined };
    if (field.kind === "select" || (field.kind === "reference" && choices)) {
      const list = field.kind === "select" ? field.options.map((o) => [o, o]) : choices;
      return html`<select ...${common} value=${value} onChange=${(e) => onInput(e.target.value)}>
        <option value="">${field.required ? "Choose…" : "(none)"}</option>
        ${list.map(([v, text]) => html`<option value=${v}>${text}</option>`)}</select>`;
    }
    if (field.kind === "boolean") {
      return html`<select ...${common} value=${value} onChange=${(e) => onInput(e.target.value)}>
        <option value="">(none)</option><option value="true">Yes</option><option value="false">No</option></select>`;
    }
    if (field.kind === "textarea" || field.kind === "json") {
      return html`<textarea ...${common} rows="4" value=${value} onInput=${(e) => onInput(e.target.value)}></textarea>`;
    }
    const type = { number: "number", date: "date", datetime: "datetime-local" }[field.kind] ?? (field.schema?.format === "email" ? "email" : "text");
    return html`<input ...${common} type=${type} step=${field.kind === "number" ? "any" : undefined} value=${value}
      onInput=${(e) => onInput(e.target.value)} />`;
  }}<//>`;
}

export { formatAmounts };
