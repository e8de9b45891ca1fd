// A codebase with planted secrets, generated at run time: random values in each format, so no secret (real or
// literal-looking) is ever committed. Used by test/secrets.e2e.test.ts and bench/secrets.mjs.
//
// plantSecrets() returns { files: { path: content }, secrets: [{ kind, marker, fragments }] }:
// - marker: an identifier on the secret's line (or next to it); when an output contains it, the secret's line
//   reached that output, so its absence there proves redaction rather than luck;
// - fragments: strings any of which in an output is a leak (the value; each line of a key body).
import { randomInt } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_DIGITS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64 = `${ALNUM}+/`;
const B64URL = `${ALNUM}-_`;
const HEX = '0123456789abcdef';

const pick = (alphabet, n) => Array.from({ length: n }, () => alphabet[randomInt(alphabet.length)]).join('');
const alnum = (n) => pick(ALNUM, n);
const hex = (n) => pick(HEX, n);
const b64url = (n) => pick(B64URL, n);
const digits = (n) => pick('0123456789', n);
const b64url_json = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A PEM block of `lines` body lines (64 chars, ASN.1-looking start); returns its lines. */
function pem(label, lines) {
  const body = Array.from({ length: lines }, (_, i) => (i === 0 ? `MII${pick(B64, 61)}` : pick(B64, 64)));
  body.push(`${pick(B64, 40)}==`);
  return { head: `-----BEGIN ${label}-----`, body, tail: `-----END ${label}-----` };
}

const jwt = () =>
  `${b64url_json({ alg: 'HS256', typ: 'JWT' })}.${b64url_json({ sub: digits(10), name: alnum(8), iat: 1700000000 })}.${b64url(43)}`;

