/**
 * The Storage panel's dialogs. Each body is a widget; those that ask for
 * something return it through `getValue()`, so nothing reads the dialog's DOM back.
 */
import { Clipboard, Dialog, InputDialog, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { el } from '../dom';
import { snippets } from '../snippets';

/** A name typed by the person, or null when they cancel or leave it as it was. */
export async function askName(title: string, text = ''): Promise<string | null> {
  const answer = await InputDialog.getText({ title, text });
  const value = answer.value?.trim() ?? '';
  return answer.button.accept && value && value !== text ? value : null;
}

/** Whether the person confirms deleting `name` (a folder: with its content). */
export async function confirmDelete(trans: TranslationBundle, name: string, folder: boolean): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Delete'),
    body: folder
      ? trans.__('Delete the folder %1 and everything in it? This cannot be undone.', name)
      : trans.__('Delete %1? This cannot be undone.', name),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Delete') })]
  });
  return result.button.accept;
}

/** How long a shared link works: a choice of durations, its value in seconds. */
export class LinkDurationBody extends Widget implements Dialog.IBodyWidget<number> {
  constructor(trans: TranslationBundle) {
    super();
    this.addClass('jp-Datalab-shareBody');
    const label = el('label', 'jp-Datalab-formLabel', trans.__('The link works for'));
    this._select = el('select', 'jp-Datalab-formSelect');
    this._select.name = 'expires-in';
    for (const [text, seconds] of [
      [trans.__('1 hour'), 3600],
      [trans.__('1 day'), 86400],
      [trans.__('7 days'), 7 * 86400]
    ] as [string, number][]) {
      const option = el('option', undefined, text);
      option.value = String(seconds);
      this._select.append(option);
    }
    label.append(this._select);
    this.node.append(label);
  }

  getValue(): number {
    return Number(this._select.value) || 3600;
  }

  private readonly _select: HTMLSelectElement;
}

/** Ask for a duration, then let the person copy the link `makeLink` gives for it. */
export async function shareLink(
  trans: TranslationBundle,
  name: string,
  makeLink: (seconds: number) => Promise<string>
): Promise<void> {
  const pick = await showDialog({
    title: `${trans.__('Share a download link')}: ${name}`,
    body: new LinkDurationBody(trans),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.okButton({ label: trans.__('Share') })]
  });
  if (!pick.button.accept || pick.value === null) {
    return;
  }
  const url = await makeLink(pick.value);
  const body = el('div', 'jp-Datalab-shareBody');
  const field = el('input', 'jp-Datalab-shareLink');
  field.readOnly = true;
  field.value = url;
  body.append(el('p', undefined, trans.__('Anyone with this link can download the file until it expires:')), field);
  const result = await showDialog({
    title: trans.__('Share a download link'),
    body: new Widget({ node: body }),
    buttons: [Dialog.cancelButton({ label: trans.__('Close') }), Dialog.okButton({ label: trans.__('Copy') })]
  });
  if (result.button.accept) {
    Clipboard.copyToSystem(url);
  }
}

/** Code reading the file at `url`, one block per library, each with a copy button. */
export async function showSnippets(trans: TranslationBundle, name: string, url: string): Promise<void> {
  const body = el('div', 'jp-Datalab-snippets');
  const found = snippets(url);
  if (!found.length) {
    body.append(el('p', undefined, trans.__('This name holds control characters, which code cannot show faithfully: rename the file, then copy its code.')));
  }
  for (const snippet of found) {
    const block = el('div', 'jp-Datalab-snippet');
    const head = el('div', 'jp-Datalab-snippetHead', snippet.label);
    const copy = el('button', 'jp-Datalab-button', trans.__('Copy'));
    copy.onclick = () => Clipboard.copyToSystem(snippet.code);
    head.append(copy);
    block.append(head, el('pre', undefined, snippet.code));
    body.append(block);
  }
  await showDialog({
    title: trans.__('Read %1 in code', name),
    body: new Widget({ node: body }),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}

/** The first rows of a table file. */
export async function showPreview(
  trans: TranslationBundle,
  name: string,
  table: { columns: string[]; rows: string[][] }
): Promise<void> {
  const node = el('table', 'jp-Datalab-preview');
  const head = el('tr');
  table.columns.forEach(c => head.append(el('th', undefined, c)));
  node.append(head);
  for (const row of table.rows) {
    const tr = el('tr');
    row.forEach(v => tr.append(el('td', undefined, String(v))));
    node.append(tr);
  }
  await showDialog({
    title: trans.__('First rows of %1', name),
    body: new Widget({ node }),
    buttons: [Dialog.okButton({ label: trans.__('Close') })]
  });
}
