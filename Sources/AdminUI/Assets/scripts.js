// Scripts (UI.md): the organization's Lua scripts with their triggers, version and state; an
// editor with Lua highlighting (CodeMirror 5, loaded when this screen first opens) where a
// script error marks its line; a dry run against a real record; the script's runs; failed
// workflow jobs with "Retry". Saving stays on the script's editor.
import { html, useEffect, useRef, useState } from "./preact-htm.js";
import { api, Problem } from "./api.js";
import { navigate } from "./router.js";
import { Alert, Empty, Field, isAdmin, useAction, useCollection, useId } from "./ui.js";

const entityEvents = ["beforeCreate", "beforeUpdate", "beforeSave", "beforeDelete", "afterCreate", "afterUpdate", "afterSave", "afterDelete"];
const allEvents = ["contacts", "companies", "deals", "activities"]
  .flatMap((entity) => entityEvents.map((e) => `${entity}.${e}`)).concat(["deals.stageChanged"]);

const template = `-- Runs on the events its \`on\` table names (see the API docs, Lua scripting).
return {
  description = "Reject deals without an amount",
  on = {
    ["deals.beforeSave"] = function(event, crm)
      if event.record.amount == nil then
        event:reject("amount", "a deal needs an amount")
      end
    end,
  },
}
`;

let codeMirror = null;
/** CodeMirror 5 and its Lua mode (a classic script), loaded once. */
function loadCodeMirror() {
  codeMirror ??= new Promise((resolve) => {
    const style = document.createElement("link");
    style.rel = "stylesheet";
    style.href = "/admin/assets/codemirror.css";
    document.head.append(style);
    const script = document.createElement("script");
    script.src = "/admin/assets/codemirror-lua.js";
    script.onload = () => resolve(window.CodeMirror);
    script.onerror = () => resolve(null); // the plain text area stays usable
    document.head.append(script);
  });
  return codeMirror;
}

/** The "Source" editor: a labelled text area that CodeMirror enhances; Tab leaves it (keyboard users are never trapped). */
function SourceEditor({ value, onInput, errorLine, readOnly }) {
  const area = useRef(null);
  const editor = useRef(null);
  const marked = useRef(null);
  useEffect(() => {
    let cancelled = false;
    loadCodeMirror().then((CodeMirror) => {
      if (cancelled || !CodeMirror || !area.current) return;
      editor.current = CodeMirror.fromTextArea(area.current, {
        mode: "lua", lineNumbers: true, indentUnit: 2, readOnly, screenReaderLabel: "Source",
        extraKeys: { Tab: false, "Shift-Tab": false, "Ctrl-]": "indentMore", "Ctrl-[": "indentLess" },
      });
      editor.current.on("change", (cm) => onInput(cm.getValue()));
    });
    return () => { cancelled = true; editor.current?.toTextArea(); editor.current = null; };
  }, []);
  useEffect(() => {
    const cm = editor.current;
    if (cm && cm.getValue() !== value) cm.setValue(value);
  }, [value]);
  useEffect(() => {
    const cm = editor.current;
    if (!cm) return;
    if (marked.current !== null) cm.removeLineClass(marked.current, "background", "error-line");
    marked.current = null;
    if (errorLine) {
      marked.current = cm.addLineClass(errorLine - 1, "background", "error-line");
      cm.scrollIntoView({ line: errorLine - 1, ch: 0 });
    }
  }, [errorLine]);
  return html`<div class="field editor"><label for="source">Source</label>
    <textarea id="source" ref=${area} spellcheck="false" readonly=${readOnly} value=${value} onInput=${(e) => onInput(e.target.value)}
      aria-describedby=${errorLine ? "source-error" : undefined}></textarea>
    ${errorLine && html`<p class="field-error" id="source-error">Line ${errorLine}</p>`}</div>`;
}

