// Finds the string and template literal text in a JavaScript bundle (with TypeScript's scanner),
// to tell how much of a library's size is messages and SQL text rather than code.
import ts from 'typescript';

const LITERAL = new Set([
  ts.SyntaxKind.StringLiteral,
  ts.SyntaxKind.NoSubstitutionTemplateLiteral,
  ts.SyntaxKind.TemplateHead,
  ts.SyntaxKind.TemplateMiddle,
  ts.SyntaxKind.TemplateTail,
]);

/**
 * Returns the literals longer than `minLength` characters and the code with each of them
 * emptied (still valid JavaScript), so its gzipped size can be compared with the original's.
 */
export function literals(code, minLength = 12) {
  const K = ts.SyntaxKind;
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, code);
  const found = [];
  const templateDepths = []; // brace depth at which each open `${` of a template closes
  let depth = 0;
  let stripped = '';
  let last = 0;
  for (let t = scanner.scan(); t !== K.EndOfFileToken; t = scanner.scan()) {
    if (t === K.OpenBraceToken) depth++;
    else if (t === K.CloseBraceToken) {
      if (templateDepths.at(-1) === depth) {
        templateDepths.pop();
        t = scanner.reScanTemplateToken(false);
      }
      depth--;
    }
    if (t === K.TemplateHead || t === K.TemplateMiddle) templateDepths.push(++depth);
    if (!LITERAL.has(t)) continue;
    const start = scanner.getTokenStart();
    const end = scanner.getTokenEnd();
    if (end - start <= minLength) continue;
    found.push(code.slice(start, end));
    const empty = { [K.StringLiteral]: '""', [K.NoSubstitutionTemplateLiteral]: '``', [K.TemplateHead]: '`${', [K.TemplateMiddle]: '}${', [K.TemplateTail]: '}`' }[t];
    stripped += code.slice(last, start) + empty;
    last = end;
  }
  return { found, stripped: stripped + code.slice(last) };
}
