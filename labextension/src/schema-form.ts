/**
 * A form generated from a catalog entry's options schema (JSON Schema with
 * `x-datalab` hints): sliders with their value and unit, selects, toggles,
 * text fields, nested groups as fieldsets. Hidden fields are left out and
 * readonly ones shown disabled; neither is sent, so the server uses its
 * default. The browser's bounds checks are a convenience: the server
 * validates every option and its refusal is what the user reads.
 */
import type { Language } from './i18n';
import type { IFieldHints, ISchema, Localized } from './services-api';
import { el } from './dom';

/** The text of `{en, fr}` in `language`, falling back to the other one. */
export function localized(text: Localized | null | undefined, language: Language, fallback = ''): string {
  if (typeof text === 'string') {
    return text;
  }
  if (!text) {
    return fallback;
  }
  return text[language] || text.en || text.fr || fallback;
}

/** The schema's type; `["integer", "null"]` counts as integer. */
function typeOf(prop: ISchema): string | undefined {
  const t = prop.type;
  return Array.isArray(t) ? t.find(x => x !== 'null') : t;
}

function nullable(prop: ISchema): boolean {
  return Array.isArray(prop.type) && prop.type.includes('null');
}

/** One control of the form and how to read its value back. */
interface IField {
  path: string[];
  read: () => unknown;
}

export class SchemaForm {
  constructor(
    schema: ISchema,
    private readonly _language: Language,
    private readonly _units: Record<string, string> = {}
  ) {
    this.node = el('div', 'jp-Datalab-schemaForm');
    this.node.append(...this._fields(schema, []));
  }

