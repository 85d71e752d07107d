// The setup every portal end-to-end test shares: a gateway whose outbound mail from *@example.test
// to *@partner.test goes through the encryption portal (no keys exist for partner.test), the
// portal on a free loopback port, and a sink receiving everything the gateway delivers.
import { startGateway, type Gateway } from './gateway.ts';
import { freePort } from './ports.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

/** The address the tests send from: a trusted network, so mail to partner.test is relayed. */
export const PORTAL_TRUSTED = '127.0.0.2';

export interface PortalGateway {
  gw: Gateway;
  sink: SmtpSink;
  /** The portal's base URL (the notification links start with it). */
  portalUrl: string;
}

/** Starts sink and gateway; `portal` and `config` are merged into the gateway's configuration. */
export async function startPortalGateway(opts: { portal?: Record<string, unknown>; config?: Record<string, unknown> } = {}): Promise<PortalGateway> {
  const sink = await startSmtpSink();
  const port = await freePort();
  const portalUrl = `http://127.0.0.1:${port}`;
  const gw = await startGateway({
    config: {
      hostname: 'gate.example.test',
      domains: ['example.test'],
      trustedNetworks: [`${PORTAL_TRUSTED}/32`],
      routes: { '*': `smtp://${sink.address}` },
      sealer: { policies: [{ name: 'portal', direction: 'outbound', senders: ['*@example.test'], recipients: ['*@partner.test'], encrypt: 'if-possible-else-portal', method: 'auto' }] },
      ...opts.config,
      portal: { listen: `127.0.0.1:${port}`, url: portalUrl, ...opts.portal },
    },
  }).catch(async (err) => {
    await sink.stop();
    throw err;
  });
  return { gw, sink, portalUrl };
}

/** Stops what startPortalGateway started (either may be missing when its start failed). */
export async function stopPortalGateway(p: Partial<PortalGateway>): Promise<void> {
  await p.gw?.dispose();
  await p.sink?.stop();
}
