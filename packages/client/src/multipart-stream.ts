// A multipart/form-data body streamed from Blobs with its length known in advance, counting bytes as they go out:
// what upload progress needs (a FormData body says nothing of how much was sent). Used only when progress is asked
// for; browsers stream request bodies over HTTP/2 only.
export type Part = { name: string; value: string } | { name: string; filename: string; blob: Blob };

const enc = new TextEncoder();
const quoted = (s: string) => s.replace(/[\r\n]/g, ' ').replace(/"/g, '%22');

export function multipartStream(
  parts: Part[],
  onSent?: (sent: number, total: number) => void,
): { body: ReadableStream<Uint8Array>; contentType: string; length: number } {
  const boundary = `----pixmill-${crypto.randomUUID()}`;
  const pieces: (Uint8Array | Blob)[] = [];
  for (const p of parts) {
    const head =
      'value' in p
        ? `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(p.name)}"\r\n\r\n`
        : `--${boundary}\r\nContent-Disposition: form-data; name="${quoted(p.name)}"; filename="${quoted(p.filename)}"\r\n` +
          `Content-Type: ${p.blob.type || 'application/octet-stream'}\r\n\r\n`;
    pieces.push(enc.encode(head), 'value' in p ? enc.encode(p.value) : p.blob, enc.encode('\r\n'));
  }
  pieces.push(enc.encode(`--${boundary}--\r\n`));
  const length = pieces.reduce((n, x) => n + (x instanceof Blob ? x.size : x.byteLength), 0);
  let sent = 0;
  let i = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        if (reader) {
          const { done, value } = await reader.read();
          if (!done) {
            sent += value.byteLength;
            onSent?.(sent, length);
            return controller.enqueue(value);
          }
          reader = undefined;
        }
        const next = pieces[i++];
        if (next === undefined) return controller.close();
        if (next instanceof Blob) {
          reader = next.stream().getReader();
          continue;
        }
        sent += next.byteLength;
        onSent?.(sent, length);
        return controller.enqueue(next);
      }
    },
    cancel: () => reader?.cancel(),
  });
  return { body, contentType: `multipart/form-data; boundary=${boundary}`, length };
}
