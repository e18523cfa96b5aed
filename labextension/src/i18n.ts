/**
 * Every string the Datalab sidebar shows, in English and French.
 *
 * JupyterLab's language comes from ITranslator (set by a language pack); the
 * sidebar follows it: French when the code starts with `fr`, English otherwise.
 */
import type { ITranslator } from '@jupyterlab/translation';

export type Language = 'en' | 'fr';

export interface IMessages {
  sidebarTitle: string;
  openSidebar: string;
  storageTitle: string;
  storageEmpty: string;
  secretsTitle: string;
  secretsEmpty: string;
  servicesTitle: string;
  servicesEmpty: string;
  infoLoading: string;
  infoSignedIn: (user: string, version: string) => string;
  errorUnreachable: string;
  errorNotEnabled: (status: number) => string;
  errorSession: (status: number) => string;
  errorServer: (status: number) => string;
  errorBadAnswer: string;
}

export const en: IMessages = {
  sidebarTitle: 'Datalab',
  openSidebar: 'Open the Datalab sidebar',
  storageTitle: 'Storage',
  storageEmpty: 'Your S3 spaces will appear here.',
  secretsTitle: 'Secrets',
  secretsEmpty: 'Your Vault secrets will appear here.',
  servicesTitle: 'Services',
  servicesEmpty:
    'The services you launch (databases, MLflow, apps) will appear here.',
  infoLoading: 'Connecting to datalab…',
  infoSignedIn: (user, version) => `Signed in as ${user} · datalab ${version}`,
  errorUnreachable:
    'The datalab server cannot be reached. Check your connection and reload the page.',
  errorNotEnabled: status =>
    `The datalab server extension is not enabled on this server (HTTP ${status}).`,
  errorSession: status =>
    `Your session is no longer valid; reload the page to sign in again (HTTP ${status}).`,
  errorServer: status =>
    `The datalab server could not answer (HTTP ${status}). Try again later.`,
  errorBadAnswer: 'The datalab server sent an answer the sidebar does not understand.'
};

export const fr: IMessages = {
  sidebarTitle: 'Datalab',
  openSidebar: 'Ouvrir le panneau Datalab',
  storageTitle: 'Stockage',
  storageEmpty: 'Vos espaces S3 apparaîtront ici.',
  secretsTitle: 'Secrets',
  secretsEmpty: 'Vos secrets Vault apparaîtront ici.',
  servicesTitle: 'Services',
  servicesEmpty:
    'Les services que vous lancez (bases de données, MLflow, applications) apparaîtront ici.',
  infoLoading: 'Connexion à datalab…',
  infoSignedIn: (user, version) =>
    `Connecté en tant que ${user} · datalab ${version}`,
  errorUnreachable:
    'Le serveur datalab est injoignable. Vérifiez votre connexion et rechargez la page.',
  errorNotEnabled: status =>
    `L’extension serveur datalab n’est pas activée sur ce serveur (HTTP ${status}).`,
  errorSession: status =>
    `Votre session n’est plus valide ; rechargez la page pour vous reconnecter (HTTP ${status}).`,
  errorServer: status =>
    `Le serveur datalab n’a pas pu répondre (HTTP ${status}). Réessayez plus tard.`,
  errorBadAnswer:
    'Le serveur datalab a envoyé une réponse que le panneau ne comprend pas.'
};

/** French for any `fr*` language code (`fr`, `fr_FR`, `fr-CA`), else English. */
export function pickLanguage(languageCode?: string | null): Language {
  return (languageCode ?? '').toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The dictionary matching JupyterLab's current language. */
export function messagesFor(translator?: ITranslator | null): IMessages {
  return pickLanguage(translator?.languageCode) === 'fr' ? fr : en;
}
