/**
 * The Services panel's launch form: a name, then the entry's options as a form
 * generated from its JSON Schema. The server checks every value again; its
 * refusal (out of bounds, quota exceeded, binary missing) is shown as it says it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { el, messageOf } from '../dom';
import type { Language } from '../i18n';
import { localized, SchemaForm } from '../schema-form';
import type { ICatalogEntry, ServicesClient } from '../services-api';
import { entryIcon } from './service-icon';

/** The units catalog schemas name (`x-datalab` unit), as the person reads them. */
export function unitLabels(trans: TranslationBundle): Record<string, string> {
  return {
    cores: trans._p('unit', 'cores'),
    GiB: trans._p('unit', 'GiB'),
    MiB: trans._p('unit', 'MiB'),
    TiB: trans._p('unit', 'TiB'),
    GB: trans._p('unit', 'GB'),
    MB: trans._p('unit', 'MB')
  };
}

export interface ILaunchFormOptions {
  trans: TranslationBundle;
  language: Language;
  client: ServicesClient;
  entry: ICatalogEntry;
  /** Back to the lists, without launching. */
  onBack: () => void;
  /** Launched: the new service's name. */
  onLaunched: (name: string) => void;
}

/** The form's parts, to put in place of the lists; `focus` once they are shown. */
export function launchForm(options: ILaunchFormOptions): { parts: HTMLElement[]; focus: () => void } {
  const { trans, language, client, entry } = options;
  const back = el('button', 'jp-Datalab-crumb', `← ${trans.__('Back')}`);
  back.dataset.action = 'back';
  back.onclick = options.onBack;

  const head = el('div', 'jp-Datalab-serviceHead');
  const names = el('div', 'jp-Datalab-serviceNames');
  names.append(
    el('span', 'jp-Datalab-serviceName', localized(entry.name, language, entry.id)),
    el('span', 'jp-Datalab-serviceKind', localized(entry.description, language))
  );
  head.append(entryIcon(entry.icon, entry.id), names);

  const schema = new SchemaForm(entry.schema ?? {}, language, unitLabels(trans));
  const form = el('form', 'jp-Datalab-launchForm');
  form.dataset.entry = entry.id;
  const nameField = el('div', 'jp-Datalab-formField');
  const nameLabel = el('label', 'jp-Datalab-formLabel', trans.__('Name (optional)'));
  const name = el('input', 'jp-Datalab-formInput');
  name.id = `jp-Datalab-launchName-${entry.id}`;
  name.name = 'instance-name';
  name.autocomplete = 'off';
  name.maxLength = 40;
  const help = trans.__('Letters, digits and dashes, e.g. my-database; left empty, a name is chosen for you.');
  name.title = help;
  nameLabel.htmlFor = name.id;
  nameField.append(nameLabel, name, el('div', 'jp-Datalab-formHelp', help));

  const launch = el('button', 'jp-Datalab-button jp-Datalab-buttonPrimary', trans.__('Launch'));
  launch.type = 'submit';
  launch.dataset.action = 'launch';
  const problem = el('p', 'jp-Datalab-storage-status jp-mod-error jp-Datalab-launchError');
  problem.setAttribute('role', 'alert');
  problem.hidden = true;
  form.append(nameField, schema.node, problem, launch);
  form.onsubmit = async event => {
    event.preventDefault();
    if (!form.reportValidity()) {
      return;
    }
    launch.disabled = true;
    launch.textContent = trans.__('Launching…');
    problem.hidden = true;
    try {
      const service = await client.launch(entry.id, schema.values(), name.value.trim() || undefined);
      options.onLaunched(service.name ?? entry.id);
    } catch (error) {
      problem.textContent = trans.__('Failed: %1', messageOf(error));
      problem.hidden = false;
      launch.disabled = false;
      launch.textContent = trans.__('Launch');
    }
  };
  return { parts: [back, head, form], focus: () => name.focus() };
}
