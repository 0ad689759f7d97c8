// Exports hold back when the client does: with a destination that stops taking data, each writer stops pulling
// rows (so stops reading the database) instead of piling the rest of the export up in memory; and a destination
// that goes away while the writer waits ends the export instead of leaving it waiting for good.
import { Writable } from 'node:stream';
import { exportColumns, type ExportRow } from '../src/exports/export-rows';
import { writeExport, type ExportFormat } from '../src/exports/export-writers';

const ROWS = 200_000;
const STALL_AFTER = 256 * 1024;
const columns = exportColumns(true);

/** Rows as fast as they can be made (no I/O between them: the hardest case for a writer that must hold back). */
function source() {
  const s = { pulled: 0 };
  const rows = async function* (): AsyncGenerator<ExportRow> {
    for (let i = 0; i < ROWS; i++) {
      s.pulled++;
      yield Object.fromEntries(columns.map((c) => [c, `${c} ${i} ${(i * 7919) % 104729}`]));
    }
  };
  return { s, rows: rows() };
}

/** Takes the first STALL_AFTER bytes, then never acknowledges another write (a client that stopped reading). */
function stallingDestination() {
  const d = { received: 0 };
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      d.received += chunk.length;
      if (d.received < STALL_AFTER) cb();
    },
  });
  return { d, stream };
}

/** Until the writer has stopped pulling rows (or has pulled them all). */
async function settled(s: { pulled: number }): Promise<void> {
  let last = -1;
  let still = 0;
  while (s.pulled < ROWS && still < 10) {
    await new Promise((r) => setTimeout(r, 50));
    still = s.pulled === last ? still + 1 : 0;
    last = s.pulled;
  }
}

const meta = { title: 'test', filters: {}, summary: [] };

describe.each<ExportFormat>(['csv', 'json', 'xlsx'])('%s export to a client that stops reading', (format) => {
  it('stops pulling rows once the destination is full', async () => {
    const { s, rows } = source();
    const dest = stallingDestination();
    const writing = writeExport(format, rows, columns, meta, dest.stream).catch((err: unknown) => err);
    await settled(s);
    expect(dest.d.received).toBeGreaterThanOrEqual(STALL_AFTER);
    // What it pulled is what fits in the buffers between the rows and the destination, not the export.
    expect(s.pulled).toBeLessThan(ROWS / 4);
    dest.stream.destroy();
    await writing;
  });

  it('ends with an error when the destination goes away while it waits', async () => {
    const { s, rows } = source();
    const dest = stallingDestination();
    const writing = writeExport(format, rows, columns, meta, dest.stream);
    await settled(s);
    dest.stream.destroy(new Error('client went away'));
    await expect(writing).rejects.toThrow();
    expect(s.pulled).toBeLessThan(ROWS);
  });
});
