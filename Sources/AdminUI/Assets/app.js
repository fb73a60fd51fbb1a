// The console's shell: who is signed in (GET /auth/me), which plugins the organization has
// (GET /plugins, for the nav), the nav with the organization switcher, and the screen of the
// current path. Signed-out visitors of any other path go to sign-in and come back afterwards.
import { html, render, useEffect, useState } from "./preact-htm.js";
import { api, Problem, session, signOut } from "./api.js";
import { currentPath, navigate, onNavigate } from "./router.js";
import { Alert, Progress } from "./ui.js";
import { OAuthLanding, Register, SignIn } from "./sign-in.js";
import { Dashboard } from "./dashboard.js";
import { RecordForm, RecordList, RecordPage } from "./records.js";
import { entities } from "./schema.js";
import { Board } from "./board.js";
import { Activities } from "./activities.js";
import { AcceptInvitation, Members, switchOrganization } from "./members.js";
import { APIKeys } from "./api-keys.js";
import { Plugins } from "./plugins.js";
import { Scripts } from "./scripts.js";
import { CustomFields } from "./custom-fields.js";

const publicPaths = ["/admin/sign-in", "/admin/register", "/admin/oauth"];

/** The nav's links, with the plugin each needs (hidden when it is disabled). */
const links = [
  ["Dashboard", "/admin", null],
  ["Contacts", "/admin/contacts", "contacts"],
  ["Companies", "/admin/companies", "contacts"],
  ["Deals", "/admin/deals", "deals"],
  ["Activities", "/admin/activities", "activities"],
  ["Members", "/admin/members", null],
  ["API keys", "/admin/api-keys", null],
  ["Plugins", "/admin/plugins", null],
  ["Scripts", "/admin/scripts", null],
  ["Custom fields", "/admin/custom-fields", "customfields"],
];

function Nav({ me, plugins, path, onSwitch }) {
  const enabled = new Set(plugins.filter((p) => p.enabled).map((p) => p.id));
  const memberships = me.memberships ?? [];
  return html`
    <nav aria-label="Main">
      <ul>
        ${links.filter(([, , plugin]) => !plugin || enabled.has(plugin)).map(([label, href]) => html`
          <li><a href=${href} aria-current=${path === href ? "page" : undefined}>${label}</a></li>`)}
        <li><a href="/docs">API docs</a></li>
      </ul>
      <div class="session">
        <label for="organization">Organization</label>
        <select id="organization" value=${me.organization.id} onChange=${(e) => onSwitch(e.target.value)}>
          ${(memberships.length ? memberships.map((m) => m.organization) : [me.organization]).map(
            (o) => html`<option value=${o.id}>${o.name}</option>`)}
        </select>
        <button type="button" class="secondary" onClick=${async () => { await signOut(); navigate("/admin/sign-in"); }}>Sign out</button>
      </div>
    </nav>`;
}

function NotFound({ path }) {
  return html`<main><h1 tabindex="-1">No such screen</h1><p>The console has no screen at <code>${path}</code>. Use the navigation above.</p></main>`;
}

/** The screen of a console path. */
function route(path, me, plugins, reload) {
  if (path === "/admin" || path === "/admin/") return html`<${Dashboard} me=${me} />`;
  const parts = path.split("/").filter(Boolean).slice(1); // after "admin"
  const [entity, second, third] = parts;
  switch (entity) {
    case "members": return html`<${Members} me=${me} />`;
    case "api-keys": return html`<${APIKeys} me=${me} />`;
    case "plugins": return html`<${Plugins} me=${me} plugins=${plugins} onChanged=${reload} />`;
    case "scripts": return html`<${Scripts} me=${me} name=${second} />`;
    case "custom-fields": return html`<${CustomFields} me=${me} plugins=${plugins} />`;
    case "accept": return html`<${AcceptInvitation} onJoined=${(id) => switchOrganization(id, reload)} />`;
  }
  if (entities[entity]) {
    if (second === "list") return html`<${RecordList} me=${me} entity=${entity} />`;
    if (!second && entity === "deals") return html`<${Board} me=${me} />`;
    if (!second && entity === "activities") return html`<${Activities} me=${me} />`;
    if (!second) return html`<${RecordList} me=${me} entity=${entity} />`;
    if (second === "new") return html`<${RecordForm} me=${me} entity=${entity} />`;
    if (second && third === "edit") return html`<${RecordForm} me=${me} entity=${entity} id=${second} />`;
    if (second) return html`<${RecordPage} me=${me} entity=${entity} id=${second} />`;
  }
  return html`<${NotFound} path=${path} />`;
}

function App() {
  const [path, setPath] = useState(currentPath());
  const [me, setMe] = useState(null);
  const [plugins, setPlugins] = useState([]);
  const [problem, setProblem] = useState(null);
  const [ready, setReady] = useState(false);

  const load = async () => {
    setProblem(null);
    try {
      const [who, list] = await Promise.all([api("GET", "/auth/me"), api("GET", "/plugins")]);
      setMe(who);
      setPlugins(list.data);
    } catch (error) {
      setMe(null);
      if (error instanceof Problem && error.status !== 401) setProblem(error);
    }
  };

  useEffect(() => {
    const off = onNavigate(setPath);
    session.onExpired(() => navigate(`/admin/sign-in?next=${encodeURIComponent(currentPath())}`, { replace: true }));
    (session.signedIn ? load() : Promise.resolve()).finally(() => setReady(true));
    return off;
  }, []);

  // Focus the new screen's heading after a navigation, for keyboard and screen-reader users.
  useEffect(() => {
    document.querySelector("main h1")?.focus?.();
  }, [path, ready]);

  if (!ready) return html`<p role="status">Loading…</p>`;
  const isPublic = publicPaths.some((p) => path.startsWith(p));
  // An invitation link explains itself to a signed-out visitor before sending them to sign in.
  if (path.startsWith("/admin/accept") && !session.signedIn) return html`<${AcceptInvitation} />`;
  if (!isPublic && !session.signedIn) {
    navigate(`/admin/sign-in?next=${encodeURIComponent(path + location.search)}`, { replace: true });
    return null;
  }
  if (path.startsWith("/admin/sign-in")) return html`<${Progress} /><${SignIn} onSignedIn=${load} />`;
  if (path.startsWith("/admin/register")) return html`<${Progress} /><${Register} onSignedIn=${load} />`;
  if (path.startsWith("/admin/oauth")) return html`<${Progress} /><${OAuthLanding} onSignedIn=${load} />`;
  if (!me) return html`<${Progress} /><main><${Alert} problem=${problem ?? new Problem(0, null)} /></main>`;

  const switchTo = async (organizationId) => {
    try {
      session.keep(await api("POST", "/auth/switch", { organizationId }));
      await load();
      navigate("/admin");
    } catch (error) {
      setProblem(error);
    }
  };
  const screen = route(path, me, plugins, load);
  return html`<${Progress} /><${Nav} me=${me} plugins=${plugins} path=${path} onSwitch=${switchTo} /><${Alert} problem=${problem} />${screen}`;
}

render(html`<${App} />`, document.getElementById("app"));