/** The facts of a dry run, named "Dry run result". */
function DryRunResult({ result, sent }) {
  const changed = Object.keys(result.record ?? {}).filter((k) => JSON.stringify(result.record[k]) !== JSON.stringify(sent?.[k]));
  return html`
    <section class="result" role="region" aria-label="Dry run result">
      <h3>Dry run: ${result.outcome}</h3>
      <dl>
        <dt>Outcome</dt><dd>${result.outcome}</dd>
        ${result.error && html`<dt>Error</dt><dd>${result.error}</dd>`}
        ${result.errors?.length > 0 && html`<dt>Rejections</dt><dd>${result.errors.map((e) => `${e.field}: ${e.message}`).join("; ")}</dd>`}
        <dt>Changed fields</dt><dd>${changed.length ? changed.join(", ") : "none"}</dd>
        <dt>Writes</dt><dd>${result.writes?.length ? html`<pre class="output">${result.writes.map((w) => `${w.op} ${w.entity}${w.id ? ` ${w.id}` : ""} ${JSON.stringify(w.fields ?? {})}`).join("\n")}</pre>` : "none"}</dd>
        <dt>Logs</dt><dd>${result.logs?.length ? html`<pre class="output">${result.logs.map((l) => (typeof l === "string" ? l : `${l.level ?? "info"}: ${l.message ?? JSON.stringify(l)}`)).join("\n")}</pre>` : "none"}</dd>
        <dt>Instructions</dt><dd>${result.instructions}</dd>
        <dt>Time</dt><dd>${result.durationMs} ms</dd>
      </dl>
    </section>`;
}

function DryRun({ script, dirty }) {
  const [event, setEvent] = useState(script.triggers?.[0] ?? "deals.beforeSave");
  const [record, setRecord] = useState("{}");
  const [result, setResult] = useState(null);
  const [sent, setSent] = useState(null);
  const [problem, setProblem] = useState(null);
  const run = useAction(setProblem);
  const eventId = useId("event");
  const recordId = useId("record");
  const entity = event.split(".")[0];
  // Prefill with a real record of the event's entity (the newest), when there is one.
  useEffect(() => {
    api("GET", `/${entity}?limit=1`).then((page) => setRecord(JSON.stringify(page.data[0] ?? {}, null, 2))).catch(() => setRecord("{}"));
  }, [entity]);
  const dryRun = (e) => {
    e.preventDefault();
    run(async () => {
      let parsed;
      try {
        parsed = JSON.parse(record);
      } catch (error) {
        throw new Problem(400, { title: "Record (JSON) is not JSON", detail: error.message, errors: [{ field: "record", message: "must be a JSON object" }] });
      }
      setSent(parsed);
      setResult(await api("POST", `/scripts/${script.name}/test`, { event, record: parsed }));
    });
  };
  const events = [...new Set([...(script.triggers ?? []), ...allEvents])];
  return html`
    <form class="panel" onSubmit=${dryRun} aria-labelledby="dry-run-heading" novalidate>
      <h2 id="dry-run-heading">Dry run</h2>
      <p class="detail">Runs the saved version (${script.version ? `version ${script.version}` : "not saved yet"}) in a transaction that is rolled back: nothing is stored.${dirty ? " You have unsaved changes." : ""}</p>
      <${Alert} problem=${problem} />
      <div class="field"><label for=${eventId}>Event</label>
        <select id=${eventId} value=${event} onChange=${(e) => setEvent(e.target.value)}>
          ${events.map((name) => html`<option value=${name}>${name}</option>`)}</select></div>
      <div class="field"><label for=${recordId}>Record (JSON)</label>
        <textarea id=${recordId} rows="8" spellcheck="false" value=${record} onInput=${(e) => setRecord(e.target.value)}
          aria-describedby=${problem?.fieldError("record") ? `${recordId}-error` : undefined}></textarea>
        ${problem?.fieldError("record") && html`<p class="field-error" id=${`${recordId}-error`}>${problem.fieldError("record")}</p>`}</div>
      <button type="submit" disabled=${!script.version}>Dry run</button>
      ${result && html`<${DryRunResult} result=${result} sent=${sent} />`}
    </form>`;
}

