// The demo identity provider of the embedded datalab.
//
// A real OpenID Connect provider (npm oidc-provider, OpenID-certified) with the
// demo agents of the state dir, a username/password form, RS256 tokens signed
// with a persistent key that carries a `kid` (SeaweedFS STS and OpenBao need it),
// refresh tokens and RP-initiated logout. Bound to 127.0.0.1 only.
//
//   node dist/provider.mjs --config <state-dir>/oidc/provider.json

import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import http from 'node:http';
import process from 'node:process';
import Provider from 'oidc-provider';

function fail(message) {
  process.stderr.write(`oidc-provider: ${message}\n`);
  process.exit(2);
}

function readConfig() {
  const i = process.argv.indexOf('--config');
  if (i < 0 || !process.argv[i + 1]) fail('usage: provider.mjs --config CONFIG.json');
  let config;
  try {
    config = JSON.parse(readFileSync(process.argv[i + 1], 'utf8'));
  } catch (e) {
    fail(`cannot read config ${process.argv[i + 1]}: ${e.message}`);
  }
  for (const key of ['issuer', 'port', 'keys_file', 'cookie_keys_file', 'clients', 'users']) {
    if (config[key] === undefined) fail(`config is missing "${key}"`);
  }
  return config;
}

// A file created once with mode 0600 and reused: restarts keep the same keys.
function persistent(path, create) {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8'));
  const value = create();
  writeFileSync(path, JSON.stringify(value, null, 2), { mode: 0o600 });
  chmodSync(path, 0o600);
  return value;
}

function signingKeys(path) {
  return persistent(path, () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = privateKey.export({ format: 'jwk' });
    return { keys: [{ ...jwk, kid: randomUUID(), alg: 'RS256', use: 'sig' }] };
  });
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => ({
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;',
}[c]));

const STYLE = `body{font-family:system-ui,sans-serif;background:#f3f5f9;color:#1e1e1e;margin:0}
main{max-width:360px;margin:10vh auto;background:#fff;padding:2em;border-radius:8px;box-shadow:0 2px 8px rgba(0,0,0,.15)}
h1{font-size:1.2em;margin-top:0}label{display:block;margin-top:1em;font-size:.9em}
input{width:100%;box-sizing:border-box;padding:.5em;margin-top:.3em;font-size:1em}
button{margin-top:1.5em;width:100%;padding:.6em;font-size:1em;background:#000091;color:#fff;border:0;border-radius:4px;cursor:pointer}
.error{color:#b00020}.hint{color:#666;font-size:.8em}`;

function page(title, body) {
  return `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title>
<style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

function loginPage(uid, clientId, username, error) {
  return page('Datalab — connexion / sign in', `
<h1>Datalab — demo identity provider</h1>
<p class="hint">Connexion à / signing in to <strong>${escape(clientId)}</strong></p>
${error ? `<p class="error" id="login-error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  <label for="username">Identifiant / Username</label>
  <input id="username" name="username" value="${escape(username || '')}" required autofocus>
  <label for="password">Mot de passe / Password</label>
  <input id="password" name="password" type="password" required>
  <button id="login-submit" type="submit">Se connecter / Sign in</button>
</form>`);
}

function readForm(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > limit) reject(new Error('request body too large'));
    });
    req.on('end', () => resolve(Object.fromEntries(new URLSearchParams(body))));
    req.on('error', reject);
  });
}

function send(res, status, html) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(html);
}

const config = readConfig();
const users = new Map(config.users.map((u) => [u.username, u]));
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'groups'];

function claimsOf(user) {
  // `claims` in a user's config overrides the defaults; null removes a claim
  const claims = {
    sub: user.username,
    preferred_username: user.username,
    name: user.name,
    given_name: user.given_name,
    family_name: user.family_name,
    email: user.email,
    email_verified: true,
    groups: user.groups || [],
    ...(user.claims || {}),
  };
  for (const [k, v] of Object.entries(claims)) if (v === null) delete claims[k];
  return claims;
}

