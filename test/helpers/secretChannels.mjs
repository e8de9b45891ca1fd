// Drives the ways indexed code leaves the machine, on a codebase with planted secrets (secretCorpus.mjs):
// `codectx ask --dry-run` (the prompt a model would get), `codectx context --json`, the MCP server's search_code
// answers, and the `codectx hook user-prompt-submit` context. Each channel gets one query per planted file and its
// outputs are joined, so every file's chunks have a chance to come out.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/codectx.js', import.meta.url));

/** One query per planted file: what it is about, in words, and its identifiers (keyword hits are always kept). */
export const SECRET_QUERIES = [
  'payment provider settings for checkout loadPaymentsConfig stripeLiveSecret',
  'cloud provider clients for the uploader awsUploader mapsBrowserKey blobStorage',
  'tokens for git hosting and package registries GITHUB_RELEASE_BOT release_headers',
  'deploy notifications to chat and mail slackBotToken sendgridMail',
  'keys for the model providers openaiProject assistantHeaders',
  'database and queue connections for production replica_url deploy_ssh_key',
  'service account private_key client_email webhook_url',
  'application settings for the web tier DB_PASSWORD SECRET_KEY_BASE signing_key',
  'TLS material for the local test server serverTlsKey clientEcKey',
  'signing key of the legacy token service legacySigningKey legacySigningKeyEnd',
  'Flask app of the web front end and its settings database_settings',
  'mail delivery settings for production smtp relay',
  'mail transport and admin settings seedAdmin',
  'credentials of the licence server client',
  'analytics warehouse connection, runtime settings for the worker hosts',
  'restoring the reporting database from the backup',
];

/** Writes the planted files (and a config that lets the hook send a large block) into a new temp repo. */
export async function writeSecretRepo(files) {
  const base = await mkdtemp(join(tmpdir(), 'codectx-secrets-'));
  const repo = join(base, 'repo');
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  }
  await writeFile(join(repo, 'codectx.config.json'), JSON.stringify({ hook: { budget: 20000 } }));
  return { repo, home: join(base, 'home') };
}

export function cli(args, { home, input, cwd }) {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: { ...process.env, CODECTX_HOME: home }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (input !== undefined) child.stdin?.end(input);
  });
}

export async function askDryRun(repo, home, queries = SECRET_QUERIES) {
  const outputs = [];
  for (const query of queries) {
    const result = await cli(['ask', query, '--dry-run', '--path', repo], { home, cwd: repo });
    if (result.code !== 0) throw new Error(`ask --dry-run failed: ${result.stderr}`);
    outputs.push(result.stdout);
  }
  return outputs.join('\n');
}

/** `codectx context --json`: the block in parts, which a tool hands to a model; the snippets' code joined. */
export async function contextJson(repo, home, queries = SECRET_QUERIES) {
  const outputs = [];
  for (const query of queries) {
    const result = await cli(['context', query, '--json', '--budget', '20000', '--path', repo], { home, cwd: repo });
    if (result.code !== 0) throw new Error(`context --json failed: ${result.stderr}`);
    outputs.push(...JSON.parse(result.stdout).snippets.map((snippet) => snippet.content));
  }
  return outputs.join('\n');
}

export async function hookContext(repo, home, queries = SECRET_QUERIES) {
  const outputs = [];
  for (const prompt of queries) {
    const input = JSON.stringify({ session_id: 's', cwd: repo, hook_event_name: 'UserPromptSubmit', prompt: `Please look at the ${prompt}` });
    const result = await cli(['hook', 'user-prompt-submit'], { home, input, cwd: repo });
    if (result.code !== 0 || !result.stdout) throw new Error(`hook gave no context: ${result.stderr}`);
    outputs.push(JSON.parse(result.stdout).hookSpecificOutput.additionalContext);
  }
  return outputs.join('\n');
}

export async function mcpSearchAnswers(repo, home, queries = SECRET_QUERIES) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [BIN, 'mcp'],
    cwd: repo,
    env: { ...process.env, CODECTX_HOME: home },
    stderr: 'ignore',
  });
  const client = new Client({ name: 'codectx-secrets', version: '1.0.0' });
  await client.connect(transport);
  try {
    const outputs = [];
    for (const query of queries) {
      const result = await client.callTool({ name: 'search_code', arguments: { path: repo, query, limit: 50 } });
      const text = result.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      if (result.isError) throw new Error(`search_code failed: ${text}`);
      outputs.push(text);
    }
    return outputs.join('\n');
  } finally {
    await client.close();
  }
}

/** Secrets whose line reached the output (its marker is there), and those of them with any fragment there. */
export function leakReport(output, secrets) {
  const reached = secrets.filter((s) => output.includes(s.marker));
  const leaked = secrets.filter((s) => s.fragments.some((fragment) => output.includes(fragment)));
  return { reached, leaked };
}
