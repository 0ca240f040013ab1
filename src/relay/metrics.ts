// The relay's counters and their Prometheus text exposition (format 0.0.4: HELP, TYPE, one sample a line).
// Counters say how many notices moved and why any were dropped; nothing here names a channel or a client.

/** Why a message or a connection was dropped; each is a label value of ferry_relay_dropped_total. */
export const DROP_REASONS = ['malformed', 'oversized', 'rate', 'json', 'channels', 'slow', 'connections', 'memory', 'timeout'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface Gauges {
  readonly connections: number;
  readonly channels: number;
  readonly retainedChannels: number;
  readonly retainedFrames: number;
  readonly rssBytes: number;
}

export class RelayMetrics {
  noticesIn = 0;
  noticesOut = 0;
  connectionsTotal = 0;
  readonly dropped = new Map<DropReason, number>(DROP_REASONS.map((r) => [r, 0]));

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  render(g: Gauges): string {
    const lines: string[] = [];
    const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    metric('ferry_relay_connections', 'gauge', 'Open WebSocket connections.', [['', g.connections]]);
    metric('ferry_relay_connections_total', 'counter', 'WebSocket connections accepted since start.', [['', this.connectionsTotal]]);
    metric('ferry_relay_channels', 'gauge', 'Channels with at least one subscriber.', [['', g.channels]]);
    metric('ferry_relay_notices_in_total', 'counter', 'Notice frames accepted from publishers.', [['', this.noticesIn]]);
    metric('ferry_relay_notices_out_total', 'counter', 'Notice frames sent to subscribers (catch-up included).', [['', this.noticesOut]]);
    metric('ferry_relay_dropped_total', 'counter', 'Messages or connections dropped, by reason.',
      DROP_REASONS.map((r) => [`{reason="${r}"}`, this.dropped.get(r) ?? 0]));
    metric('ferry_relay_retained_channels', 'gauge', 'Channels with notices kept for late joiners.', [['', g.retainedChannels]]);
    metric('ferry_relay_retained_frames', 'gauge', 'Notice frames kept for late joiners.', [['', g.retainedFrames]]);
    metric('ferry_relay_rss_bytes', 'gauge', 'Resident memory of the relay process.', [['', g.rssBytes]]);
    return `${lines.join('\n')}\n`;
  }
}
