// A real OpenID Connect provider on loopback for the sign-in tests (panva's certified oidc-provider):
// discovery, the authorization-code flow with PKCE, an ID token carrying the e-mail, RP-initiated logout.
// Its one simplification is the sign-in form: any e-mail signs in (no password), so a test can be anyone.
//
//   OIDC_PORT=5556 OIDC_CLIENTS='[{"client_id": ..., "client_secret": ..., "redirect_uris": [...],
//                                  "post_logout_redirect_uris": [...]}]' node tests/oidc/provider.mjs
import crypto from 'node:crypto';
import http from 'node:http';

import Provider, { interactionPolicy } from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const host = process.env.OIDC_HOST || '127.0.0.1';
const issuer = `http://${host}:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS || '[]');

const htmlSafe = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${htmlSafe(title)}</title>
<style>body{font-family:sans-serif;margin:40px auto;width:340px}input,button{font-size:15px;width:100%;
margin:6px 0;padding:6px;box-sizing:border-box}</style></head><body><h1>${htmlSafe(title)}</h1>${body}</body></html>`;

// Google and Microsoft accept prompt=select_account, which Streamlit sends by default: accept it here too,
// answered by the same sign-in form as `login`.
const policy = interactionPolicy.base();
policy.add(new interactionPolicy.Prompt({ name: 'select_account', requestable: true }), 0);

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'loopback-test', use: 'sig', alg: 'RS256' };

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({ grant_types: ['authorization_code'], response_types: ['code'], ...c })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [crypto.randomBytes(24).toString('hex')] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  // Streamlit reads the user from the ID token (Authlib parses it; the userinfo endpoint is not called)
  conformIdTokenClaims: false,
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, email: id, email_verified: true, name: id.split('@')[0] }),
  }),
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => {
        ctx.body = page('Sign out of the test provider', `${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`);
      },
      postLogoutSuccessSource: (ctx) => { ctx.body = page('Signed out', '<p>You are signed out.</p>'); },
    },
  },
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: (ctx, out) => { ctx.type = 'html'; ctx.body = page('Provider error', `<pre>${htmlSafe(JSON.stringify(out))}</pre>`); },
});

async function readForm(req) {
  let raw = '';
  for await (const chunk of req) raw += chunk;
  return new URLSearchParams(raw);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(page('Loopback identity provider', `<p>Sign in to ${htmlSafe(details.params.client_id)}</p>
<form method="post" action="/interaction/${details.uid}">
<input name="email" type="email" required autofocus placeholder="E-mail">
<button type="submit">Sign in</button></form>`));
    return;
  }
  const email = (await readForm(req)).get('email');
  const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);  // a first-party client: no consent screen
  const grantId = await grant.save();
  await provider.interactionFinished(
    req, res, { select_account: {}, login: { accountId: email }, consent: { grantId } },
    { mergeWithLastSubmission: false },
  );
}

const handle = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`interaction failed: ${err.message}`);
    });
    return;
  }
  handle(req, res);
}).listen(port, host, () => console.log(`oidc provider listening on ${issuer}`));
