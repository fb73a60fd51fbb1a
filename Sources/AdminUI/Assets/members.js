// Members and invitations (UI.md): the organization's members with their roles (change, remove),
// inviting by email and role with the one-time invitation link, pending invitations with
// "Revoke", and the invitee's /admin/accept page.
import { html, useEffect, useState } from "./preact-htm.js";
import { api, session } from "./api.js";
import { navigate } from "./router.js";
import { Alert, Empty, Field, OneTimeSecret, RoleSelect, isAdmin, useAction, useCollection } from "./ui.js";

export function Members({ me }) {
  const admin = isAdmin(me);
  const owner = me.role === "owner";
  const members = useCollection("/members");
  const invitations = useCollection(admin ? "/invitations" : null);
  const [problem, setProblem] = useState(null);
  const run = useAction(setProblem);
  const [email, setEmail] = useState("");
  const [role, setRole] = useState("member");
  const [link, setLink] = useState(null);
  const [inviteProblem, setInviteProblem] = useState(null);

  const changeRole = (member, next) => run(async () => {
    try {
      await api("PATCH", `/members/${member.userId}`, { role: next });
    } finally {
      await members.reload(); // a refused change puts the select back
    }
  });
  const remove = (member) => run(async () => {
    await api("DELETE", `/members/${member.userId}`);
    await members.reload();
  });
  const invite = async (event) => {
    event.preventDefault();
    setInviteProblem(null);
    setLink(null);
    try {
      const invitation = await api("POST", "/members", { email, role });
      setLink(`${location.origin}/admin/accept?token=${encodeURIComponent(invitation.token)}`);
      setEmail("");
      await invitations.reload();
    } catch (error) {
      setInviteProblem(error);
    }
  };
  const revoke = (invitation) => run(async () => {
    await api("DELETE", `/invitations/${invitation.id}`);
    await invitations.reload();
  });

  return html`
    <main>
      <h1 tabindex="-1">Members</h1>
      <${Alert} problem=${problem ?? members.problem} />
      ${admin && html`
        <section class="panel" aria-labelledby="invite-heading">
          <h2 id="invite-heading">Invite a colleague</h2>
          <${Alert} problem=${inviteProblem} />
          <form class="row-form" onSubmit=${invite} novalidate>
            <${Field} label="Email" name="email" type="email" value=${email} onInput=${setEmail} problem=${inviteProblem} required />
            <${RoleSelect} value=${role} onChange=${setRole} owner=${owner} />
            <button type="submit">Invite</button>
          </form>
          ${link && html`<${OneTimeSecret} label="Invitation link" value=${link}
            note="Send this link to your colleague: it is shown only now, works once and expires in 7 days." />`}
        </section>`}
      <div class="table-wrap">
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th>${admin && html`<th scope="col"><span class="visually-hidden">Actions</span></th>`}</tr></thead>
          <tbody>${(members.data ?? []).map((m) => html`
            <tr>
              <td>${m.name}${m.email === me.user?.email ? " (you)" : ""}</td>
              <td>${m.email}</td>
              <td>${admin ? html`<${RoleSelect} value=${m.role} onChange=${(r) => changeRole(m, r)} owner=${owner} label=${`Role of ${m.name}`} />` : m.role}</td>
              ${admin && html`<td><button type="button" class="secondary danger" aria-label=${`Remove ${m.name}`} onClick=${() => remove(m)}>Remove</button></td>`}
            </tr>`)}</tbody>
        </table>
      </div>
      ${admin && html`
        <section aria-labelledby="invitations-heading">
          <h2 id="invitations-heading">Invitations</h2>
          <${Alert} problem=${invitations.problem} />
          ${invitations.data && invitations.data.length === 0 && html`<${Empty}>No invitations yet — invite a colleague by email above.</${Empty}>`}
          <ul class="plain">${(invitations.data ?? []).map((i) => html`
            <li>${i.email} · ${i.role} · <span>${i.status === "invited" ? `pending until ${new Date(i.expiresAt).toLocaleDateString("en-GB")}` : i.status}</span>
              ${i.status === "invited" && html` <button type="button" class="secondary" aria-label=${`Revoke the invitation of ${i.email}`} onClick=${() => revoke(i)}>Revoke</button>`}</li>`)}</ul>
        </section>`}
    </main>`;
}

/** /admin/accept?token=…: sign in or create an account (keeping the link), then "Accept". */
export function AcceptInvitation({ onJoined }) {
  const token = new URLSearchParams(location.search).get("token") ?? "";
  const here = `/admin/accept?token=${encodeURIComponent(token)}`;
  const [offer, setOffer] = useState(null);
  const [problem, setProblem] = useState(null);
  const run = useAction(setProblem);
  useEffect(() => {
    if (session.signedIn && token) run(async () => setOffer(await api("POST", "/invitations/preview", { token })));
  }, []);
  const accept = () => run(async () => {
    const joined = await api("POST", "/invitations/accept", { token });
    await onJoined(joined.organization.id);
  });
  if (!session.signedIn) {
    const next = encodeURIComponent(here);
    return html`
      <main class="narrow">
        <h1 tabindex="-1">You are invited</h1>
        <p>Sign in, or create an account with the email address the invitation was sent to; you come back here to accept it.</p>
        <p class="actions"><a class="button" href=${`/admin/sign-in?next=${next}`}>Sign in</a>
          <a class="button" href=${`/admin/register?next=${next}`}>Create account</a></p>
      </main>`;
  }
  return html`
    <main class="narrow">
      <h1 tabindex="-1">Join an organization</h1>
      <${Alert} problem=${token ? problem : { title: "No invitation", detail: "this link has no token: open the whole invitation link" }} />
      ${offer && html`
        <p>You are invited to <strong>${offer.organization.name}</strong> as <strong>${offer.role}</strong>.</p>
        <button type="button" onClick=${accept}>Accept</button>`}
    </main>`;
}

/** After joining: a token pair for the new organization, then its dashboard. */
export async function switchOrganization(organizationId, reload) {
  session.keep(await api("POST", "/auth/switch", { organizationId }));
  await reload();
  navigate("/admin");
}
