// The Received: trace header prepended to each fetched mail (like fetchmail's), so tracking and
// the next hop see where the mail really came from. Free of anything that could inject lines.

export interface Pop3ReceivedInfo {
  /** The POP3 server. */
  host: string;
  /** This gateway. */
  hostname: string;
  id: string;
  recipient: string;
  secure: boolean;
  date?: Date;
}

const clean = (s: string) => s.replace(/[^\x21-\x7e]/g, '').slice(0, 255);

export function pop3ReceivedHeader(r: Pop3ReceivedInfo): string {
  const date = (r.date ?? new Date()).toUTCString().replace('GMT', '+0000');
  return (
    `Received: from ${clean(r.host)}\r\n\tby ${clean(r.hostname)} (Gatehouse) with ${r.secure ? 'POP3S' : 'POP3'} id ${r.id}\r\n` +
    `\tfor <${clean(r.recipient)}>;\r\n\t${date}\r\n`
  );
}
