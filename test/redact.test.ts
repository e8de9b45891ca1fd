import { describe, expect, it } from 'vitest';
import { redactSecrets } from '../src/redact/redact.js';

// Planted secrets are assembled at run time so this file itself does not trip secret scanners.
const AWS = 'AKIA' + 'Q3EGRUSTMXSAMPLE1'.slice(0, 16);
const OPENAI = 'sk-' + 'proj-' + 'a8F3kq92LmZx71PqRt5VbN0cYw4Ee6Hj';
const GITHUB = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';
const JWT = 'eyJhbGciOiJIUzI1NiJ9' + '.eyJzdWIiOiIxMjM0NTY3ODkwIn0' + '.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U';
const PEM = ['-----BEGIN RSA PRIVATE KEY-----', 'MIIEowIBAAKCAQEA7x9Qm2v', 'Zk3P0r9aXq==', '-----END RSA PRIVATE KEY-----'].join('\n');

describe('redactSecrets', () => {
  it('redacts each planted secret, counts them by kind, and keeps the surrounding code', async () => {
    const source = [
      `const aws = "${AWS}";`,
      `client = OpenAI(api_key="${OPENAI}")`,
      `git clone https://${GITHUB}@github.com/acme/app.git`,
      `Authorization: Bearer ${JWT}`,
      PEM,
      `db_password = "hunter2-prod"`,
      `  "apiKey": "live_3f9a1c77",`,
      `DATABASE_PASSWORD=s3cretPass99`,
      `const signingSeed = "Zq8vK2pLx9WmR4tYb7NcE1fHj6Ud3Sg5";`,
    ].join('\n');
    const { text, count, byKind } = await redactSecrets(source);
    for (const secret of [AWS, OPENAI, GITHUB, JWT, 'MIIEowIBAAKCAQEA7x9Qm2v', 'hunter2-prod', 'live_3f9a1c77', 's3cretPass99', 'Zq8vK2pLx9WmR4tYb7NcE1fHj6Ud3Sg5']) {
      expect(text).not.toContain(secret);
    }
    expect(byKind).toEqual({
      'aws-access-key': 1,
      'api-key': 2,
      'github-token': 1,
      jwt: 1,
      'private-key': 1,
      password: 2,
      'high-entropy-string': 1,
    });
    expect(count).toBe(9);
    expect(text).toContain('db_password = "[REDACTED:password]"');
    expect(text).toContain('git clone https://[REDACTED:github-token]@github.com/acme/app.git');
    expect(text).toContain('DATABASE_PASSWORD=[REDACTED:password]');
  });

  it('replaces only the value: names, quotes and punctuation around it stay', async () => {
    const awsSecret = '9dKq2Lr7XbV4mN8pZ1wY6tH3sJ5cF0gA2eR7uI9o';
    const mongoPassword = randomAlnum(12);
    const source = [
      `  const secretAccessKey = "${awsSecret}";`,
      `  const conn = "mongodb://root:${mongoPassword}@mongo:27017/app";`,
      `DSN = 'postgres://app:${randomAlnum(12)}@db.internal/app'`,
      `aws_secret_access_key = ${awsSecret}`,
    ].join('\n');
    expect((await redactSecrets(source)).text).toBe(
      [
        '  const secretAccessKey = "[REDACTED:aws-secret-key]";',
        '  const conn = "[REDACTED:database-connection-string]";',
        "DSN = '[REDACTED:database-connection-string]'",
        'aws_secret_access_key = [REDACTED:aws-secret-key]',
      ].join('\n'),
    );
  });

  it('redacts a GitHub token inside an identifier, whatever its length', async () => {
    const token = 'ghp_' + randomAlnum(38); // secretlint's rule takes exactly 36 characters
    const { text } = await redactSecrets(`def sk_${token}():\n    return 1`);
    expect(text).toBe('def sk_[REDACTED:github-token]():\n    return 1');
    expect((await redactSecrets(`sk_${GITHUB}_helper = 1`)).text).toBe('sk_[REDACTED:github-token]_helper = 1');
  });

  // A key whose random tail ends in '-' has no word boundary after it: `\b` let it through (CI leaked a SendGrid key once).
  it('redacts fixed-length keys that end in a dash', async () => {
    const keys = [
      `SG.${'a'.repeat(21)}-.${'b'.repeat(42)}-`,
      `AIza${'c'.repeat(34)}-`,
      `GOCSPX-${'d'.repeat(27)}-`,
    ];
    for (const key of keys) {
      const { text } = await redactSecrets(`const key = "${key}";`);
      expect(text, key).not.toContain(key.slice(0, 12));
    }
  });

  it('leaves code that only handles secrets alone', async () => {
    const code = [
      'password = input("Password: ")',
      'def check(password: str, hashed: bytes) -> bool:',
      '    return bcrypt.checkpw(password.encode(), hashed)',
      'const apiKey: string = process.env.OPENAI_API_KEY ?? "";',
      'token = request.headers.get("Authorization")',
      'if (password === confirmPassword) submit();',
      'const tokenizer = "bert-base-uncased";',
      'const commit = "3f786850e387550fdab836ed7e6dc881de23001b";',
      'password: ${DB_PASSWORD}',
      'api_key: "<your key here>"',
      'const secretsDir = path.join(home, ".secrets");',
    ].join('\n');
    const result = await redactSecrets(code);
    expect(result.count).toBe(0);
    expect(result.text).toBe(code);
  });

  it('redacts both halves of a private key cut across chunks, and a middle piece with neither marker', async () => {
    const body = Array.from({ length: 9 }, (_, i) => randomB64(64, i === 0 ? 'MII' : ''));
    const head = ['const legacyKey = `-----BEGIN RSA PRIVATE KEY-----', ...body.slice(0, 3)].join('\n');
    const middle = body.slice(3, 6).join('\n');
    const tail = [...body.slice(6), '-----END RSA PRIVATE KEY-----`;', 'export default legacyKey;'].join('\n');
    for (const chunk of [head, middle, tail]) {
      const { text } = await redactSecrets(chunk);
      for (const line of body) expect(text).not.toContain(line);
    }
    expect((await redactSecrets(head)).text).toBe('const legacyKey = `[REDACTED:private-key]');
    expect((await redactSecrets(tail)).text).toBe('[REDACTED:private-key]`;\nexport default legacyKey;');
  });

  it('redacts a key written on one line in quoted pieces joined in code, whole or with its BEGIN in another chunk', async () => {
    const pieces = [randomB64(64, 'MII'), randomB64(64, '')];
    const quoted = pieces.map((piece) => `"${piece}"`);
    const begin = '"-----BEGIN RSA PRIVATE KEY-----"';
    const end = '"-----END RSA PRIVATE KEY-----"';
    const lines = {
      python: `KEY = "\\n".join([${[begin, ...quoted, end].join(', ')}])`,
      concatenated: `const key = ${[begin, ...quoted, end].join(' + ')};`,
      tailOnly: `${quoted.join(', ')}, ${end}])`,
    };
    for (const line of Object.values(lines)) {
      const { text } = await redactSecrets(line);
      for (const piece of pieces) expect(text).not.toContain(piece);
    }
    expect((await redactSecrets(lines.concatenated)).text).toBe('const key = "[REDACTED:private-key]";');
    expect((await redactSecrets(lines.tailOnly)).text).toBe('"[REDACTED:private-key]"])');
  });

  it('redacts Stripe keys, hex secrets on secret-like names and credentials in URLs and connection strings', async () => {
    const secrets = {
      stripe: 'sk_' + 'live_' + randomAlnum(24),
      restricted: 'rk_' + 'live_' + randomAlnum(24),
      webhook: 'whsec_' + randomAlnum(32),
      keyBase: randomHex(128),
      signing: randomHex(64),
      pgPassword: randomAlnum(16),
      redisPassword: randomAlnum(16),
      urlToken: randomAlnum(24),
      adoPassword: randomAlnum(12),
    };
    const source = [
      `stripe.setApiKey("${secrets.stripe}");`,
      `const restricted = "${secrets.restricted}"; const hook = "${secrets.webhook}";`,
      `SECRET_KEY_BASE=${secrets.keyBase}`,
      `signing_key: "${secrets.signing}"`,
      `DATABASE_URL=postgres://app:${secrets.pgPassword}@db.internal:5432/app`,
      `cache: redis://:${secrets.redisPassword}@cache.internal:6379`,
      `git clone https://deploy:${secrets.urlToken}@git.example.com/app.git`,
      `"Server=sql;Database=app;User Id=app;Password=${secrets.adoPassword};"`,
    ].join('\n');
    const { text } = await redactSecrets(source);
    for (const secret of Object.values(secrets)) expect(text).not.toContain(secret);
    expect(text).toContain('cache.internal:6379');
  });
});

function randomFrom(alphabet: string, n: number): string {
  return Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomAlnum = (n: number) => randomFrom(ALNUM, n);
const randomHex = (n: number) => randomFrom('0123456789abcdef', n);
const randomB64 = (n: number, prefix: string) => prefix + randomFrom(`${ALNUM}+/`, n - prefix.length);
