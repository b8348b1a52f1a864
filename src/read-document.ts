// Reads YAML or JSON documents from a file or standard input ("-"), for the offline commands.
import { readFileSync } from 'node:fs';
import { parseAllDocuments, type Document } from 'yaml';

export class InputError extends Error {}

/** The text of a file, or of standard input for "-"; an InputError saying why it cannot be read. */
export function readText(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new InputError(`cannot read ${sourceName(file)}: ${code === 'ENOENT' ? 'no such file' : message}`);
  }
}

/** How messages name a file, or standard input for "-". */
const sourceName = (file: string) => (file === '-' ? 'standard input' : file);

/**
 * The yaml library's message for a person: its first line, without the colon that introduces the
 * source excerpt on the next lines (the position is already in it).
 */
export function parserProblem(error: Error): string {
  return (error.message.split('\n')[0] ?? '').replace(/:\s*$/, '');
}

/** The document's value; an InputError with the parser's first problem when it has one. */
function valueOf(document: Document, file: string): unknown {
  const problem = document.errors[0];
  if (problem) throw new InputError(`${sourceName(file)} is not valid YAML or JSON: ${parserProblem(problem)}`);
  return document.toJS({ maxAliasCount: 100 });
}

/**
 * The one document in the file; null for an empty file. Empty documents (a leading or trailing
 * `---`, as kubectl writes and accepts) do not count.
 */
export function readDocument(file: string): unknown {
  const documents = readDocuments(file).filter((document) => document !== null);
  if (documents.length > 1) throw new InputError(`${sourceName(file)} holds ${documents.length} YAML documents; give one`);
  return documents[0] ?? null;
}

/** Every document in the file (an empty one, such as after a trailing ---, as null). */
export function readDocuments(file: string): unknown[] {
  return parseAllDocuments(readText(file), { uniqueKeys: true }).map((document) => valueOf(document, file));
}
