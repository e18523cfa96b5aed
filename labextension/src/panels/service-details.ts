/**
 * A service's detail panes in the Services panel: its events and logs, and its
 * connection variables with ready-to-paste code.
 *
 * Connection values may hold passwords: they are masked until asked for, live
 * only in memory and the DOM, and are never logged nor put in local storage.
 */
import { Clipboard } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';

import { connectionSnippets, kernelName } from '../connection-snippets';
import { el, messageOf } from '../dom';
import type { Language } from '../i18n';
import { maskValue } from '../masking';
import { localized } from '../schema-form';
import type { IService, ServicesClient } from '../services-api';

/** The service's last events and log lines, with a button to load them again. */
export async function logsPane(
  trans: TranslationBundle,
  language: Language,
  client: ServicesClient,
  service: IService,
  reload: () => void
): Promise<HTMLElement[]> {
  const refresh = el('button', 'jp-Datalab-button', trans.__('Refresh'));
  refresh.dataset.action = 'refresh-logs';
  refresh.onclick = reload;
  const [events, lines] = await Promise.allSettled([client.events(service), client.logs(service, 200)]);
  const parts: HTMLElement[] = [refresh];
  if (events.status === 'fulfilled' && events.value.length) {
    const list = el('ul', 'jp-Datalab-serviceEvents');
    list.setAttribute('aria-label', trans.__('Events'));
    for (const event of events.value.slice(-20)) {
      const when = typeof event.time === 'number' ? new Date(event.time * 1000) : new Date(event.time);
      const li = el('li');
      li.append(
        el('time', undefined, isNaN(when.getTime()) ? String(event.time) : when.toLocaleTimeString()),
        ` ${localized(event.message, language)}`
      );
      list.append(li);
    }
    parts.push(list);
  }
  if (lines.status === 'fulfilled') {
    const pre = el('pre', 'jp-Datalab-serviceLogLines', lines.value.length ? lines.value.join('\n') : trans.__('No log lines yet.'));
    parts.push(pre);
    // show the end: the latest lines are what matters
    requestAnimationFrame(() => (pre.scrollTop = pre.scrollHeight));
  } else {
    parts.push(el('p', 'jp-Datalab-serviceMessage jp-mod-error', trans.__('Failed: %1', messageOf(lines.reason))));
  }
  return parts;
}

/** A button that copies `text`, saying so for a moment. */
function copyButton(trans: TranslationBundle, action: string, text: string, title?: string): HTMLButtonElement {
  const copy = el('button', 'jp-Datalab-button', trans.__('Copy'));
  copy.dataset.action = action;
  if (title) {
    copy.title = title;
  }
  copy.onclick = () => {
    Clipboard.copyToSystem(text);
    copy.textContent = trans.__('Copied');
    setTimeout(() => (copy.textContent = trans.__('Copy')), 1500);
  };
  return copy;
}

/** The connection variables (masked unless `revealed`), then code using them. */
export function connectionPane(
  trans: TranslationBundle,
  service: IService,
  revealed: boolean,
  toggleReveal: () => void
): HTMLElement[] {
  const connection = service.connection ?? {};
  const names = Object.keys(connection);
  if (!names.length) {
    return [el('p', 'jp-Datalab-emptyState', trans.__('This service publishes no connection variables.'))];
  }
  const table = el('table', 'jp-Datalab-serviceVars');
  let secrets = false;
  for (const name of names) {
    const value = String(connection[name] ?? '');
    const masked = maskValue(name, value);
    secrets ||= masked.secret;
    const tr = el('tr');
    tr.dataset.var = name;
    const actions = el('td', 'jp-Datalab-serviceVarCopy');
    actions.append(copyButton(trans, 'copy-var', value, `${trans.__('Copy')} ${name}`));
    tr.append(el('th', undefined, name), el('td', 'jp-Datalab-serviceVarValue', revealed ? value : masked.shown), actions);
    table.append(tr);
  }
  const suffix = service.suffix;
  const help = trans.__("New kernels get these variables with this service's suffix (%1), and plain when no other service provides them.", kernelName(names[0], suffix));
  const parts: HTMLElement[] = [el('p', 'jp-Datalab-formHelp', help), table];
  if (secrets) {
    const reveal = el('button', 'jp-Datalab-button', revealed ? trans.__('Hide passwords') : trans.__('Show passwords'));
    reveal.dataset.action = 'reveal';
    reveal.onclick = toggleReveal;
    parts.push(reveal);
  }
  for (const snippet of connectionSnippets(connection, suffix)) {
    const head = el('div', 'jp-Datalab-snippetHead');
    head.append(el('span', undefined, snippet.label), copyButton(trans, 'copy-snippet', snippet.code));
    const block = el('div', 'jp-Datalab-snippet');
    block.dataset.snippet = snippet.label;
    block.append(head, el('pre', undefined, snippet.code));
    parts.push(block);
  }
  return parts;
}
