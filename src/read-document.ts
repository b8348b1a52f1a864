// Reads one YAML or JSON document from a file or standard input ("-"), for the offline commands.
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

export class InputError extends Error {}

/** The text of a file, or of standard input for "-"; an InputError saying why it cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${file === '-' ? 'standard input' : file}: ${code === 'ENOENT' ? 'no such file' : message}`);
  }
}

export function readDocument(file: string): unknown {
  const text = readText(file);
  const document = parseDocument(text, { uniqueKeys: true });
  const problem = document.errors[0];
  if (problem) throw new InputError(`${file === '-' ? 'standard input' : file} is not valid YAML or JSON: ${problem.message.split('\n')[0]}`);
  return document.toJS({ maxAliasCount: 100 });
}
