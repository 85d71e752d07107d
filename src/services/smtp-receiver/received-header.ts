// The Received: trace header the receiver prepends (RFC 5321 4.4), folded and free of
// anything a client could use to inject header lines.
export interface ReceivedInfo {
  helo: string;
  clientHostname?: string;
  clientIp: string;
  hostname: string;
  protocol: 'SMTP' | 'ESMTP' | 'ESMTPS' | 'ESMTPA' | 'ESMTPSA';
  id: string;
  recipient?: string;
  tls?: { protocol?: string; cipher?: string };
  date?: Date;
}

const clean = (s: string) => s.replace(/[^\x21-\x7e]/g, '').slice(0, 255);

export function receivedHeader(r: ReceivedInfo): string {
  const date = (r.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  const from = `from ${clean(r.helo) || 'unknown'} (${r.clientHostname ? clean(r.clientHostname) + ' ' : ''}[${clean(r.clientIp)}])`;
  const tls = r.tls?.protocol ? `\r\n\t(using ${clean(r.tls.protocol)} with cipher ${clean(r.tls.cipher ?? 'unknown')})` : '';
  const rcpt = r.recipient ? `\r\n\tfor <${clean(r.recipient)}>` : '';
  return `Received: ${from}\r\n\tby ${clean(r.hostname)} (Gatehouse) with ${r.protocol} id ${r.id}${tls}${rcpt};\r\n\t${date}\r\n`;
}
