/** A catalog entry's icon in the Services panel: its image, or a coloured monogram. */
import { el } from '../dom';

/** Monograms for the catalog's icon names (an https: or data: icon is shown as is). */
const MONOGRAMS: Record<string, [string, string]> = {
  postgresql: ['PG', 'var(--jp-brand-color1)'],
  database: ['DB', 'var(--jp-brand-color1)'],
  mlflow: ['ML', 'var(--jp-success-color1)'],
  redis: ['Rd', 'var(--jp-error-color1)'],
  app: ['App', 'var(--jp-accent-color1)'],
  streamlit: ['St', 'var(--jp-error-color1)'],
  python: ['Py', 'var(--jp-brand-color1)'],
  jupyter: ['Ju', 'var(--jp-warn-color1)']
};

export function entryIcon(icon: string | undefined, fallback: string): HTMLElement {
  const name = icon ?? '';
  if (name.startsWith('https://') || name.startsWith('data:image/')) {
    const img = el('img', 'jp-Datalab-serviceIcon');
    img.src = name;
    img.alt = '';
    return img;
  }
  const [letters, colour] = MONOGRAMS[name] ?? [
    (name || fallback).slice(0, 2).replace(/^./, c => c.toUpperCase()) || '?',
    'var(--jp-layout-color4)'
  ];
  const span = el('span', 'jp-Datalab-serviceIcon', letters);
  span.style.setProperty('--jp-Datalab-iconColour', colour);
  span.setAttribute('aria-hidden', 'true');
  return span;
}
