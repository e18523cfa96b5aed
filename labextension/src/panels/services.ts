/**
 * Services: companion services the user launched (databases, MLflow, apps).
 *
 * For now an empty state; the listing comes with its API client.
 */
import type { IMessages } from '../i18n';
import { DatalabPanel } from './panel';

export class ServicesPanel extends DatalabPanel {
  constructor(messages: IMessages) {
    super({ kind: 'services', title: messages.servicesTitle });
    this.showEmpty(messages.servicesEmpty);
  }
}
