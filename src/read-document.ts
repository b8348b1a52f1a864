// Reads one YAML or JSON document from a file or standard input ("-"), for the offline commands.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

export class InputError extends Error {}

export function readDocument(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${file === '-' ? 'standard input' : file}: ${code === 'ENOENT' ? 'no such file' : message}`);
  }
  const document = parseDocument(text, { uniqueKeys: true });
  const problem = document.errors[0];
  if (problem) throw new InputError(`${file === '-' ? 'standard input' : file} is not valid YAML or JSON: ${problem.message.split('\n')[0]}`);
  return document.toJS({ maxAliasCount: 100 });
}
