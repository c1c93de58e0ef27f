// Best effort: JavaScript may have copied the bytes already, but key buffers we own are wiped.
export function memzero(buf: Uint8Array | undefined | null): void {
  if (buf) buf.fill(0);
}
