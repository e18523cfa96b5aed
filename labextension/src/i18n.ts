/**
 * The sidebar's strings go through JupyterLab's ITranslator, in the gettext
 * domain below: English source strings in the code, given to the bundle's `__`
 * (`_n` for plurals, `_p` with a context), the French catalog in jupyterhub_datalab/locale/fr_FR/LC_MESSAGES/ (a .po compiled
 * to JSON at build, found by jupyterlab_server through the `jupyterlab.locale`
 * entry point). JupyterLab's language setting is the person's one switch.
 */
import { ITranslator, nullTranslator, TranslationBundle } from '@jupyterlab/translation';

/** The gettext domain: the name of the .po/.json files and of the entry point. */
export const DOMAIN = 'jupyterhub_datalab';

/** The catalog files (entries, schemas, server messages) carry texts in these two. */
export type Language = 'en' | 'fr';

/** French for any `fr*` language code (`fr`, `fr_FR`, `fr-CA`), else English. */
export function pickLanguage(languageCode?: string | null): Language {
  return (languageCode ?? '').toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** What a widget needs to speak the person's language. */
export interface II18n {
  /** The extension's strings, through its gettext domain (`__`, `_n` for plurals, `_p` with a context). */
  trans: TranslationBundle;
  /** Which text of a catalog's `{en, fr}` pair to show. */
  language: Language;
}

export function i18nFor(translator?: ITranslator | null): II18n {
  const t = translator ?? nullTranslator;
  return { trans: t.load(DOMAIN), language: pickLanguage(t.languageCode) };
}
