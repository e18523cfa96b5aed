/**
 * Storage: the user's S3 spaces (personal bucket or prefix, project spaces).
 *
 * For now an empty state; the listing comes with its API client.
 */
import type { IMessages } from '../i18n';
import { DatalabPanel } from './panel';

export class StoragePanel extends DatalabPanel {
  constructor(messages: IMessages) {
    super({ kind: 'storage', title: messages.storageTitle });
    this.showEmpty(messages.storageEmpty);
  }
}
