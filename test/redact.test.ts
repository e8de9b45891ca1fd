import { describe, expect, it } from 'vitest';
import { redactSecrets, withRedactionsOf } from '../src/redact/redact.js';

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
      // No literal, an empty one, or a placeholder as the default of an environment lookup.
      'password = os.getenv("PW")',
      'password = os.environ.get("PW")',
      "const password = process.env.PW || '';",
      'db_url = os.getenv("DATABASE_URL", "postgres://localhost/app")',
      'password = os.getenv("PW", "changeme")',
      'password = os.getenv("PW", "<password>")',
      'password = os.getenv("PW", "${PW}")',
      'password: changeme   # set in prod',
      'DB_PASSWORD=${DB_PASSWORD} # prod',
      // A keyword argument names a variable; placeholders in a prompt.
      'login(user, password=pw1)',
      'use password=<password> or password=${PW} or password=xxx',
      'user.setPassword(password);',
      'setup_token("abcdef12")',
      'app.config["SECRET_KEY"] = os.environ["SECRET_KEY"]',
      // Python's pass statement, and a type annotation is not a value across lines.
      '    pass  # nothing to do',
      'password: Optional[str] = None',
      'elif not password:',
      '    error = "Password is required."',
    ].join('\n');
    const result = await redactSecrets(code);
    expect(result.count).toBe(0);
    expect(result.text).toBe(code);
  });

  // QA round 2: Flask's own ways of setting its key, and .env/YAML lines with a comment, went out unredacted.
  it('redacts literals behind string prefixes, in subscripts and behind a trailing comment', async () => {
    const lines = [
      `SECRET_KEY = b'hunter2-signing-key-prod-2024'`,
      `SECRET_KEY = r"hunter2-signing-key-prod-2024"`,
      `app.secret_key = b"_5#y2L-F4Q8z-xec-prod"`,
      String.raw`    app.secret_key = b'_5#y2L"F4Q8z\n\xec]/'`, // Flask's quickstart: the other quote and escapes inside
      `app.config["SECRET_KEY"] = "dev-4f9a8b7c6d5e"`,
      `os.environ['API_TOKEN'] = 'tok-83hd7s6d5e'`,
      `settings[:password] = 'Hunter2Prod99'`,
      `password: Hunter2Prod99   # prod`,
      `DB_PASSWORD=Hunter2Prod99 # prod`,
      `db_password = Hunter2Prod99 ; prod`,
    ];
    expect((await redactSecrets(lines.join('\n'))).text.split('\n')).toEqual([
      `SECRET_KEY = b'[REDACTED:api-key]'`,
      `SECRET_KEY = r"[REDACTED:api-key]"`,
      `app.secret_key = b"[REDACTED:api-key]"`,
      `    app.secret_key = b'[REDACTED:api-key]'`,
      `app.config["SECRET_KEY"] = "[REDACTED:api-key]"`,
      `os.environ['API_TOKEN'] = '[REDACTED:token]'`,
      `settings[:password] = '[REDACTED:password]'`,
      `password: [REDACTED:password]   # prod`,
      `DB_PASSWORD=[REDACTED:password] # prod`,
      `db_password = [REDACTED:password] ; prod`,
    ]);
  });

  it('redacts the literal default of an environment lookup of a secret', async () => {
    const lines = [
      `password = os.getenv("PW", "Sup3rS3cret!")`,
      `password = os.environ.get("PW", 'Sup3rS3cret!')`,
      `db_password = os.environ.get("PW") or "Sup3rS3cret!"`,
      `const password = process.env.PW || "Sup3rS3cret!";`,
      `const apiKey = process.env["KEY"] ?? 'Sup3rS3cret!';`,
      `password = ENV.fetch("PW", "Sup3rS3cret!")`,
      `connect(password=os.getenv("PW", "Sup3rS3cret!"))`,
      `SECRET_KEY = os.getenv("SECRET_KEY", "Sup3rS3cret!")`,
      `$db = getenv('DB_PASSWORD') ?: 'Sup3rS3cret!';`,
    ];
    expect((await redactSecrets(lines.join('\n'))).text.split('\n')).toEqual([
      `password = os.getenv("PW", "[REDACTED:password]")`,
      `password = os.environ.get("PW", '[REDACTED:password]')`,
      `db_password = os.environ.get("PW") or "[REDACTED:password]"`,
      `const password = process.env.PW || "[REDACTED:password]";`,
      `const apiKey = process.env["KEY"] ?? '[REDACTED:api-key]';`,
      `password = ENV.fetch("PW", "[REDACTED:password]")`,
      `connect(password=os.getenv("PW", "[REDACTED:password]"))`,
      `SECRET_KEY = os.getenv("SECRET_KEY", "[REDACTED:api-key]")`,
      `$db = getenv('DB_PASSWORD') ?: '[REDACTED:password]';`,
    ]);
  });

  it('takes pass and pw as secret names only whole or after a separator', async () => {
    const source = [
      `const auth = { user: 'admin', pass: 'Sup3rS3cret!' }`,
      `SMTP_PASS=Sup3rS3cret9`,
      `db.pw = "Sup3rS3cret!"`,
      `bypass: 'always-on-2024'`,
      `compass = "north-by-2"`,
      `passthrough: "enabled-2"`,
    ].join('\n');
    expect((await redactSecrets(source)).text.split('\n')).toEqual([
      `const auth = { user: 'admin', pass: '[REDACTED:password]' }`,
      `SMTP_PASS=[REDACTED:password]`,
      `db.pw = "[REDACTED:password]"`,
      `bypass: 'always-on-2024'`,
      `compass = "north-by-2"`,
      `passthrough: "enabled-2"`,
    ]);
  });

  // The user's prompt goes through the same redaction (ask, hook): a secret pasted into a sentence.
  it('redacts name=value written between words, as in a prompt or on a command line', async () => {
    const awsSecret = 'wJalrXUtnFEMI/K7MDENG/' + 'bPxRfiCYEXAMPLEKEY';
    const prompt = `Log in with user=admin password=hunter3secret and then set aws_secret_access_key=${awsSecret}.\nmysql --password=hunter3secret -u root`;
    expect((await redactSecrets(prompt)).text).toBe(
      'Log in with user=admin password=[REDACTED:password] and then set aws_secret_access_key=[REDACTED:api-key].\nmysql --password=[REDACTED:password] -u root',
    );
  });

  // QA round 10: a comma, a bracket or a quote next to the value hid it from the rule, and `ask` sent it.
  it('redacts name=value in a prompt next to punctuation, brackets and quotes', async () => {
    const prompt = [
      'log in with password=hunter3abc, then open the dashboard',
      'the staging login (password=hunter4abc) fails; the token=ab12cd34ef; too',
      'the line "api_key=k3y9f00bar" in the env and [secret=s3cr3tval] here, or `token=t0k3nvalue`',
    ].join('\n');
    expect((await redactSecrets(prompt)).text).toBe(
      [
        'log in with password=[REDACTED:password], then open the dashboard',
        'the staging login (password=[REDACTED:password]) fails; the token=[REDACTED:token]; too',
        'the line "api_key=[REDACTED:api-key]" in the env and [secret=[REDACTED:secret]] here, or `token=[REDACTED:token]`',
      ].join('\n'),
    );
    const code = 'connect(password=pw12345)\nconnect(host, password=db_password, port=5432)\nf(a, password=pw1)';
    expect((await redactSecrets(code)).text).toBe(code);
  });

  it('redacts a literal given to a setter, wrapped in a string constructor, or under a type annotation', async () => {
    const lines = [
      `user.setPassword("Sup3rS3cret!");`,
      `client.set_api_key('Sup3rS3cret!')`,
      `let password = String::from("Sup3rS3cret!");`,
      `const API_KEY: &str = "Sup3rS3cret99";`,
      `const apiKey: string = "Sup3rS3cret99";`,
      `    password: str = "Sup3rS3cret!"`,
    ];
    expect((await redactSecrets(lines.join('\n'))).text.split('\n')).toEqual([
      `user.setPassword("[REDACTED:password]");`,
      `client.set_api_key('[REDACTED:api-key]')`,
      `let password = String::from("[REDACTED:password]");`,
      `const API_KEY: &str = "[REDACTED:api-key]";`,
      `const apiKey: string = "[REDACTED:api-key]";`,
      `    password: str = "[REDACTED:password]"`,
    ]);
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

describe('redactSecrets: QA round 4', () => {
  // Each form went out unredacted: the name is an argument, an XML tag or attribute, a flag, or a DSN's user.
  it('redacts secrets given by name to a call, in XML, in a Go MySQL DSN, on mysql/curl/sshpass command lines and in C++ brace init', async () => {
    const pw = () => randomAlnum(14);
    const values = Array.from({ length: 13 }, pw);
    const lines = [
      `props.setProperty("password", "${values[0]}");`,
      `define('DB_PASSWORD', '${values[1]}');`,
      `define( 'AUTH_KEY', '${values[2]}' );`,
      `'password' => env('DB_PASSWORD', '${values[3]}'),`,
      `System.getenv().getOrDefault("DB_PASSWORD", "${values[4]}")`,
      `dsn := "appuser:${values[5]}@tcp(db:3306)/app"`,
      `<password>${values[6]}</password>`,
      `<add key="Password" value="${values[7]}"/>`,
      `mysql -u root -p${values[8]} app`,
      `curl -u admin:${values[9]} https://api.example.com`,
      `sshpass -p '${values[10]}' ssh host`,
      `std::string password{"${values[11]}"};`,
      `define('SECURE_AUTH_SALT', '${values[12]}');`,
    ];
    expect((await redactSecrets(lines.join('\n'))).text.split('\n')).toEqual([
      'props.setProperty("password", "[REDACTED:password]");',
      "define('DB_PASSWORD', '[REDACTED:password]');",
      "define( 'AUTH_KEY', '[REDACTED:api-key]' );",
      "'password' => env('DB_PASSWORD', '[REDACTED:password]'),",
      'System.getenv().getOrDefault("DB_PASSWORD", "[REDACTED:password]")',
      'dsn := "appuser:[REDACTED:url-credentials]@tcp(db:3306)/app"',
      '<password>[REDACTED:password]</password>',
      '<add key="Password" value="[REDACTED:password]"/>',
      'mysql -u root -p[REDACTED:password] app',
      'curl -u admin:[REDACTED:password] https://api.example.com',
      "sshpass -p '[REDACTED:password]' ssh host",
      'std::string password{"[REDACTED:password]"};',
      "define('SECURE_AUTH_SALT', '[REDACTED:secret]');",
    ]);
  });

  it('leaves salts, versions, integrity digests, messages, properties and prompted passwords alone', async () => {
    const code = [
      'salt = "cookie-session"',
      `<script integrity="sha512-${randomFrom(`${ALNUM}+/`, 86)}==" src="app.js"></script>`,
      `"integrity": "sha384-${randomFrom(`${ALNUM}+/`, 64)}",`,
      '"pbkdf2-password": "1.2.1",',
      'errors.add("password", "is-too-short")'.replace('is-too-short', 'is too short'),
      '<password>${env.DB_PASSWORD}</password>',
      '<privateKey>${user.home}/.ssh/id_rsa</privateKey>',
      'mysql -u root -p app',
      'curl -u "$USER:$PASSWORD" https://api.example.com',
      'ssh -p 2222 host',
    ].join('\n');
    const result = await redactSecrets(code);
    expect(result.text).toBe(code);
    expect(result.count).toBe(0);
  });

  // A JDBC URL was reported from after `jdbc:`, so its closing `";` went into the redaction.
  it('keeps the closing quote and what follows a database URL behind a prefix', async () => {
    const password = randomAlnum(12);
    const source = [
      `String u = "jdbc:postgresql://admin:${password}@db.internal:5432/billing"; // note`,
      `url = 'jdbc:mysql://app:${password}@db/app', next`,
    ].join('\n');
    const { text } = await redactSecrets(source);
    expect(text).not.toContain(password);
    expect(text.split('\n')[0]).toMatch(/^String u = "jdbc:\[REDACTED:[a-z-]+\]"; \/\/ note$/);
    expect(text.split('\n')[1]).toMatch(/^url = '(?:jdbc:)?\[REDACTED:[a-z-]+\]', next$/);
  });

  // The prompt hook and MCP redact a block that was already redacted to fit its budget.
  it('finds nothing more in text it has redacted', async () => {
    const source = [
      `token = "${'ghp_' + randomAlnum(36)}"`,
      `password = "${randomAlnum(5)}"`,
      `DATABASE_URL = "postgresql://etl:${randomAlnum(16)}@warehouse.internal/etl"`,
      `const signingSeed = "${randomAlnum(32)}";`,
      `curl -u admin:${randomAlnum(10)} https://x`,
    ].join('\n');
    const once = await redactSecrets(source);
    expect(once.count).toBe(5);
    expect(await redactSecrets(once.text)).toEqual({ text: once.text, count: 0, byKind: {}, digests: new Map() });
  });

  // A task with a token was quoted three times in the prompt (header, searched line, body): "github-token ×3".
  it('counts a secret once however often the text repeats it, and once across a prompt and its block', async () => {
    const token = 'ghp_' + randomAlnum(36);
    const prompt = await redactSecrets(`Task: fix it with ${token}\nSearched: "${token}"\n## Task\n${token}`);
    expect(prompt.text).not.toContain(token);
    expect(prompt).toMatchObject({ count: 1, byKind: { 'github-token': 1 } });
    const block = await redactSecrets(`const TOKEN = "${token}";\nconst dbPassword = "${randomAlnum(12)}";`);
    expect(withRedactionsOf(prompt, block)).toMatchObject({ text: prompt.text, count: 2, byKind: { 'github-token': 1, password: 1 } });
  });
});

function randomFrom(alphabet: string, n: number): string {
  return Array.from({ length: n }, () => alphabet[Math.floor(Math.random() * alphabet.length)]).join('');
}
const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const randomAlnum = (n: number) => randomFrom(ALNUM, n);
const randomHex = (n: number) => randomFrom('0123456789abcdef', n);
const randomB64 = (n: number, prefix: string) => prefix + randomFrom(`${ALNUM}+/`, n - prefix.length);
