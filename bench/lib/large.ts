// Large-mail check: N concurrent M-MiB mails into a peer over N parallel connections
// (nodemailer's SMTP client, one connection per mail, no TLS), then wait for all N at the sink.
// Reports the peer's peak RSS during the check.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTransport } from 'nodemailer';
import type { Agent, SinkDump } from './agents.ts';
import type { Peer } from './peer.ts';
import { resetHWM, sampleTree, vmHWM } from './procfs.ts';
import { round } from './stats.ts';
import { nowMs } from './token.ts';

const MB = 1024 * 1024;

export interface LargeResult {
  peer: string;
  mails: number;
  sizeMiB: number;
  accepted: number;
  arrived: number;
  allArrived: boolean;
  errors: string[];
  sendWallMs: number | null;
  /** first connection -> last arrival */
  e2eWallMs: number | null;
  peakRssMB: number | null;
  peakRssMethod: string;
  treeRssSumPeakMB: number | null;
  treePssSumPeakMB: number | null;
  targetMB: number;
  underTarget: boolean | null;
}

/** A message body of about `bytes` bytes: 76 'x'-like characters + CRLF per line. */
function body(bytes: number): Buffer {
  const line = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/ABCDEFGHIJKL\r\n');
  const lines = Math.ceil(bytes / line.length);
  return Buffer.alloc(lines * line.length, line);
}

export async function runLargeCheck(
  peer: Peer,
  sink: Agent,
  opts: { mails: number; sizeMiB: number; timeoutMs: number; targetMB: number },
  log: (s: string) => void,
): Promise<LargeResult> {
  const errors: string[] = [];
  await sink.rpc.call('reset');
  const hwmPid = peer.hwmPid ?? peer.rootPid;
  const reset = peer.memory === 'hwm' ? resetHWM(hwmPid) : false;
  const sampler = sampleTree(peer.rootPid, 200);
  const content = body(opts.sizeMiB * MB);
  const tag = `${process.pid.toString(16)}.${Date.now().toString(36)}`;
  const ids = new Set<string>();

  log(`  ${peer.name} / large mails: ${opts.mails} x ${opts.sizeMiB} MiB in parallel connections`);
  const t0 = nowMs();
  let accepted = 0;
  const sends = Array.from({ length: opts.mails }, async (_, i) => {
    const id = `<large-${i}.${tag}@bench.test>`;
    ids.add(id);
    const head = Buffer.from(
      [
        'From: <bench@bench.test>',
        `To: <large${i}@bench.test>`,
        `Subject: large mail ${i}`,
        `Message-ID: ${id}`,
        `Date: ${new Date().toUTCString()}`,
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=us-ascii',
        '',
        '',
      ].join('\r\n'),
    );
    const transport = createTransport({
      host: '127.0.0.1',
      port: peer.smtpPort,
      secure: false,
      ignoreTLS: true,
      name: 'large.bench.test',
      connectionTimeout: 30_000,
      greetingTimeout: 30_000,
      socketTimeout: opts.timeoutMs,
    });
    try {
      await transport.sendMail({
        envelope: { from: 'bench@bench.test', to: [`large${i}@bench.test`] },
        raw: Readable.from([head, content], { objectMode: false }),
      });
      accepted++;
    } catch (err) {
      errors.push(`mail ${i}: ${(err as Error).message}`);
    } finally {
      transport.close();
    }
  });
  await Promise.all(sends);
  const sendWallMs = nowMs() - t0;
  log(`    ${accepted} of ${opts.mails} accepted in ${(sendWallMs / 1000).toFixed(1)} s; waiting for arrivals...`);

  const deadline = t0 + opts.timeoutMs;
  for (;;) {
    const c = await sink.rpc.call<{ count: number }>('count');
    if (c.count >= accepted || nowMs() > deadline) break;
    await sleep(250);
  }
  const dump = await sink.rpc.call<SinkDump>('dump');
  const mem = sampler.stop();
  const hwm = peer.memory === 'hwm' ? vmHWM(hwmPid) : undefined;

  let arrived = 0;
  let last = 0;
  for (let j = 0; j < dump.ids.length; j++) {
    const id = dump.ids[j];
    if (id && ids.has(id) && dump.sizes[j] >= content.length) {
      arrived++;
      ids.delete(id);
      last = Math.max(last, dump.times[j]);
    }
  }
  if (arrived < opts.mails) errors.push(`${opts.mails - arrived} of ${opts.mails} large mails did not arrive complete`);
  const peak = peer.memory === 'hwm' ? (hwm !== undefined ? hwm / MB : null) : mem.peakRssSum / MB;
  return {
    peer: peer.name,
    mails: opts.mails,
    sizeMiB: opts.sizeMiB,
    accepted,
    arrived,
    allArrived: arrived === opts.mails,
    errors,
    sendWallMs: round(sendWallMs, 0),
    e2eWallMs: last ? round(last - t0, 0) : null,
    peakRssMB: round(peak, 1),
    peakRssMethod:
      peer.memory === 'hwm'
        ? `VmHWM of pid ${hwmPid}${reset ? ' (reset before the check)' : ' (not reset: peak since process start)'}`
        : 'max sampled sum of VmRSS over the process tree',
    treeRssSumPeakMB: round(mem.peakRssSum / MB, 1),
    treePssSumPeakMB: round(mem.peakPssSum / MB, 1),
    targetMB: opts.targetMB,
    underTarget: peak === null ? null : peak < opts.targetMB,
  };
}
