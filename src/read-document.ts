// Reads YAML or JSON documents from a file or standard input ("-"), for the offline commands, and
// parses them for the config file too, so both take the same YAML (and say the same about bad YAML).
import { readFileSync } from 'node:fs';
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import { parserProblem, valueProblem } from './yaml-problem.js';

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
export const sourceName = (file: string) => (file === '-' ? 'standard input' : file);

/** What is wrong with a text's YAML or JSON, in words that follow the name of where it came from. */
export class DocumentError extends Error {}

/** Every document in YAML or JSON text (an empty one, such as after a trailing ---, as null). */
export function parseDocuments(text: string): unknown[] {
  const lines = new LineCounter();
  return parseAllDocuments(text, { uniqueKeys: true, lineCounter: lines }).map((document: Document) => {
    const problem = document.errors[0];
    if (problem) throw new DocumentError(`not valid YAML or JSON: ${parserProblem(problem)}`);
    try {
      return document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      throw new DocumentError(`not valid YAML or JSON: ${valueProblem(error as Error, document, lines)}`);
    }
  });
}

/**
 * The one document in YAML or JSON text; null for an empty text. Empty documents (a leading or
 * trailing `---`, as kubectl writes and accepts) do not count.
 */
export function parseDocument(text: string): unknown {
  const documents = parseDocuments(text).filter((document) => document !== null);
  if (documents.length > 1) throw new DocumentError(`holds ${documents.length} YAML documents; give one`);
  return documents[0] ?? null;
}

/** `parse` of the file's text, with a DocumentError as an InputError that names the file. */
function readWith<T>(file: string, parse: (text: string) => T): T {
  const text = readText(file);
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof DocumentError) throw new InputError(`${sourceName(file)}: ${error.message}`);
    throw error;
  }
}

/** The one document in the file (see parseDocument). */
export function readDocument(file: string): unknown {
  return readWith(file, parseDocument);
}

/** Every document in the file. */
export function readDocuments(file: string): unknown[] {
  return readWith(file, parseDocuments);
}
