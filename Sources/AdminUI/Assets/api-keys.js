// API keys (UI.md): create one (its secret shown once, with "Copy"), list them, revoke one.
import { html, useState } from "./preact-htm.js";
import { api } from "./api.js";
import { Alert, Empty, Field, OneTimeSecret, RoleSelect, isAdmin, useAction, useCollection } from "./ui.js";

export function APIKeys({ me }) {
  const keys = useCollection("/api-keys");
  const [name, setName] = useState("");
  const [role, setRole] = useState("member");
  const [created, setCreated] = useState(null);
  const [problem, setProblem] = useState(null);
  const [formProblem, setFormProblem] = useState(null);
  const run = useAction(setProblem);

  const create = async (event) => {
    event.preventDefault();
    setFormProblem(null);
    setCreated(null);
    try {
      setCreated(await api("POST", "/api-keys", { name, role }));
      setName("");
      await keys.reload();
    } catch (error) {
      setFormProblem(error);
    }
  };
  const revoke = (key) => run(async () => {
    await api("DELETE", `/api-keys/${key.id}`);
    if (created?.id === key.id) setCreated(null);
    await keys.reload();
  });

  return html`
    <main>
      <h1 tabindex="-1">API keys</h1>
      <p class="detail">A key acts for this organization with its role: send it as <code>Authorization: Bearer crm_…</code>.</p>
      <${Alert} problem=${problem ?? keys.problem} />
      ${isAdmin(me) && html`
        <section class="panel" aria-labelledby="new-key-heading">
          <h2 id="new-key-heading">New key</h2>
          <${Alert} problem=${formProblem} />
          <form class="row-form" onSubmit=${create} novalidate>
            <${Field} label="Name" name="name" value=${name} onInput=${setName} problem=${formProblem} required />
            <${RoleSelect} value=${role} onChange=${setRole} owner=${me.role === "owner"} />
            <button type="submit">Create key</button>
          </form>
          ${created && html`<${OneTimeSecret} label=${`Key “${created.name}”`} value=${created.key}
            note="Copy it now: it is shown only once. Revoke the key if it leaks." />`}
        </section>`}
      ${keys.data && keys.data.length === 0 && html`<${Empty}>No API keys yet${isAdmin(me) ? " — create one above for each integration" : ""}.</${Empty}>`}
      ${keys.data && keys.data.length > 0 && html`
        <div class="table-wrap"><table>
          <thead><tr><th scope="col">Name</th><th scope="col">Role</th><th scope="col">Key</th><th scope="col">Created</th>${isAdmin(me) && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}</tr></thead>
          <tbody>${keys.data.map((k) => html`
            <tr><td>${k.name}</td><td>${k.role}</td><td><code>${k.prefix}…</code></td>
              <td>${new Date(k.createdAt).toLocaleDateString("en-GB")}</td>
              ${isAdmin(me) && html`<td><button type="button" class="secondary danger" aria-label=${`Revoke ${k.name}`} onClick=${() => revoke(k)}>Revoke</button></td>`}</tr>`)}</tbody>
        </table></div>`}
    </main>`;
}