  /** The options to send: nested like the schema, hidden and readonly ones left out. */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this._read) {
      let node = out;
      for (const part of field.path.slice(0, -1)) {
        node = (node[part] ??= {}) as Record<string, unknown>;
      }
      node[field.path[field.path.length - 1]] = field.read();
    }
    return out;
  }

  readonly node: HTMLDivElement;

  private _fields(schema: ISchema, path: string[]): HTMLElement[] {
    const out: HTMLElement[] = [];
    for (const [name, prop] of Object.entries(schema.properties ?? {})) {
      const hints: IFieldHints = prop?.['x-datalab'] ?? {};
      if (!prop || hints.hidden) {
        continue; // the server uses the default
      }
      const here = [...path, name];
      if (typeOf(prop) === 'object') {
        const inner = this._fields(prop, here);
        if (inner.length) {
          const group = el('fieldset', 'jp-Datalab-formGroup');
          group.append(el('legend', undefined, localized(hints.label, this._language, name)), ...inner);
          out.push(group);
        }
      } else {
        out.push(this._leaf(here, prop, hints));
      }
    }
    return out;
  }

  private _leaf(path: string[], prop: ISchema, hints: IFieldHints): HTMLElement {
    const id = `jp-Datalab-field-${++SchemaForm._count}`;
    const readonly = !!hints.readonly;
    const field = el('div', 'jp-Datalab-formField');
    field.dataset.field = path.join('.');
    const label = el('label', 'jp-Datalab-formLabel', localized(hints.label, this._language, path[path.length - 1]));
    label.htmlFor = id;
    const kind = typeOf(prop);
    const value = prop.default;
    let control: HTMLElement;
    let read: () => unknown;

    if (kind === 'boolean' || hints.widget === 'toggle') {
      const box = el('input', 'jp-Datalab-toggle');
      box.type = 'checkbox';
      box.setAttribute('role', 'switch');
      box.checked = value === true;
      read = () => box.checked;
      control = box;
      field.classList.add('jp-mod-toggle');
      field.append(box, label);
      box.id = id;
      box.disabled = readonly;
      this._help(field, hints, id, box);
      if (!readonly) {
        this._read.push({ path, read });
      }
      return field;
    }

    if (Array.isArray(prop.enum)) {
      const select = el('select', 'jp-Datalab-formSelect');
      prop.enum.forEach((choice, index) => {
        const option = el('option', undefined, choice === null ? '—' : String(choice));
        option.value = String(index);
        option.selected = choice === value;
        select.append(option);
      });
      read = () => prop.enum![Number(select.value)];
      control = select;
    } else if (kind === 'integer' || kind === 'number') {
      const input = el('input');
      const step = hints.step ?? prop.multipleOf;
      input.step = step !== undefined ? String(step) : kind === 'integer' ? '1' : 'any';
      if (prop.minimum !== undefined) {
        input.min = String(prop.minimum);
      }
      if (prop.maximum !== undefined) {
        input.max = String(prop.maximum);
      }
      input.value = value === undefined || value === null ? '' : String(value);
      read = () =>
        input.value === '' && nullable(prop)
          ? null
          : kind === 'integer'
            ? parseInt(input.value, 10)
            : parseFloat(input.value);
      if (hints.widget === 'slider' && prop.minimum !== undefined && prop.maximum !== undefined) {
        input.type = 'range';
        input.className = 'jp-Datalab-formSlider';
        const shown = el('output', 'jp-Datalab-formValue', input.value);
        shown.htmlFor.add(id);
        input.oninput = () => (shown.textContent = input.value);
        const slider = el('div', 'jp-Datalab-formSliderRow');
        slider.append(input, shown);
        const unit = this._unit(hints.unit);
        if (unit) {
          slider.append(el('span', 'jp-Datalab-formUnit', unit));
        }
        input.id = id;
        input.disabled = readonly;
        field.append(label, slider);
        this._help(field, hints, id, input);
        if (!readonly) {
          this._read.push({ path, read });
        }
        return field;
      }
      input.type = 'number';
      input.className = 'jp-Datalab-formInput';
      control = input;
    } else if (hints.widget === 'textarea') {
      const area = el('textarea', 'jp-Datalab-formInput');
      area.rows = 3;
      area.value = value === undefined || value === null ? '' : String(value);
      if (prop.maxLength !== undefined) {
        area.maxLength = prop.maxLength;
      }
      read = () => area.value;
      control = area;
    } else {
      const input = el('input', 'jp-Datalab-formInput');
      input.type = hints.widget === 'password' ? 'password' : 'text';
      input.autocomplete = hints.widget === 'password' ? 'new-password' : 'off';
      input.value = value === undefined || value === null ? '' : String(value);
      if (prop.maxLength !== undefined) {
        input.maxLength = prop.maxLength;
      }
      if (prop.minLength !== undefined) {
        input.minLength = prop.minLength;
      }
      const pattern = prop.pattern ? htmlPattern(prop.pattern) : null;
      if (pattern !== null) {
        input.pattern = pattern;
      }
      read = () => (input.value === '' && nullable(prop) ? null : input.value);
      control = input;
    }
    control.id = id;
    (control as HTMLInputElement).disabled = readonly;
    field.append(label, control);
    this._help(field, hints, id, control);
    if (!readonly) {
      this._read.push({ path, read });
    }
    return field;
  }

  private _help(field: HTMLElement, hints: IFieldHints, id: string, control: HTMLElement): void {
    if (hints.help) {
      const help = el('div', 'jp-Datalab-formHelp', localized(hints.help, this._language));
      help.id = `${id}-help`;
      control.setAttribute('aria-describedby', help.id);
      field.append(help);
    }
  }

  private _unit(unit: Localized | undefined): string {
    if (typeof unit === 'string') {
      return this._units[unit] ?? unit;
    }
    return localized(unit, this._language);
  }

  private readonly _read: IField[] = [];
  private static _count = 0;
}

/**
 * An HTML `pattern` attribute is anchored by the browser and compiled with the
 * `v` flag; a JSON Schema pattern that does not compile that way is dropped
 * (the server checks it anyway).
 */
function htmlPattern(pattern: string): string | null {
  // JSON Schema patterns match anywhere unless anchored; HTML ones match the whole value
  const start = pattern.startsWith('^');
  const end = pattern.endsWith('$') && !pattern.endsWith('\\$');
  const core = pattern.slice(start ? 1 : 0, end ? -1 : undefined);
  const p = `${start ? '' : '.*'}(?:${core})${end ? '' : '.*'}`;
  try {
    new RegExp(`^(?:${p})$`, 'v');
    return p;
  } catch {
    return null;
  }
}
