// Two narrow changes to smtp-server's connection, applied once at load:
// 1. The greeting delay. smtp-server holds every greeting back 100 ms to catch clients that talk
//    before the banner, with no option to change it. That check matters for strangers on port 25,
//    not for our own relays: we keep it for clients outside trustedNetworks (smtp.greetingDelay,
//    like Postfix's postscreen greet wait) and greet trusted clients at once. With 100 ms per
//    connection a gateway cannot exceed ~10 mails/s per client connection on new connections.
// 2. Enhanced status codes. smtp-server derives them from the reply code alone (550 → 5.1.1 even
//    for "relay denied"); a reply text that starts with its own enhanced code is sent as is.
import { SMTPConnection } from 'smtp-server/lib/smtp-connection.js';

type Conn = {
  _server: { options: { maxClients?: number; greetingDelayFor?: (ip: string) => number }; connections: Set<unknown> };
  _setListeners(cb: () => void): void;
  connectionReady(): void;
  send(code: number, data?: unknown, context?: unknown): void;
  remoteAddress: string;
  name: string;
};

const ENHANCED = /^[245]\.\d{1,3}\.\d{1,3} /;
let applied = false;

export function patchSmtpServer(): void {
  if (applied) return;
  applied = true;
  const proto = (SMTPConnection as unknown as { prototype: Conn }).prototype;
  proto._setListeners = proto._setListeners; // fail early at load if the library changed shape
  if (typeof proto._setListeners !== 'function' || typeof proto.connectionReady !== 'function') {
    throw new Error('smtp-server changed: SMTPConnection internals not found; review smtp-server-patch.ts');
  }
  (proto as unknown as { init: () => void }).init = function (this: Conn) {
    this._setListeners(() => {
      const o = this._server.options;
      if (o.maxClients && this._server.connections.size > o.maxClients) {
        return this.send(421, this.name + ' Too many connected clients, try again in a moment', false);
      }
      const delay = o.greetingDelayFor ? o.greetingDelayFor(this.remoteAddress) : 100;
      if (delay <= 0) return this.connectionReady();
      setTimeout(() => this.connectionReady(), delay).unref();
    });
  };
  const send = proto.send;
  proto.send = function (this: Conn, code: number, data?: unknown, context?: unknown) {
    if (typeof data === 'string' && ENHANCED.test(data)) return send.call(this, code, data, false);
    return send.call(this, code, data, context);
  };
}
