/** A fenced code block of a Markdown file. */
export interface CodeBlock {
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: string;
  code: string;
}

export function codeBlocks(file: string, markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    while (++i < lines.length && !lines[i]!.startsWith('```')) body.push(lines[i]!);
    blocks.push({ file, line: start + 1, lang: open[1]!.toLowerCase(), code: body.join('\n') });
  }
  return blocks;
}

export const isTypeScript = (b: CodeBlock) => b.lang === 'ts' || b.lang === 'typescript';
/** The seed page tags its migration SQL as TypeScript; such a block is SQL, not code to compile. */
export const looksLikeSql = (b: CodeBlock) => /^\s*(--.*\n|\/\/.*\.sql\n)?\s*CREATE (TABLE|INDEX)/i.test(b.code);
