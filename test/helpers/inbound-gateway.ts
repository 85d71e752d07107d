// The peers most end-to-end tests of the inbound path start: a gateway for example.test in front
// of a real smtp-sink, asking a DNS server started here on loopback. Loopback is outside (the
// trusted network is one the tests never use), so mail from the test is inbound and meets every
// filter. Each test adds its own config on top (shallow: a key it names replaces the default).
import { startGateway, type Gateway } from './gateway.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { startDnsServer, type DnsServer, type DnsZone } from './dns-server.ts';

export interface InboundGateway {
  sink: SmtpSink;
  dns: DnsServer;
  gw: Gateway;
  /** Stops the gateway, the sink and the DNS server. */
  dispose(): Promise<void>;
}

/** `dnsTimeout`: the gateway's DNS deadline (default 2s). */
export async function startInboundGateway(o: { zone?: DnsZone; config?: Record<string, unknown>; dnsTimeout?: string } = {}): Promise<InboundGateway> {
  const sink = await startSmtpSink();
  const dns = await startDnsServer(o.zone ?? {});
  let gw: Gateway;
  try {
    gw = await startGateway({
      config: {
        hostname: 'gate.example.test',
        domains: ['example.test'],
        trustedNetworks: ['192.0.2.0/24'],
        routes: { '*': `smtp://${sink.address}` },
        dns: { servers: [dns.address], timeout: o.dnsTimeout ?? '2s' },
        ...o.config,
      },
    });
  } catch (err) {
    await sink.stop();
    await dns.stop();
    throw err;
  }
  return {
    sink,
    dns,
    gw,
    async dispose() {
      await gw.dispose();
      await sink.stop();
      await dns.stop();
    },
  };
}
