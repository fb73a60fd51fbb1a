// Signing in and out of the console: sign-in (password, or an OAuth provider the server
// offers), account creation, and the landing page of an OAuth sign-in (tokens in the fragment).
import { html, useEffect, useState } from "./preact-htm.js";
import { api, Problem, session } from "./api.js";
import { navigate } from "./router.js";
import { Alert, Field } from "./ui.js";

/** Where to go once signed in: the deep link the visitor came for, else the dashboard. */
function nextPath() {
  const next = new URLSearchParams(location.search).get("next");
  return next && next.startsWith("/admin") && !next.startsWith("//") ? next : "/admin";
}

export function SignIn({ onSignedIn }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [problem, setProblem] = useState(null);
  const [providers, setProviders] = useState([]);
  useEffect(() => {
    api("GET", "/auth/providers").then((answer) => setProviders(answer.data)).catch(() => setProviders([]));
  }, []);
  const submit = async (event) => {
    event.preventDefault();
    setProblem(null);
    try {
      session.keep(await api("POST", "/auth/login", { email, password }));
      await onSignedIn();
      navigate(nextPath(), { replace: true });
    } catch (error) {
      setProblem(error instanceof Problem ? error : new Problem(0, null));
    }
  };
  const oauth = (id) => {
    location.assign(`/api/v1/auth/oauth/${id}?returnTo=${encodeURIComponent("/admin/oauth")}`);
  };
  return html`
    <main class="narrow">
      <h1>Sign in</h1>
      <${Alert} problem=${problem} />
      <form onSubmit=${submit} novalidate>
        <${Field} label="Email" name="email" type="email" value=${email} onInput=${setEmail} problem=${problem} autocomplete="username" required />
        <${Field} label="Password" name="password" type="password" value=${password} onInput=${setPassword} problem=${problem} autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
      ${providers.map((p) => html`<button type="button" class="secondary" onClick=${() => oauth(p.id)}>Sign in with ${p.name}</button>`)}
      <p><a href=${`/admin/register${location.search}`}>Create account</a></p>
    </main>`;
}

export function Register({ onSignedIn }) {
  const [form, setForm] = useState({ name: "", email: "", password: "", organizationName: "" });
  const [problem, setProblem] = useState(null);
  const set = (key) => (value) => setForm({ ...form, [key]: value });
  const submit = async (event) => {
    event.preventDefault();
    setProblem(null);
    const body = { name: form.name, email: form.email, password: form.password };
    if (form.organizationName.trim()) body.organizationName = form.organizationName;
    try {
      session.keep(await api("POST", "/auth/register", body));
      await onSignedIn();
      navigate(nextPath(), { replace: true });
    } catch (error) {
      setProblem(error instanceof Problem ? error : new Problem(0, null));
    }
  };
  return html`
    <main class="narrow">
      <h1>Create account</h1>
      <${Alert} problem=${problem} />
      <form onSubmit=${submit} novalidate>
        <${Field} label="Name" name="name" value=${form.name} onInput=${set("name")} problem=${problem} autocomplete="name" required />
        <${Field} label="Email" name="email" type="email" value=${form.email} onInput=${set("email")} problem=${problem} autocomplete="username" required />
        <${Field} label="Password" name="password" type="password" value=${form.password} onInput=${set("password")} problem=${problem} autocomplete="new-password" required />
        <${Field} label="Organization" name="organizationName" value=${form.organizationName} onInput=${set("organizationName")} problem=${problem} autocomplete="organization" />
        <button type="submit">Create account</button>
      </form>
      <p><a href=${`/admin/sign-in${location.search}`}>Sign in</a></p>
    </main>`;
}

/** /admin/oauth#accessToken=…&refreshToken=… (or #error=…): keeps the tokens, clears the fragment. */
export function OAuthLanding({ onSignedIn }) {
  const [problem, setProblem] = useState(null);
  useEffect(() => {
    const fragment = new URLSearchParams(location.hash.slice(1));
    history.replaceState(null, "", location.pathname);
    if (fragment.get("accessToken") && fragment.get("refreshToken")) {
      session.keep({ accessToken: fragment.get("accessToken"), refreshToken: fragment.get("refreshToken") });
      onSignedIn().then(() => navigate("/admin", { replace: true }));
    } else {
      setProblem(new Problem(400, { title: "Sign-in was not completed", detail: fragment.get("error") || "no tokens were received" }));
    }
  }, []);
  return html`<main class="narrow"><h1>Signing in…</h1><${Alert} problem=${problem} />
    ${problem && html`<p><a href="/admin/sign-in">Back to sign in</a></p>`}</main>`;
}
