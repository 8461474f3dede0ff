import { Command, InvalidArgumentError, type OptionValues } from '@commander-js/extra-typings';
import { DEFAULT_ALERT_AFTER_MS, type AlertOptions } from '../node/inDoubtAlerts.js';
import { parseDurationMs } from './parse.js';

function parseWebhook(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new InvalidArgumentError(`not a URL: ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new InvalidArgumentError(`the webhook must be http:// or https://, not ${u.protocol}`);
  return u.toString();
}

/** The alert flags every node takes: when a stuck transaction alerts, and where the alert is POSTed. */
export function withAlertOptions<A extends unknown[], O extends OptionValues, G extends OptionValues>(cmd: Command<A, O, G>) {
  return cmd
    .option(
      '--alert-after <duration>',
      'a transaction stuck this long (in doubt here, or its commit undelivered) raises an alert: a warn log line, a counter and the webhook; again after 2x, 4x, … while it stays stuck',
      parseDurationMs,
      DEFAULT_ALERT_AFTER_MS,
    )
    .option(
      '--alert-webhook <url>',
      "POST each alert here as JSON ({kind, node, txn, ageMs, alert, view}: view is the transaction's inspect view)",
      parseWebhook,
    );
}

export function alertOptionsFrom(o: { alertAfter: number; alertWebhook?: string }): AlertOptions {
  return { afterMs: o.alertAfter, webhook: o.alertWebhook ?? null };
}
