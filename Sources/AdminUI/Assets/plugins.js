// Plugins (UI.md): every native and Lua plugin with what it brings (entities, custom fields,
// dependencies), its "Enabled" switch, and a configuration form generated from its configSchema.
// A change reloads the console's plugin list, so the nav follows at once.
import { html, useState } from "./preact-htm.js";
import { api } from "./api.js";
import { Alert, Field, isAdmin, useAction, useId } from "./ui.js";

/** A setting's input, by the type its configSchema gives (integer, number, boolean, string). */
function Setting({ name, spec, value, onChange, problem, disabled }) {
  const hint = [spec.min !== undefined && `at least ${spec.min}`, spec.max !== undefined && `at most ${spec.max}`,
    spec.default !== undefined && `default ${JSON.stringify(spec.default)}`].filter(Boolean).join(", ");
  const label = name.replace(/([a-z0-9])([A-Z])/g, "$1 $2").replace(/^./, (c) => c.toUpperCase()).replace(/ ([A-Z])/g, (_, c) => ` ${c.toLowerCase()}`);
  return html`<${Field} label=${label} name=${`config.${name}`} problem=${problem}>
    ${(id, describedBy) => {
      const described = [describedBy, hint && `${id}-hint`].filter(Boolean).join(" ") || undefined;
      const input = spec.type === "boolean"
        ? html`<input id=${id} type="checkbox" checked=${value === true} disabled=${disabled} aria-describedby=${described}
            onChange=${(e) => onChange(e.target.checked)} />`
        : spec.options
          ? html`<select id=${id} value=${value ?? ""} disabled=${disabled} aria-describedby=${described} onChange=${(e) => onChange(e.target.value)}>
              ${spec.options.map((o) => html`<option value=${o}>${String(o)}</option>`)}</select>`
          : html`<input id=${id} type=${spec.type === "integer" || spec.type === "number" ? "number" : "text"} value=${value ?? ""}
              min=${spec.min} max=${spec.max} step=${spec.type === "integer" ? 1 : "any"} disabled=${disabled}
              aria-invalid=${describedBy ? "true" : undefined} aria-describedby=${described}
              onInput=${(e) => onChange(e.target.value)} />`;
      return html`${input}${hint && html`<p class="detail" id=${`${id}-hint`}>${hint}</p>`}`;
    }}
  </${Field}>`;
}

/** The form's text as the JSON the API takes: numbers as numbers (a text that is not one is sent as it is, for the server to refuse). */
function configValue(spec, raw) {
  if ((spec.type === "integer" || spec.type === "number") && typeof raw === "string") {
    return raw.trim() === "" ? null : Number.isNaN(Number(raw)) ? raw : Number(raw);
  }
  return raw;
}

function Plugin({ plugin, admin, onChanged }) {
  const [problem, setProblem] = useState(null);
  const [configProblem, setConfigProblem] = useState(null);
  const [config, setConfig] = useState(plugin.config ?? {});
  const [saved, setSaved] = useState(false);
  const run = useAction(setProblem);
  const switchId = useId("enabled");
  const schema = Object.entries(plugin.configSchema ?? {});
  const fields = Object.entries(plugin.fields ?? {}).flatMap(([entity, list]) => list.map((f) => `${f.label} (${entity}, ${f.type})`));

  const toggle = (enabled) => run(async () => {
    try {
      await api("PUT", `/plugins/${plugin.id}`, { enabled });
    } finally {
      await onChanged(); // a refused change puts the switch back
    }
  });
  const save = async (event) => {
    event.preventDefault();
    setConfigProblem(null);
    setSaved(false);
    const body = Object.fromEntries(schema.map(([key, spec]) => [key, configValue(spec, config[key])]));
    try {
      await api("PUT", `/plugins/${plugin.id}`, { enabled: plugin.enabled, config: body });
      setSaved(true);
      await onChanged();
    } catch (error) {
      setConfigProblem(error);
    }
  };
  return html`
    <article class="plugin" aria-labelledby=${`plugin-${plugin.id}`}>
      <header>
        <h2 id=${`plugin-${plugin.id}`}>${plugin.name} <span class="detail">${plugin.kind === "lua" ? "Lua" : "native"} · ${plugin.version}</span></h2>
        <label class="switch" for=${switchId}>
          <input id=${switchId} type="checkbox" role="switch" checked=${plugin.enabled} aria-checked=${plugin.enabled ? "true" : "false"}
            disabled=${!admin} onChange=${(e) => toggle(e.target.checked)} />Enabled</label>
      </header>
      ${plugin.description && html`<p>${plugin.description}</p>`}
      <p class="facts">
        ${plugin.dependsOn?.length ? `Needs: ${plugin.dependsOn.join(", ")}. ` : "No dependencies. "}
        ${plugin.entities?.length ? `Entities: ${plugin.entities.join(", ")}. ` : ""}
        ${fields.length ? `Custom fields: ${fields.join("; ")}.` : ""}
      </p>
      <${Alert} problem=${problem} />
      ${schema.length > 0 && html`
        <form onSubmit=${save} novalidate aria-label=${`Configuration of ${plugin.name}`}>
          <${Alert} problem=${configProblem} />
          ${schema.map(([key, spec]) => html`<${Setting} name=${key} spec=${spec} value=${config[key]} disabled=${!admin}
            problem=${configProblem} onChange=${(v) => setConfig({ ...config, [key]: v })} />`)}
          ${admin && html`<button type="submit">Save configuration</button>`}
          ${saved && html`<p role="status">Saved.</p>`}
        </form>`}
    </article>`;
}

export function Plugins({ me, plugins, onChanged }) {
  return html`
    <main>
      <h1 tabindex="-1">Plugins</h1>
      <p class="detail">Plugins are switched on per organization. Switching one off hides its screens and API; its data stays.</p>
      ${plugins.map((p) => html`<${Plugin} key=${p.id} plugin=${p} admin=${isAdmin(me)} onChanged=${onChanged} />`)}
    </main>`;
}