function Runs({ name }) {
  const runs = useCollection(`/scripts/${name}/runs?limit=20`);
  if (runs.problem) return html`<${Alert} problem=${runs.problem} />`;
  if (runs.data?.length === 0) return html`<${Empty}>No runs yet: the script runs when one of its events happens.</${Empty}>`;
  return html`<ul class="plain">${(runs.data ?? []).map((r) => html`
    <li><strong>${r.outcome}</strong> · ${r.event} · ${new Date(r.at).toLocaleString("en-GB", { timeZone: "UTC" })} UTC · ${r.durationMs} ms
      ${r.error && html`<pre class="output">${r.error}</pre>`}
      ${r.logs?.length > 0 && html`<pre class="output">${r.logs.map((l) => (typeof l === "string" ? l : l.message ?? JSON.stringify(l))).join("\n")}</pre>`}</li>`)}</ul>`;
}

function FailedJobs({ name, admin }) {
  const jobs = useCollection("/workflow-jobs?status=failed");
  const [problem, setProblem] = useState(null);
  const run = useAction(setProblem);
  const retry = (job) => run(async () => { await api("POST", `/workflow-jobs/${job.id}/retry`); await jobs.reload(); });
  const mine = (jobs.data ?? []).filter((j) => j.script === name);
  return html`
    <${Alert} problem=${problem ?? jobs.problem} />
    ${jobs.data && mine.length === 0 && html`<${Empty}>No failed jobs for this script.</${Empty}>`}
    <ul class="plain">${mine.map((j) => html`
      <li>${j.event} · ${j.attempts} attempts · ${j.lastError}
        ${admin && html` <button type="button" class="secondary" onClick=${() => retry(j)}>Retry</button>`}</li>`)}</ul>`;
}

