// Says what is wrong with YAML without quoting it: the yaml library's messages can quote the
// document (an alias's name, a tag, an escape sequence), and in a pod that text may be a
// credential (`value: *hunter2`, unquoted, is read as an alias), so it never reaches a message.
import { isAlias, visit, type Document, type ErrorCode, type LineCounter, type Range, type YAMLError } from 'yaml';

/** Parser problems whose library messages quote the document even without a colon: our words. */
const OWN_WORDS: Partial<Record<ErrorCode, string>> = {
  BAD_DQ_ESCAPE: 'a double-quoted string has an invalid escape sequence',
  BAD_DIRECTIVE: 'a %YAML or %TAG directive is not valid',
  TAG_RESOLVE_FAILED: 'a tag (!…) cannot be resolved, or its value does not fit it',
};

/**
 * The library's first line, without its position (and the colon that introduces the source
 * excerpt on the next lines), and cut where it goes on to quote the source, as it does after a
 * word and a colon ("Block scalar header includes extra characters: |…").
 */
const libraryWords = (message: string) =>
  (message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?\s*$/, '').replace(/(?<=\w): .*$/, '');

const at = (position: { line: number; col: number } | undefined) => (position ? ` at line ${position.line}, column ${position.col}` : '');

/** A parse error (one of `document.errors`), with its position. */
export function parserProblem(error: YAMLError): string {
  return `${OWN_WORDS[error.code] ?? libraryWords(error.message)}${at(error.linePos?.[0])}`;
}

/** The first alias naming no anchor set before it, in the order the library resolves aliases. */
function unresolvedAlias(document: Document): Range | undefined {
  const anchors = new Set<string>();
  let found: Range | undefined;
  visit(document, {
    Node: (_key, node) => {
      if (isAlias(node) && !anchors.has(node.source)) {
        found = node.range ?? undefined;
        return visit.BREAK;
      }
      if (node.anchor !== undefined) anchors.add(node.anchor);
      return undefined;
    },
  });
  return found;
}

/**
 * Why `document.toJS()` failed: only there are aliases resolved, so only there is an alias to no
 * anchor found, or aliases that expand too far (an alias bomb; that message quotes nothing).
 */
export function valueProblem(error: Error, document: Document, lines: LineCounter): string {
  const alias = unresolvedAlias(document);
  if (!alias) return libraryWords(error.message);
  return `an alias (*…)${at(lines.linePos(alias[0]))} refers to no anchor (&…) set before it; quote a value that starts with *`;
}
