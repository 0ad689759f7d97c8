// .dockerignore as the builder reads it: glob patterns (`*`, `?`, `**`), `!` to include again, last match wins,
// a pattern that matches a folder excludes everything in it.
export type DockerIgnore = { excludes(relPath: string): boolean; mayIncludeUnder(dir: string): boolean };

type Rule = { negate: boolean; re: RegExp; literalPrefix: string };

export function parseDockerignore(text: string): DockerIgnore {
  const rules: Rule[] = [];
  for (const raw of text.split('\n')) {
    let p = raw.trim();
    if (p === '' || p.startsWith('#')) continue;
    const negate = p.startsWith('!');
    if (negate) p = p.slice(1).trim();
    p = p.replace(/^\/+/, '').replace(/\/+$/, '');
    rules.push({ negate, re: toRegex(p), literalPrefix: p.split(/[*?[]/)[0] ?? '' });
  }
  const matches = (rule: Rule, rel: string) => {
    const parts = rel.split('/');
    for (let i = parts.length; i > 0; i--) if (rule.re.test(parts.slice(0, i).join('/'))) return true;
    return false;
  };
  return {
    excludes(rel) {
      let excluded = false;
      for (const rule of rules) if (matches(rule, rel)) excluded = !rule.negate;
      return excluded;
    },
    mayIncludeUnder(dir) {
      return rules.some((r) => r.negate && (r.literalPrefix.startsWith(`${dir}/`) || r.literalPrefix === ''));
    },
  };
}

function toRegex(pattern: string): RegExp {
  const segs = pattern.split('/');
  let re = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') {
      re += last ? '.*' : '(?:.*/)?';
      return;
    }
    re += seg
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]');
    if (!last) re += '/';
  });
  return new RegExp(`^${re}$`);
}
