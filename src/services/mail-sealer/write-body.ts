// Writes a sealed or unsealed message as the mail's new body (a new key beside the old one; the
// stage runner removes the old body once the move is recorded).
import type { BodyStore } from '../../store/store.ts';

export async function writeBody(bodies: BodyStore, mailId: string, data: Buffer): Promise<string> {
  const key = `${mailId}.m${Date.now().toString(36)}`;
  const w = await bodies.create(key);
  try {
    // In slices, so a large mail goes to a body file in chunks rather than one write.
    for (let i = 0; i < data.length; i += 256 * 1024) await w.write(data.subarray(i, i + 256 * 1024));
    await w.commit();
    return key;
  } catch (err) {
    await w.abort().catch(() => undefined);
    throw err;
  }
}