const provider = new Provider(config.issuer, {
  clients: config.clients.map((c) => ({
    client_id: c.client_id,
    client_secret: c.client_secret,
    redirect_uris: c.redirect_uris,
    post_logout_redirect_uris: c.post_logout_redirect_uris || [],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    token_endpoint_auth_method: c.token_endpoint_auth_method || 'client_secret_post',
    // ProConnect answers userinfo as a signed JWT: set "RS256" to do the same
    ...(c.userinfo_signed_response_alg ? { userinfo_signed_response_alg: c.userinfo_signed_response_alg } : {}),
  })),
  ...(config.acr_values ? { acrValues: config.acr_values } : {}),
  jwks: signingKeys(config.keys_file),
  cookies: { keys: persistent(config.cookie_keys_file, () => [randomBytes(32).toString('hex')]) },
  scopes: SCOPES,
  claims: {
    openid: ['sub'],
    profile: ['name', 'given_name', 'family_name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // SeaweedFS and OpenBao read preferred_username and groups from the ID token itself
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    const user = users.get(id);
    if (!user) return undefined;
    return { accountId: id, claims: async () => claimsOf(user) };
  },
  // first-party clients: no consent screen, the grant covers what was asked
  async loadExistingGrant(ctx) {
    const grantId = ctx.oidc.result?.consent?.grantId
      || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(SCOPES.join(' '));
    grant.addOIDCClaims(['preferred_username', 'groups', 'email', 'name']);
    await grant.save();
    return grant;
  },
  async issueRefreshToken(ctx, client) {
    return client.grantTypeAllowed('refresh_token');
  },
  pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  features: {
    devInteractions: { enabled: false },
    revocation: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      async logoutSource(ctx, form) {
        ctx.body = page('Datalab — déconnexion / sign out', `
<h1>Se déconnecter ? / Sign out?</h1>${form}
<button id="logout-confirm" type="submit" form="op.logoutForm" value="yes" name="logout">Oui / Yes</button>`);
      },
      async postLogoutSuccessSource(ctx) {
        ctx.body = page('Datalab', '<h1>Vous êtes déconnecté·e. / You are signed out.</h1>');
      },
    },
  },
  ttl: {
    AccessToken: config.access_token_ttl || 3600,
    IdToken: config.id_token_ttl || 3600,
    RefreshToken: config.refresh_token_ttl || 14 * 24 * 3600,
    Grant: 14 * 24 * 3600,
    Session: 14 * 24 * 3600,
    Interaction: 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = page('Datalab — erreur / error', `<h1>Erreur / Error</h1>
<p class="error">${escape(out.error)}: ${escape(out.error_description || '')}</p>`);
  },
});

const INTERACTION = /^\/interaction\/([\w-]+)(\/login)?$/;
const callback = provider.callback();

async function handleInteraction(req, res, uid, isLogin) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return send(res, 400, page('Error', '<p class="error">Bad interaction</p>'));
  const clientId = details.params.client_id;
  if (!isLogin) return send(res, 200, loginPage(uid, clientId));
  if (req.method !== 'POST') return send(res, 405, page('Error', '<p class="error">POST expected</p>'));
  const form = await readForm(req);
  const user = users.get(form.username);
  if (!user || typeof form.password !== 'string' || form.password !== user.password) {
    return send(res, 401, loginPage(uid, clientId, form.username,
      'Identifiant ou mot de passe incorrect / Wrong username or password'));
  }
  await provider.interactionFinished(req, res, { login: { accountId: user.username } },
    { mergeWithLastSubmission: false });
}

const server = http.createServer((req, res) => {
  const match = INTERACTION.exec(req.url.split('?')[0]);
  if (!match) return callback(req, res);
  handleInteraction(req, res, match[1], Boolean(match[2])).catch((e) => {
    // an expired or unknown interaction (e.g. a stale form): say so, no stack trace
    send(res, 400, page('Datalab — erreur / error', `<h1>Erreur / Error</h1>
<p class="error">${escape(e.error_description || e.message)}</p>
<p><a href="${escape(config.issuer)}">Recommencer / Start again</a></p>`));
  });
});

server.on('error', (e) => fail(e.code === 'EADDRINUSE'
  ? `port ${config.port} is already in use on ${config.host || '127.0.0.1'}`
  : e.message));
server.listen(config.port, config.host || '127.0.0.1', () => {
  process.stdout.write(`oidc-provider ready at ${config.issuer}\n`);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref());
}
