import { homedir } from 'node:os';
import { join } from 'node:path';

/** Root of everything codectx keeps per user: indexes, the model cache, the daemon socket, the usage ledger. */
export function codectxHome(): string {
  return process.env.CODECTX_HOME || join(homedir(), '.codectx');
}

/** Where built model files (ONNX graphs) are cached. */
export function modelsDir(): string {
  return join(codectxHome(), 'models');
}
