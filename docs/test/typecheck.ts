import { dirname, join } from 'node:path';
import ts from 'typescript';

export interface VirtualFile {
  name: string;
  code: string;
}

/**
 * Type-checks in-memory files as if they sat in `dir` (so imports resolve from its
 * node_modules, to the packages' published types) with the settings of a typical Worker
 * project: strict, ES modules, @cloudflare/workers-types.
 */
export function typecheck(dir: string, files: VirtualFile[], extraTypes: string[] = []): Map<string, string[]> {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2022.d.ts'],
    types: ['@cloudflare/workers-types', ...extraTypes],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    isolatedModules: true,
  };
  const virtual = new Map(files.map((f) => [join(dir, f.name), f.code]));
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (name) => virtual.has(name) || fileExists.call(host, name);
  host.readFile = (name) => virtual.get(name) ?? readFile.call(host, name);
  const virtualDirs = new Set([...virtual.keys()].map((name) => dirname(name)));
  const { directoryExists } = host;
  host.directoryExists = (name) => virtualDirs.has(name) || (directoryExists?.call(host, name) ?? true);
  host.getSourceFile = (name, version, onError, create) =>
    virtual.has(name) ? ts.createSourceFile(name, virtual.get(name)!, version, true) : getSourceFile.call(host, name, version, onError, create);
  host.getCurrentDirectory = () => dir;
  const program = ts.createProgram([...virtual.keys()], options, host);
  const errors = new Map<string, string[]>(files.map((f) => [f.name, []]));
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
    if (!d.file) {
      errors.get(files[0]!.name)!.push(`(global) ${message}`);
      continue;
    }
    const name = d.file.fileName.startsWith(dir) ? d.file.fileName.slice(dir.length + 1) : d.file.fileName;
    const { line } = d.file.getLineAndCharacterOfPosition(d.start ?? 0);
    const list = errors.get(name) ?? errors.get(files[0]!.name)!;
    list.push(`${name}:${line + 1}: ${message}`);
  }
  return errors;
}

export const here = (url: string) => dirname(new URL(url).pathname);
