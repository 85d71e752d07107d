// Reads training mail from disk the way admins keep it: single files (.eml or any name, as in the
// SpamAssassin corpus), folders of them (recursively), and mbox files (split at "From " lines).
// Mails are yielded one at a time, each cut at the classifier's input size, so a corpus of any
// size costs the memory of one batch.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_INPUT } from './bayes/tokens.ts';

/** Not mails: hidden files, corpus index files, and the JSON twins some corpus packages ship. */
const SKIP = /^(\.|cmds$|index$|readme)|\.json$/i;

function cut(b: Buffer): Buffer {
  return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
}

/** Splits an mbox into mails (">From " unquoted). */
export function splitMbox(text: Buffer): Buffer[] {
  const s = text.toString('latin1');
  const out: Buffer[] = [];
  const starts: number[] = [];
  const re = /^From [^\r\n]*\r?\n/gm;
  for (let m = re.exec(s); m; m = re.exec(s)) starts.push(m.index, m.index + m[0].length);
  for (let i = 0; i < starts.length; i += 2) {
    const body = s.slice(starts[i + 1], i + 2 < starts.length ? starts[i + 2] : s.length).replace(/^>(>*From )/gm, '$1');
    if (body.trim()) out.push(cut(Buffer.from(body, 'latin1')));
  }
  return out;
}

/** Every mail under the given paths, in path order (folders sorted by name). */
export async function* readCorpus(paths: string[]): AsyncGenerator<{ path: string; mail: Buffer }> {
  for (const p of paths) {
    const st = await stat(p);
    if (st.isDirectory()) {
      const names = (await readdir(p)).filter((n) => !SKIP.test(n)).sort();
      yield* readCorpus(names.map((n) => join(p, n)));
      continue;
    }
    if (!st.isFile()) continue;
    const data = await readFile(p);
    if (data.subarray(0, 5).toString('latin1') === 'From ' && /\r?\n\r?\nFrom /.test(data.subarray(0, 4 * 1024 * 1024).toString('latin1'))) {
      for (const mail of splitMbox(data)) yield { path: p, mail };
    } else if (data.subarray(0, 5).toString('latin1') === 'From ') {
      // One mail with an mbox "From " line (as some corpora keep them): drop that line.
      const nl = data.indexOf(10);
      yield { path: p, mail: cut(data.subarray(nl + 1)) };
    } else if (data.length) {
      yield { path: p, mail: cut(data) };
    }
  }
}
