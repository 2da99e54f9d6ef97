// A real OpenID Connect provider (the certified `oidc-provider` package) for the OIDC suite.
// Usage: node provider.mjs PORT_FILE REDIRECT_URI
// Binds 127.0.0.1 on an ephemeral port and writes the port to PORT_FILE. Clients:
//   galley  - the client Galley is configured with (secret "galley-secret")
//   other   - a second client with the same redirect URI, for the "token from another client" case
// Accounts: any login name; groups come from GROUPS below and can be changed while running by a
// line on stdin: `groups NAME g1,g2` (empty list = no groups). `clock -7200` shifts the clock
// the provider signs with (the "expired ID token" case); `clock 0` puts it back. Each command is
// acknowledged with `ok` on stdout.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import Provider from 'oidc-provider';

const [portFile, redirectUri] = process.argv.slice(2);
if (!portFile || !redirectUri) {
  console.error('usage: node provider.mjs PORT_FILE REDIRECT_URI');
  process.exit(2);
}

const GROUPS = {
  alice: ['galley-users', 'galley-admins'],
  bob: ['galley-users'],
  mallory: ['outsiders'],
};

// The clock shift applies to everything the provider stamps (iat, exp) while it is set.
let shiftSeconds = 0;
const realNow = Date.now;
Date.now = () => realNow() + shiftSeconds * 1000;

const server = createServer();
await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: ['galley', 'other'].map((id) => ({
    client_id: id,
    client_secret: `${id}-secret`,
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  pkce: { required: () => true },
  scopes: ['openid', 'profile', 'email', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    email: ['email', 'email_verified'],
    groups: ['groups'],
  },
  // Claims go into the ID token itself, as Keycloak and Entra ID send groups there.
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: true } },
  ttl: { AccessToken: 3600, IdToken: 3600, AuthorizationCode: 60, Session: 3600, Interaction: 600, Grant: 3600 },
  async findAccount(ctx, id) {
    const login = String(id).toLowerCase();
    return {
      accountId: login,
      async claims() {
        return {
          sub: login,
          preferred_username: login,
          name: login,
          email: `${login}@corp.example`,
          email_verified: true,
          groups: GROUPS[login] ?? [],
        };
      },
    };
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));

server.on('request', provider.callback());
writeFileSync(portFile, String(server.address().port));
console.log(`listening ${issuer}`);

createInterface({ input: process.stdin }).on('line', (line) => {
  const [command, name, list] = line.trim().split(/\s+/);
  if (command === 'groups' && name) {
    GROUPS[name.toLowerCase()] = list ? list.split(',') : [];
  } else if (command === 'clock') {
    shiftSeconds = Number(name) || 0;
  } else {
    console.log(`unknown command ${line}`);
    return;
  }
  console.log('ok');
});
