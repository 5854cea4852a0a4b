// Finds the string and template literal text in a JavaScript bundle (with TypeScript's parser),
// to tell how much of a library's size is messages and SQL text rather than code.
import ts from 'typescript';

const EMPTY = {
  [ts.SyntaxKind.StringLiteral]: '""',
  [ts.SyntaxKind.NoSubstitutionTemplateLiteral]: '``',
  [ts.SyntaxKind.TemplateHead]: '`${',
  [ts.SyntaxKind.TemplateMiddle]: '}${',
  [ts.SyntaxKind.TemplateTail]: '}`',
};

/**
 * Returns the literals longer than `minLength` characters (quotes included) and the code with
 * each of them emptied (still valid JavaScript), so its gzipped size can be compared with the
 * original's. Property names and import specifiers are literals too, but short ones.
 */
export function literals(code, minLength = 12) {
  const file = ts.createSourceFile('bundle.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const spans = [];
  const visit = (node) => {
    if (node.kind in EMPTY) {
      const start = node.getStart(file);
      if (node.end - start > minLength) spans.push({ start, end: node.end, empty: EMPTY[node.kind] });
    }
    node.forEachChild(visit);
  };
  visit(file);
  spans.sort((a, b) => a.start - b.start);
  let stripped = '';
  let last = 0;
  for (const { start, end, empty } of spans) {
    stripped += code.slice(last, start) + empty;
    last = end;
  }
  return { found: spans.map((s) => code.slice(s.start, s.end)), stripped: stripped + code.slice(last) };
}
