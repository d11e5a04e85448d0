import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP forwarder that can be cut and restored, to simulate a database outage without stopping
 * the shared server: stop() destroys every connection and stops listening (clients see their
 * connections drop and new ones refused); start() listens again on the same port. freeze() is the
 * silent kind of outage (a network partition): nothing is refused or closed, nothing arrives;
 * thaw() lets the held bytes through, as TCP does when the partition heals.
 */
export class TcpProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly pairs = new Set<[Socket, Socket]>();
  private frozen = false;
  private boundPort = 0;
  /** Connections accepted since construction. */
  accepted = 0;

  constructor(private readonly targetHost: string, private readonly targetPort: number) {}

  /** A started proxy in front of a PostgreSQL URL, and the same URL pointed at the proxy. */
  static async inFrontOf(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
    const real = new URL(databaseUrl);
    const proxy = new TcpProxy(real.hostname, Number(real.port || 5432));
    const proxied = new URL(databaseUrl);
    proxied.port = String(await proxy.start());
    return { proxy, url: proxied.toString() };
  }

  /** The listening port (the same one across stop/start). */
  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listen on 127.0.0.1 (the previous port after a stop, else port or an ephemeral one). */
  async start(port = this.boundPort): Promise<number> {
    if (this.server) return this.boundPort;
    const server = createServer((client) => {
      this.accepted++;
      const upstream = createConnection({ host: this.targetHost, port: this.targetPort });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.once('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      const pair: [Socket, Socket] = [client, upstream];
      this.pairs.add(pair);
      client.once('close', () => {
        this.pairs.delete(pair);
        upstream.destroy();
      });
      upstream.once('close', () => client.destroy());
      if (this.frozen) hold(pair);
      else flow(pair);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.boundPort = (server.address() as { port: number }).port;
    return this.boundPort;
  }

  /** Stop forwarding in both directions on every connection, current and new, without closing any. */
  freeze(): void {
    this.frozen = true;
    for (const pair of this.pairs) hold(pair);
  }

  /** Forward again, starting with what was held. */
  thaw(): void {
    this.frozen = false;
    for (const pair of this.pairs) flow(pair);
  }

  /** Cut every connection and stop listening. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    this.pairs.clear();
    await closed;
  }
}

function flow([client, upstream]: [Socket, Socket]): void {
  client.pipe(upstream);
  upstream.pipe(client);
}

function hold([client, upstream]: [Socket, Socket]): void {
  client.unpipe(upstream);
  upstream.unpipe(client);
  client.pause();
  upstream.pause();
}
