// The admin API's `admin.listen` ("host:port", "[::1]:8025") as the server binds it and as the
// CLI reaches it. One parser, so the two sides never disagree about a config value.

export interface HostPort {
  /** Without brackets: "127.0.0.1", "::1", "localhost". */
  host: string;
  port: number;
}

export function parseHostPort(listen: string): HostPort {
  const i = listen.lastIndexOf(':');
  if (i <= 0) throw new Error(`not "host:port": ${JSON.stringify(listen)}`);
  const port = Number(listen.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad port in ${JSON.stringify(listen)}`);
  let host = listen.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  return { host, port };
}

/** The URL a local client uses: a wildcard bind address is reached over loopback. */
export function adminBaseUrl(listen: string): string {
  const { host, port } = parseHostPort(listen);
  const reach = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reach.includes(':') ? `[${reach}]` : reach}:${port}`;
}
