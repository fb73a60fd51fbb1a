// The console's only way to the server: /api/v1 with the user's tokens, like any client.
// The access token lives in memory, the refresh token in sessionStorage (UI.md); a 401 is
// answered by one refresh, then the sign-in page. Failures are thrown as `Problem`s.

const REFRESH_KEY = "crm.refreshToken";
let accessToken = null;
let refreshing = null;
const listeners = new Set();

/** A problem+json answer (RFC 9457), or a failure to reach the server. */
export class Problem extends Error {
  constructor(status, body) {
    super(body?.detail || body?.title || `HTTP ${status}`);
    this.status = status;
    this.code = body?.code || (status === 0 ? "network" : "http");
    this.title = body?.title || (status === 0 ? "The server cannot be reached" : `HTTP ${status}`);
    this.detail = body?.detail || "";
    this.errors = body?.errors || [];
    /** The problem's extension members (a script error's `script`, `event`, `line`). */
    this.extensions = body || {};
  }
  /** The message for one field, from the problem's `errors[]`. */
  fieldError(field) {
    return this.errors.find((e) => e.field === field)?.message;
  }
}

export const session = {
  get signedIn() {
    return accessToken !== null || sessionStorage.getItem(REFRESH_KEY) !== null;
  },
  /** Keeps a token pair (register, login, refresh, switch, OAuth). */
  keep(pair) {
    accessToken = pair.accessToken;
    sessionStorage.setItem(REFRESH_KEY, pair.refreshToken);
  },
  clear() {
    accessToken = null;
    sessionStorage.removeItem(REFRESH_KEY);
  },
  onExpired(listener) {
    listeners.add(listener);
  },
};

/** How many calls are under way (for the progress indicator). */
export const activity = { pending: 0, listeners: new Set() };
function changed(delta) {
  activity.pending += delta;
  for (const listener of activity.listeners) listener(activity.pending);
}

async function send(method, path, body, extraHeaders) {
  const headers = { Accept: "application/json", ...extraHeaders };
  if (accessToken) headers.Authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    return await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new Problem(0, null);
  }
}

/** One refresh at a time; false when there is no (valid) refresh token. */
async function refresh() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return false;
  refreshing ??= (async () => {
    const response = await fetch("/api/v1/auth/refresh", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refreshToken: token }),
    }).catch(() => null);
    if (!response?.ok) return false;
    session.keep(await response.json());
    return true;
  })().finally(() => { refreshing = null; });
  return refreshing;
}

/** Calls the API; resolves to the JSON answer (null for 204), throws a `Problem` otherwise. */
export async function api(method, path, body, extraHeaders) {
  changed(1);
  try {
    if (accessToken === null && sessionStorage.getItem(REFRESH_KEY)) await refresh();
    let response = await send(method, path, body, extraHeaders);
    if (response.status === 401 && !path.startsWith("/auth/") && (await refresh())) {
      response = await send(method, path, body, extraHeaders);
    }
    const text = await response.text();
    const json = text ? JSON.parse(text) : null;
    if (response.status === 401 && !path.startsWith("/auth/")) {
      session.clear();
      for (const listener of listeners) listener();
    }
    if (!response.ok) throw new Problem(response.status, json);
    return json;
  } finally {
    changed(-1);
  }
}

/** Ends the session on the server too. */
export async function signOut() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  session.clear();
  if (token) await api("POST", "/auth/logout", { refreshToken: token }).catch(() => {});
}
