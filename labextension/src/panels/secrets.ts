/**
 * Secrets: the user's Vault KV paths (personal and project).
 *
 * For now an empty state; the listing comes with its API client.
 */
import type { IMessages } from '../i18n';
import { DatalabPanel } from './panel';

export class SecretsPanel extends DatalabPanel {
  constructor(messages: IMessages) {
    super({ kind: 'secrets', title: messages.secretsTitle });
    this.showEmpty(messages.secretsEmpty);
  }
}
