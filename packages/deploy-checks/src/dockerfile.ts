// A small Dockerfile reader: stages and their instructions, enough to check the file and to replay its build steps.
export type Instruction = { op: string; args: string; line: number };
export type Stage = { name: string | undefined; from: string; instructions: Instruction[] };
export type Dockerfile = { globalArgs: Record<string, string | undefined>; stages: Stage[] };

export function parseDockerfile(text: string): Dockerfile {
  const instructions: Instruction[] = [];
  let buf = '';
  let start = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trimEnd();
    if (buf === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (buf !== '' && line.trim().startsWith('#')) return; // comments inside a continued instruction
    if (buf === '') start = i + 1;
    if (line.endsWith('\\')) {
      buf += `${line.slice(0, -1)} `;
      return;
    }
    buf += line;
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(buf);
    if (!m) throw new Error(`Dockerfile line ${start}: cannot read "${buf}"`);
    instructions.push({ op: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: start });
    buf = '';
  });

  const globalArgs: Record<string, string | undefined> = {};
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.op === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      if (!m) throw new Error(`Dockerfile line ${ins.line}: cannot read FROM ${ins.args}`);
      stages.push({ from: m[1] as string, name: m[2], instructions: [] });
    } else if (stages.length === 0) {
      if (ins.op !== 'ARG') throw new Error(`Dockerfile line ${ins.line}: only ARG may come before FROM`);
      Object.assign(globalArgs, parseArg(ins.args));
    } else {
      (stages[stages.length - 1] as Stage).instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

export function parseArg(args: string): Record<string, string | undefined> {
  const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(args.trim());
  if (!m) throw new Error(`cannot read ARG ${args}`);
  return { [m[1] as string]: m[2] === undefined ? undefined : unquote(m[2]) };
}

/** `ENV A=1 B=2` (and the old `ENV A 1`). */
export function parseEnv(args: string): Record<string, string> {
  const out: Record<string, string> = {};
  const old = /^([A-Za-z_][A-Za-z0-9_]*)\s+([^=]*)$/.exec(args);
  if (old) return { [old[1] as string]: (old[2] as string).trim() };
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g))
    out[m[1] as string] = unquote(m[2] as string);
  return out;
}

/** CMD/ENTRYPOINT in exec (JSON) form; the shell form is refused (signals would go to a shell, not to Node). */
export function execForm(args: string): string[] {
  const parsed = JSON.parse(args) as unknown;
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string'))
    throw new Error(`not an exec form: ${args}`);
  return parsed as string[];
}

/** Expands $NAME and ${NAME} like the builder does for ARG and ENV values. */
export function expand(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a?: string, b?: string) => {
    const key = (a ?? b) as string;
    return key in vars ? (vars[key] ?? '') : whole;
  });
}

function unquote(v: string): string {
  return /^(['"]).*\1$/.test(v) ? v.slice(1, -1) : v;
}
