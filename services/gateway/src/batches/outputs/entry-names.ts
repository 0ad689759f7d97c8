// Names of the entries of a batch's outputs ZIP: `<original name without path or extension>/<variant>.<ext>`,
// safe to unpack anywhere (no path, no dot-segments, no control or reserved characters) and unique in a batch even
// on case-insensitive file systems.

const MAX_BASE = 100;

/** The image's name as a folder name: its original file name, or the last segment of its URL, or its id. */
export function imageBaseName(img: { id: string; originalName: string | null; sourceUrl: string | null }): string {
  const raw = img.originalName ?? lastUrlSegment(img.sourceUrl) ?? '';
  const file = raw.split(/[\\/]/).pop() ?? '';
  const stem = file.replace(/\.[A-Za-z0-9]{1,5}$/, '');
  const safe = stem
    .normalize('NFC')
    // Control characters and those Windows refuses in names; the rest of Unicode is a fine file name.
    // eslint-disable-next-line no-control-regex -- matching control characters is the point
    .replace(/[\u0000-\u001f\u007f<>:"|?*]+/g, '_')
    .replace(/^[\s.]+|[\s.]+$/g, '')
    .slice(0, MAX_BASE);
  return safe || img.id;
}

function lastUrlSegment(url: string | null): string | null {
  if (!url) return null;
  try {
    const seg = new URL(url).pathname.split('/').filter(Boolean).pop();
    return seg ? decodeURIComponent(seg) : null;
  } catch {
    return null;
  }
}

/** Hands out folder names, adding `-2`, `-3`… to a name already given (compared case-insensitively). */
export class UniqueNames {
  private readonly taken = new Set<string>();

  claim(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name.toLowerCase()); n++) name = `${base}-${n}`;
    this.taken.add(name.toLowerCase());
    return name;
  }
}

/** The extension of an output file: the one its storage key ends with (the worker wrote it from the format). */
export function outputExtension(o: { storageKey: string; format: string }): string {
  const ext = /\.([A-Za-z0-9]{1,5})$/.exec(o.storageKey)?.[1];
  return (ext ?? o.format).toLowerCase();
}