function Tabs({ name, admin }) {
  const [tab, setTab] = useState("Runs");
  const tabs = ["Runs", "Failed jobs"];
  const keys = (e) => {
    if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
    const next = tabs[(tabs.indexOf(tab) + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
    setTab(next);
    document.getElementById(`script-tab-${tabs.indexOf(next)}`)?.focus();
  };
  return html`
    <section aria-label="Activity of the script">
      <div role="tablist" aria-label="Script activity" onKeyDown=${keys}>
        ${tabs.map((t, i) => html`<button type="button" role="tab" id=${`script-tab-${i}`} aria-selected=${t === tab}
          aria-controls="script-panel" tabindex=${t === tab ? 0 : -1} class=${t === tab ? "" : "secondary"} onClick=${() => setTab(t)}>${t}</button>`)}
      </div>
      <div role="tabpanel" id="script-panel" aria-labelledby=${`script-tab-${tabs.indexOf(tab)}`}>
        ${tab === "Runs" ? html`<${Runs} key=${name} name=${name} />` : html`<${FailedJobs} key=${name} name=${name} admin=${admin} />`}
      </div>
    </section>`;
}

function Editor({ me, name, onSaved }) {
  const admin = isAdmin(me);
  const creating = !name;
  const [script, setScript] = useState(creating ? { name: "", source: template, enabled: true, triggers: [] } : null);
  const [source, setSource] = useState(creating ? template : "");
  const [newName, setNewName] = useState("");
  const [enabled, setEnabled] = useState(true);
  const [problem, setProblem] = useState(null);
  const [saved, setSaved] = useState(false);
  const run = useAction(setProblem);
  const enabledId = useId("enabled");
  const justCreated = useRef(false);
  // One editor for every script: opening another (or "New script") starts from its own state;
  // the script just created goes on as it is (with its "Saved" note).
  useEffect(() => {
    if (justCreated.current) {
      justCreated.current = false;
      return;
    }
    setSaved(false);
    setProblem(null);
    if (creating) {
      setScript({ name: "", source: template, enabled: true, triggers: [] });
      setSource(template);
      setNewName("");
      setEnabled(true);
      return;
    }
    setScript(null);
    run(async () => {
      const loaded = await api("GET", `/scripts/${name}`);
      setScript(loaded);
      setSource(loaded.source);
      setEnabled(loaded.enabled);
    });
  }, [name]);

  const save = (event) => {
    event.preventDefault();
    setSaved(false);
    run(async () => {
      const target = creating ? newName.trim() : name;
      if (!target) throw new Problem(422, { title: "Validation failed", detail: "name: is required", errors: [{ field: "name", message: "is required" }] });
      const stored = await api("PUT", `/scripts/${encodeURIComponent(target)}`, { source, enabled });
      setScript(stored);
      setSaved(true);
      await onSaved();
      if (creating) {
        justCreated.current = true; // the same editor goes on with the stored script
        navigate(`/admin/scripts/${stored.name}`, { replace: true });
      }
    });
  };
  const remove = () => run(async () => {
    await api("DELETE", `/scripts/${name}`);
    await onSaved();
    navigate("/admin/scripts");
  });
  if (!script) return html`<div><${Alert} problem=${problem} /></div>`;
  const errorLine = problem?.code === "script_error" ? problem.extensions.line : null;
  return html`
    <div>
      <form onSubmit=${save} novalidate aria-label="Script">
        <h2>${creating ? "New script" : script.name}${script.version ? html` <span class="detail">version ${script.version}</span>` : ""}</h2>
        <${Alert} problem=${problem} />
        ${creating && html`<${Field} label="Name" name="name" value=${newName} onInput=${setNewName} problem=${problem} required />`}
        ${!creating && html`<div class="field"><label for="script-name">Name</label><input id="script-name" value=${script.name} readonly /></div>`}
        <${SourceEditor} value=${source} onInput=${setSource} errorLine=${errorLine} readOnly=${!admin} />
        <div class="field checkbox"><input id=${enabledId} type="checkbox" checked=${enabled} disabled=${!admin} onChange=${(e) => setEnabled(e.target.checked)} />
          <label for=${enabledId}>Enabled</label></div>
        ${admin && html`<div class="actions">
          <button type="submit">Save</button>
          ${!creating && html`<button type="button" class="secondary danger" onClick=${remove}>Delete</button>`}
        </div>`}
        ${saved && html`<p role="status">Saved version ${script.version}.</p>`}
      </form>
      ${admin && script.version && html`<${DryRun} key=${script.name} script=${script} dirty=${source !== script.source} />`}
      ${!creating && html`<${Tabs} name=${name} admin=${admin} />`}
    </div>`;
}

export function Scripts({ me, name }) {
  const scripts = useCollection("/scripts");
  const creating = name === "new";
  return html`
    <main>
      <h1 tabindex="-1">Scripts</h1>
      <${Alert} problem=${scripts.problem} />
      <div class="split">
        <aside aria-label="Scripts">
          ${isAdmin(me) && html`<p><a class="button" href="/admin/scripts/new">New script</a></p>`}
          ${scripts.data?.length === 0 && html`<${Empty}>No scripts yet${isAdmin(me) ? " — “New script” starts from an example that rejects deals without an amount" : ""}.</${Empty}>`}
          <ul class="plain">${(scripts.data ?? []).map((s) => html`
            <li><a href=${`/admin/scripts/${s.name}`} aria-current=${s.name === name ? "page" : undefined}>${s.name}</a>
              <span class="detail"> v${s.version} · ${s.enabled ? "enabled" : "disabled"}${s.triggers?.length ? ` · ${s.triggers.join(", ")}` : ""}</span></li>`)}</ul>
        </aside>
        ${name
          ? html`<${Editor} me=${me} name=${creating ? null : name} onSaved=${scripts.reload} />`
          : html`<p class="detail">Choose a script to edit it, dry-run it and see its runs.</p>`}
      </div>
    </main>`;
}
