// The baseline of the image benchmark, run as a process of its own (bundled, plain node): plain sharp doing one bench
// recipe on the photographs, `concurrency` images in flight, each read from disk into a buffer and handed to sharp.
// Prints one JSON line: wall and CPU time, and the process's peak resident memory while it worked.
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { BENCH_RECIPES, type BenchRecipeName } from './bench-recipes';

type Args = { files: string[]; recipe: BenchRecipeName; concurrency: number; warmup: number };

const kib = (field: string): number => {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : NaN;
};

async function main() {
  const args = JSON.parse(process.argv[2] ?? '') as Args;
  const { plain } = BENCH_RECIPES[args.recipe];
  const run = async (files: string[]) => {
    let next = 0;
    let bytes = 0;
    let encodes = 0;
    await Promise.all(
      Array.from({ length: args.concurrency }, async () => {
        while (next < files.length) {
          const out = await plain(await readFile(files[next++]!));
          bytes += out.bytes;
          encodes += out.encodes;
        }
      }),
    );
    return { bytes, encodes };
  };
  await run(args.files.slice(0, args.warmup)); // libvips' first calls load its codecs
  const idleRssMb = kib('VmRSS') / 1024;
  // From here the kernel's high-water mark counts this run only (5 resets it: proc(5), clear_refs).
  await writeFile('/proc/self/clear_refs', '5');
  const cpu = process.cpuUsage();
  const started = performance.now();
  const out = await run(args.files);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  console.log(
    JSON.stringify({
      seconds,
      cpuSeconds: (used.user + used.system) / 1e6,
      outputBytes: out.bytes,
      encodes: out.encodes,
      idleRssMb,
      peakRssMb: kib('VmHWM') / 1024,
    }),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