export function plantSecrets() {
  const secrets = [];
  /** Records a secret and returns its value, for the file templates below. */
  const plant = (kind, marker, value, fragments = [value]) => {
    secrets.push({ kind, marker, fragments });
    return value;
  };
  const keyLines = (kind, marker, key) => plant(kind, marker, key, key.body.filter((line) => line.length >= 16));

  const files = {};

  files['src/billing/paymentsConfig.ts'] = `// Payment provider settings for the checkout service.
export function loadPaymentsConfig() {
  return {
    stripeLiveSecret: "${plant('stripe-secret-key', 'stripeLiveSecret', `sk_live_${alnum(24)}`)}",
    stripeTestSecret: "${plant('stripe-secret-key', 'stripeTestSecret', `sk_test_${alnum(24)}`)}",
    stripeRestricted: "${plant('stripe-restricted-key', 'stripeRestricted', `rk_live_${alnum(24)}`)}",
    stripeWebhookSigning: "${plant('stripe-webhook-secret', 'stripeWebhookSigning', `whsec_${alnum(32)}`)}",
    squareAccess: "${plant('square-token', 'squareAccess', `sq0atp-${b64url(22)}`)}",
    stripeConnectSecret: "${plant('stripe-secret-key', 'stripeConnectSecret', `sk_live_${alnum(99)}`)}",
    checkoutJwt: "${plant('jwt', 'checkoutJwt', jwt())}",
  };
}
`;

  files['src/cloud/cloudClients.ts'] = `// Clients for the cloud providers the uploader talks to.
export const awsUploader = {
  accessKeyId: "${plant('aws-access-key', 'awsUploader', `AKIA${pick(UPPER_DIGITS, 16)}`)}",
  secret_access_key: "${plant('aws-secret-key', 'secret_access_key', pick(B64, 40))}",
};
export const backupUploader = { accessKeyId: "${plant('aws-access-key', 'backupUploader', `ASIA${pick(UPPER_DIGITS, 16)}`)}" };
export const AWS_SECRET_ACCESS_KEY = "${plant('aws-secret-key', 'AWS_SECRET_ACCESS_KEY', pick(B64, 40))}";
export const mapsBrowserKey = "${plant('google-api-key', 'mapsBrowserKey', `AIza${b64url(35)}`)}";
export const googleOauthClient = { clientId: "1234.apps.googleusercontent.com", clientSecretValue: "${plant('google-oauth-secret', 'googleOauthClient', `GOCSPX-${b64url(28)}`)}" };
export const blobStorage = "DefaultEndpointsProtocol=https;AccountName=uploads;AccountKey=${plant('azure-storage-key', 'blobStorage', `${pick(B64, 86)}==`)};EndpointSuffix=core.windows.net";
export const dropletApi = "${plant('digitalocean-token', 'dropletApi', `dop_v1_${hex(64)}`)}";
`;

  files['src/vcs/git_hosting.py'] = `"""Tokens for the git hosting and package registries the release script uses."""

GITHUB_RELEASE_BOT = "${plant('github-token', 'GITHUB_RELEASE_BOT', `ghp_${alnum(36)}`)}"
GITHUB_FINE_GRAINED = "${plant('github-fine-grained-token', 'GITHUB_FINE_GRAINED', `github_pat_${alnum(22)}_${alnum(59)}`)}"
GITHUB_OAUTH_APP = "${plant('github-oauth-token', 'GITHUB_OAUTH_APP', `gho_${alnum(36)}`)}"
GITLAB_MIRROR = "${plant('gitlab-token', 'GITLAB_MIRROR', `glpat-${b64url(20)}`)}"
NPM_PUBLISH = "${plant('npm-token', 'NPM_PUBLISH', `npm_${alnum(36)}`)}"
PYPI_UPLOAD = "${plant('pypi-token', 'PYPI_UPLOAD', `pypi-AgEIcHlwaS5vcmc${b64url(70)}`)}"
DATABASE_URL = "postgresql://etl:${plant('postgres-url-password', 'DATABASE_URL', alnum(16))}@warehouse.internal/etl"
HF_DOWNLOAD = "${plant('huggingface-token', 'HF_DOWNLOAD', `hf_${alnum(34)}`)}"


def release_headers():
    return {"Authorization": "Bearer ${plant('bearer-token', 'release_headers', alnum(40))}"}
`;

  files['src/chat/notifier.go'] = `// Package chat sends deploy notifications to the team's chat and mail services.
package chat

const slackBotToken = "${plant('slack-token', 'slackBotToken', `xoxb-${digits(12)}-${digits(13)}-${alnum(24)}`)}"
const slackDeployHook = "${plant('slack-webhook', 'slackDeployHook', `https://hooks.slack.com/services/T${pick(UPPER_DIGITS, 8)}/B${pick(UPPER_DIGITS, 10)}/${alnum(24)}`)}"
const sendgridMail = "${plant('sendgrid-key', 'sendgridMail', `SG.${b64url(22)}.${b64url(43)}`)}"
const mailgunDomainKey = "${plant('mailgun-key', 'mailgunDomainKey', `key-${hex(32)}`)}"
const twilioSms = "${plant('twilio-key', 'twilioSms', `SK${hex(32)}`)}"
const linearIssues = "${plant('linear-key', 'linearIssues', `lin_api_${alnum(40)}`)}"
const shopifyAdmin = "${plant('shopify-token', 'shopifyAdmin', `shpat_${hex(32)}`)}"
const slackUserToken = "${plant('slack-token', 'slackUserToken', `xoxp-${digits(12)}-${digits(12)}-${digits(13)}-${hex(32)}`)}"
`;

  files['src/ai/modelKeys.ts'] = `// Keys for the model providers the assistant can call.
export const openaiProject = "${plant('openai-key', 'openaiProject', `sk-proj-${b64url(74)}T3BlbkFJ${b64url(74)}`)}";
export const openaiLegacy = "${plant('openai-key', 'openaiLegacy', `sk-${alnum(48)}`)}";
export const anthropicConsole = "${plant('anthropic-key', 'anthropicConsole', `sk-ant-api03-${b64url(93)}AA`)}";
export const mistralApiKey = "${plant('named-api-key', 'mistralApiKey', alnum(32))}";
export const sessionJwt = "${plant('jwt', 'sessionJwt', jwt())}";
export function assistantHeaders() {
  return { Authorization: "Bearer ${plant('bearer-token', 'assistantHeaders', `${alnum(32)}.${alnum(16)}`)}" };
}
`;

  const deployKey = pem('OPENSSH PRIVATE KEY', 6);
  keyLines('private-key-openssh', 'deploy_ssh_key', deployKey);
  files['config/database.yaml'] = `# Database and queue connections for production.
primary:
  url: postgres://app:${plant('postgres-url-password', 'primary', alnum(18))}@db.internal:5432/app
replica_url: "mysql://report:${plant('mysql-url-password', 'replica_url', alnum(16))}@replica.internal:3306/reports"
sessions_url: mongodb+srv://sessions:${plant('mongodb-url-password', 'sessions_url', alnum(16))}@cluster0.example.net/sessions
cache_url: redis://:${plant('redis-url-password', 'cache_url', alnum(20))}@cache.internal:6379/0
queue_url: amqp://worker:${plant('amqp-url-password', 'queue_url', alnum(14))}@mq.internal:5672/jobs
warehouse:
  user: loader
  password: ${plant('yaml-password', 'warehouse', `${alnum(10)}${digits(4)}`)}
reporting_dsn: "Server=sql.internal;Database=reports;User Id=report;Password=${plant('connection-string-password', 'reporting_dsn', `${alnum(12)}${digits(2)}`)};"
deploy_ssh_key: |
  ${deployKey.head}
${deployKey.body.map((line) => `  ${line}`).join('\n')}
  ${deployKey.tail}
`;

  const serviceKey = pem('PRIVATE KEY', 8);
  keyLines('private-key-json', 'private_key_id', serviceKey);
  files['config/service-account.json'] = `${JSON.stringify(
    {
      type: 'service_account',
      project_id: 'uploads-prod',
      private_key_id: hex(40),
      private_key: `${serviceKey.head}\n${serviceKey.body.join('\n')}\n${serviceKey.tail}\n`,
      client_email: 'uploader@uploads-prod.iam.gserviceaccount.com',
      client_secret: plant('json-client-secret', 'client_secret', `${alnum(20)}${digits(4)}`),
      webhook_url: `https://deploy:${plant('url-credentials', 'webhook_url', alnum(24))}@hooks.example.com/notify`,
    },
    null,
    2,
  )}\n`;

  files['config/app.ini'] = `; Application settings for the web tier.
[web]
DB_PASSWORD=${plant('ini-password', 'DB_PASSWORD', `${alnum(12)}${digits(3)}`)}
SECRET_KEY_BASE=${plant('hex-secret', 'SECRET_KEY_BASE', hex(128))}
signing_key = ${plant('hex-secret', 'signing_key', hex(64))}
session_secret = ${plant('ini-secret', 'session_secret', `${alnum(20)}${digits(2)}`)}
api_token = ${plant('ini-token', 'api_token', `${alnum(30)}${digits(2)}`)}
mirror = https://mirror:${plant('url-credentials', 'mirror', alnum(20))}@packages.example.com/simple
`;

  const tlsKey = pem('RSA PRIVATE KEY', 10);
  keyLines('private-key-rsa', 'serverTlsKey', tlsKey);
  const ecKey = pem('EC PRIVATE KEY', 3);
  keyLines('private-key-ec', 'clientEcKey', ecKey);
  files['src/tls/serverKeys.ts'] = `// TLS material for the local test server.
export const serverTlsKey = \`${tlsKey.head}
${tlsKey.body.join('\n')}
${tlsKey.tail}\`;

export const clientEcKey =
  "${ecKey.head}\\n" +
${ecKey.body.map((line) => `  "${line}\\n" +`).join('\n')}
  "${ecKey.tail}\\n";

export const hmacSecretHex = "${plant('hex-secret', 'hmacSecretHex', hex(64))}";
`;

  // On one line, in quoted pieces joined in code.
  const joinedKey = pem('PRIVATE KEY', 4);
  keyLines('private-key-one-line', 'WEBHOOK_SIGNING_KEY', joinedKey);
  files['deploy/webhook_keys.py'] = `# The webhook signer's key, inlined for the offline installer.
WEBHOOK_SIGNING_KEY = "\\n".join([${[joinedKey.head, ...joinedKey.body, joinedKey.tail].map((line) => `"${line}"`).join(', ')}])
`;

  // Long enough for the chunker to cut it: one half (BEGIN…) and the other (…END) land in different chunks.
  const legacyKey = pem('RSA PRIVATE KEY', 90);
  const half = Math.floor(legacyKey.body.length / 2);
  plant('private-key-split-head', 'legacySigningKey', legacyKey.head, legacyKey.body.slice(0, half));
  plant('private-key-split-tail', 'legacySigningKeyEnd', legacyKey.tail, legacyKey.body.slice(half).filter((l) => l.length >= 16));
  files['src/tls/legacySigningKey.ts'] = `// The signing key of the legacy token service, kept until its tokens expire.
export const legacySigningKey = \`${legacyKey.head}
${legacyKey.body.join('\n')}
${legacyKey.tail}\`; // legacySigningKeyEnd
`;

  // Python, Flask and Ruby ways of writing a secret: string prefixes, subscripts, environment lookups' defaults.
  files['src/web/app.py'] = `"""The web front end's Flask app and its settings."""
import os

from flask import Flask

app = Flask(__name__)
app.secret_key = b"${plant('flask-secret-key', 'app.secret_key', `${alnum(16)}-${digits(4)}`)}"
app.config["SECRET_KEY"] = "${plant('flask-config-secret', 'app.config["SECRET_KEY"]', `dev-${hex(12)}`)}"
app.config["MAIL_PASSWORD"] = r'${plant('python-raw-string', 'MAIL_PASSWORD', `${alnum(12)}${digits(2)}`)}'
os.environ['UPLOAD_API_TOKEN'] = '${plant('environ-subscript', 'UPLOAD_API_TOKEN', alnum(20))}'
mail_password: str = "${plant('annotated-assignment', 'mail_password', `${alnum(10)}!${digits(2)}`)}"


def database_settings():
    return {
        "user": "web",
        "password": os.getenv("DB_PW", "${plant('getenv-default', 'DB_PW', `${alnum(10)}${digits(2)}`)}"),
    }


cache_auth = os.environ.get("CACHE_PASSWORD") or "${plant('environ-get-or', 'CACHE_PASSWORD', alnum(14))}"
`;

  files['config/initializers/mailer.rb'] = `# Mail delivery settings for production.
settings[:smtp_password] = '${plant('ruby-symbol-subscript', 'smtp_password', `${alnum(12)}${digits(2)}`)}'
relay_secret = ENV.fetch("RELAY_SECRET", "${plant('env-fetch-default', 'RELAY_SECRET', alnum(18))}")
`;

  files['src/web/mailTransport.js'] = `// Mail transport and admin settings for the web front end.
export const mailTransport = { host: 'smtp.example.com', user: 'mailer', pass: '${plant('js-pass-key', 'mailTransport', `${alnum(12)}${digits(2)}`)}' };
export const sessionStoreAuth = process.env.SESSION_STORE_PASSWORD ?? "${plant('process-env-default', 'SESSION_STORE_PASSWORD', alnum(16))}";
export function seedAdmin(admin) {
  admin.setPassword("${plant('setter-literal', 'admin.setPassword', `${alnum(12)}${digits(2)}`)}");
}
`;

  files['src/licence/client.rs'] = `//! Credentials of the licence server client.
pub const LICENCE_API_KEY: &str = "${plant('rust-typed-const', 'LICENCE_API_KEY', `${alnum(14)}-${digits(4)}`)}";

pub fn licence_password() -> String {
    let password = String::from("${plant('rust-string-from', 'licence_password', `${alnum(12)}${digits(2)}`)}");
    password
}
`;

  // Unquoted values with a comment after them, in YAML and env-style settings.
  files['config/analytics.yaml'] = `# Analytics warehouse connection.
analytics:
  user: reader
  password: ${plant('yaml-password-comment', 'reader', `${alnum(10)}${digits(4)}`)}   # rotated quarterly
`;
  files['deploy/worker.conf'] = `# Runtime settings for the worker hosts, read by the systemd unit.
WORKER_DB_PASSWORD=${plant('env-password-comment', 'WORKER_DB_PASSWORD', `${alnum(12)}${digits(2)}`)} # prod
`;

  // Secrets pasted into prose, as a user might in a prompt.
  files['docs/restore-runbook.md'] = `# Restoring the reporting database

Log in to the bastion with password=${plant('prose-password', 'bastion', `${alnum(10)}${digits(3)}`)} and run the restore script.
The backup job reads aws_secret_access_key=${plant('prose-aws-secret', 'backup job', `${pick(B64, 38)}${digits(2)}`)} from its environment.
`;

  return { files, secrets };
}
