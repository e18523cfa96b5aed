/**
 * Every string the Datalab sidebar shows, in English and French.
 *
 * JupyterLab's language comes from ITranslator (set by a language pack); the
 * sidebar follows it: French when the code starts with `fr`, English otherwise.
 */
import type { ITranslator } from '@jupyterlab/translation';

export type Language = 'en' | 'fr';

export interface IMessages {
  /** The language of these messages (catalog texts are picked with it). */
  language: Language;
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
  storage: IStorageMessages;
  secrets: ISecretsMessages;
  services: IServicesMessages;
  welcome: IWelcomeMessages;
}

export interface IWelcomeMessages {
  /** The command, launcher card and tab title. */
  open: string;
  tabTitle: string;
  heading: string;
  intro: string;
  offersTitle: string;
  storageText: string;
  secretsText: string;
  servicesText: string;
  openPanel: (panel: string) => string;
  trainingsTitle: string;
  trainingsIntro: string;
  trainingsLoading: string;
  trainingsEmpty: string;
  trainingsFailed: (message: string) => string;
  start: string;
  startTitle: (name: string) => string;
  docsTitle: string;
  docsText: string;
  docsLink: string;
  docsMissing: string;
  reopen: string;
}

export interface IServicesMessages {
  loading: string;
  refresh: string;
  mine: string;
  mineEmpty: string;
  project: string;
  projectEmpty: string;
  launchTitle: string;
  catalogEmpty: string;
  unavailable: string;
  back: string;
  instanceName: string;
  instanceNameHelp: string;
  launch: string;
  launching: string;
  launched: (name: string) => string;
  status: Record<'starting' | 'ready' | 'failed' | 'stopped', string>;
  startingFor: (seconds: number) => string;
  sharedWith: (project: string) => string;
  ownedBy: (owner: string) => string;
  open: string;
  logs: string;
  hideLogs: string;
  noLogs: string;
  events: string;
  connection: string;
  hideConnection: string;
  noConnection: string;
  connectionHelp: (example: string) => string;
  reveal: string;
  hide: string;
  copy: string;
  copied: string;
  snippets: string;
  share: string;
  shareWith: string;
  noProjects: string;
  unshare: string;
  stop: string;
  start: string;
  delete: string;
  deleteConfirm: (name: string) => string;
  cancel: string;
  units: Record<string, string>;
  failed: (message: string) => string;
}

export interface ISecretsMessages {
  notConfigured: string;
  loading: string;
  empty: string;
  newSecret: string;
  refresh: string;
  name: string;
  key: string;
  value: string;
  addKey: string;
  save: string;
  cancel: string;
  close: string;
  edit: string;
  reveal: string;
  hide: string;
  delete: string;
  deleteConfirm: (name: string) => string;
  rename: string;
  renamePrompt: string;
  versions: string;
  restore: string;
  current: string;
  inject: string;
  injectHelp: string;
  injected: string;
  code: string;
  codeTitle: (name: string) => string;
  back: string;
  failed: (message: string) => string;
}

export interface IStorageMessages {
  notConfigured: string;
  loading: string;
  emptyFolder: string;
  root: string;
  refresh: string;
  newFolder: string;
  newFolderPrompt: string;
  upload: string;
  dropHint: string;
  loadMore: string;
  sortBy: (column: string) => string;
  columnName: string;
  columnSize: string;
  columnModified: string;
  space: string;
  location: string;
  cancel: string;
  uploadDone: string;
  uploadCancelled: string;
  download: string;
  delete: string;
  deleteConfirm: (name: string) => string;
  deleteFolderConfirm: (name: string) => string;
  rename: string;
  renamePrompt: string;
  copyPath: string;
  snippets: string;
  snippetsTitle: (name: string) => string;
  noSnippets: string;
  share: string;
  shareTitle: string;
  shareExpiry: string;
  oneHour: string;
  oneDay: string;
  sevenDays: string;
  shareLink: string;
  copy: string;
  close: string;
  preview: string;
  previewTitle: (name: string) => string;
  failed: (message: string) => string;
}

export const en: IMessages = {
  language: 'en',
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
  errorBadAnswer: 'The datalab server sent an answer the sidebar does not understand.',
  storage: {
    notConfigured: 'No S3 storage is configured for this server.',
    loading: 'Loading…',
    emptyFolder: 'This folder is empty. Drop files here to upload them.',
    root: 'Spaces',
    refresh: 'Refresh',
    newFolder: 'New folder',
    newFolderPrompt: 'Name of the new folder',
    upload: 'Upload',
    dropHint: 'Drop files to upload them here',
    loadMore: 'Load more',
    sortBy: column => `Sort by ${column.toLowerCase()} (click again to reverse)`,
    columnName: 'Name',
    columnSize: 'Size',
    columnModified: 'Modified',
    space: 'Storage space',
    location: 'Location in the space',
    cancel: 'Cancel',
    uploadDone: 'uploaded',
    uploadCancelled: 'cancelled',
    download: 'Download',
    delete: 'Delete',
    deleteConfirm: name => `Delete ${name}? This cannot be undone.`,
    deleteFolderConfirm: name =>
      `Delete the folder ${name} and everything in it? This cannot be undone.`,
    rename: 'Rename',
    renamePrompt: 'New name (a path inside this space)',
    copyPath: 'Copy the s3:// path',
    snippets: 'Code snippets',
    snippetsTitle: name => `Read ${name} in code`,
    noSnippets:
      'This name holds control characters, which code cannot show faithfully: rename the file, then copy its code.',
    share: 'Share a link',
    shareTitle: 'Share a download link',
    shareExpiry: 'The link works for',
    oneHour: '1 hour',
    oneDay: '1 day',
    sevenDays: '7 days',
    shareLink: 'Anyone with this link can download the file until it expires:',
    copy: 'Copy',
    close: 'Close',
    preview: 'Preview',
    previewTitle: name => `First rows of ${name}`,
    failed: message => `Failed: ${message}`
  },
  secrets: {
    notConfigured: 'No Vault is configured for this server.',
    loading: 'Loading…',
    empty: 'No secrets here yet.',
    newSecret: 'New secret',
    refresh: 'Refresh',
    name: 'Name (folders with /)',
    key: 'Key',
    value: 'Value',
    addKey: 'Add a key',
    save: 'Save',
    cancel: 'Cancel',
    close: 'Close',
    edit: 'Edit',
    reveal: 'Show values',
    hide: 'Hide values',
    delete: 'Delete',
    deleteConfirm: name => `Delete the secret ${name} and all its versions?`,
    rename: 'Rename',
    renamePrompt: 'New name',
    versions: 'Versions',
    restore: 'Restore',
    current: 'current',
    inject: 'Inject into my servers and kernels',
    injectHelp:
      'Its keys become environment variables of your new kernels and of your next server: yours only, each project member chooses for themselves. Names that change how programs run (proxies, paths, package indexes, certificates) are never injected.',
    injected: 'injected',
    code: 'Copy as code',
    codeTitle: name => `Use ${name} in code`,
    back: 'Back',
    failed: message => `Failed: ${message}`
  },
  services: {
    loading: 'Loading…',
    refresh: 'Refresh',
    mine: 'My services',
    mineEmpty: 'You have no services yet: launch one below.',
    project: 'Project services',
    projectEmpty: 'Nobody shared a service with your projects yet.',
    launchTitle: 'Launch a service',
    catalogEmpty: 'No service can be launched here.',
    unavailable: 'Unavailable',
    back: 'Back',
    instanceName: 'Name (optional)',
    instanceNameHelp: 'Letters, digits and dashes, e.g. my-database; left empty, a name is chosen for you.',
    launch: 'Launch',
    launching: 'Launching…',
    launched: name => `${name} launched.`,
    status: { starting: 'starting', ready: 'ready', failed: 'failed', stopped: 'stopped' },
    startingFor: seconds => `Starting… ${seconds} s`,
    sharedWith: project => `shared with ${project}`,
    ownedBy: owner => `by ${owner}`,
    open: 'Open',
    logs: 'Logs',
    hideLogs: 'Hide logs',
    noLogs: 'No log lines yet.',
    events: 'Events',
    connection: 'Connection',
    hideConnection: 'Hide connection',
    noConnection: 'This service publishes no connection variables.',
    connectionHelp: example =>
      `New kernels get these variables with this service's suffix (${example}), and plain when no other service provides them.`,
    reveal: 'Show passwords',
    hide: 'Hide passwords',
    copy: 'Copy',
    copied: 'Copied',
    snippets: 'Code',
    share: 'Share',
    shareWith: 'Share with project',
    noProjects: 'You are not a member of any project.',
    unshare: 'Unshare',
    stop: 'Stop',
    start: 'Start',
    delete: 'Delete',
    deleteConfirm: name => `Delete the service ${name} and its data? This cannot be undone.`,
    cancel: 'Cancel',
    units: {},
    failed: message => `Failed: ${message}`
  },
  welcome: {
    open: 'Datalab welcome',
    tabTitle: 'Welcome',
    heading: 'Welcome to the datalab',
    intro:
      'This JupyterLab runs on the datalab: your files here are kept between sessions, and your storage, secrets and services are one click away in the Datalab sidebar on the left.',
    offersTitle: 'What the datalab offers',
    storageText:
      'Your S3 space and your projects’ shared spaces: browse, upload, share a download link. In notebooks, pandas, s3fs and DuckDB read s3:// paths with no setup.',
    secretsText:
      'Keep passwords and tokens in Vault instead of notebooks. Marked secrets reach new kernels as environment variables.',
    servicesText:
      'Launch a PostgreSQL database, MLflow or an app for yourself or your project; new kernels get their connection variables.',
    openPanel: panel => `Open ${panel}`,
    trainingsTitle: 'Trainings',
    trainingsIntro:
      'Learn the datalab on the datalab: each training starts its own server with the material in your workspace and its first notebook open.',
    trainingsLoading: 'Loading the trainings…',
    trainingsEmpty: 'No training is offered on this datalab yet.',
    trainingsFailed: message => `The trainings could not be listed: ${message}`,
    start: 'Start',
    startTitle: name =>
      `Open the start page of “${name}” in a new tab: review the options, then press Start`,
    docsTitle: 'Documentation',
    docsText: 'Guides for users (storage, secrets, services, sharing with a project), administrators and catalog contributors.',
    docsLink: 'Read the documentation',
    docsMissing:
      'The address of this datalab’s documentation is not configured; ask your administrator.',
    reopen:
      'Open this page again from the Launcher (Datalab welcome) or the command palette.'
  }
};

export const fr: IMessages = {
  language: 'fr',
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
    'Le serveur datalab a envoyé une réponse que le panneau ne comprend pas.',
  storage: {
    notConfigured: 'Aucun stockage S3 n’est configuré pour ce serveur.',
    loading: 'Chargement…',
    emptyFolder: 'Ce dossier est vide. Déposez des fichiers ici pour les téléverser.',
    root: 'Espaces',
    refresh: 'Actualiser',
    newFolder: 'Nouveau dossier',
    newFolderPrompt: 'Nom du nouveau dossier',
    upload: 'Téléverser',
    dropHint: 'Déposez des fichiers pour les téléverser ici',
    loadMore: 'Afficher plus',
    sortBy: column => `Trier par ${column.toLowerCase()} (cliquer à nouveau pour inverser)`,
    columnName: 'Nom',
    columnSize: 'Taille',
    columnModified: 'Modifié',
    space: 'Espace de stockage',
    location: 'Emplacement dans l’espace',
    cancel: 'Annuler',
    uploadDone: 'téléversé',
    uploadCancelled: 'annulé',
    download: 'Télécharger',
    delete: 'Supprimer',
    deleteConfirm: name => `Supprimer ${name} ? C’est définitif.`,
    deleteFolderConfirm: name =>
      `Supprimer le dossier ${name} et tout son contenu ? C’est définitif.`,
    rename: 'Renommer',
    renamePrompt: 'Nouveau nom (un chemin dans cet espace)',
    copyPath: 'Copier le chemin s3://',
    snippets: 'Extraits de code',
    snippetsTitle: name => `Lire ${name} dans du code`,
    noSnippets:
      'Ce nom contient des caractères de contrôle, que le code ne peut pas montrer fidèlement : renommez le fichier, puis copiez son code.',
    share: 'Partager un lien',
    shareTitle: 'Partager un lien de téléchargement',
    shareExpiry: 'Le lien fonctionne pendant',
    oneHour: '1 heure',
    oneDay: '1 jour',
    sevenDays: '7 jours',
    shareLink: 'Toute personne ayant ce lien peut télécharger le fichier jusqu’à son expiration :',
    copy: 'Copier',
    close: 'Fermer',
    preview: 'Aperçu',
    previewTitle: name => `Premières lignes de ${name}`,
    failed: message => `Échec : ${message}`
  },
  secrets: {
    notConfigured: 'Aucun Vault n’est configuré pour ce serveur.',
    loading: 'Chargement…',
    empty: 'Aucun secret ici pour l’instant.',
    newSecret: 'Nouveau secret',
    refresh: 'Actualiser',
    name: 'Nom (dossiers avec /)',
    key: 'Clé',
    value: 'Valeur',
    addKey: 'Ajouter une clé',
    save: 'Enregistrer',
    cancel: 'Annuler',
    close: 'Fermer',
    edit: 'Modifier',
    reveal: 'Afficher les valeurs',
    hide: 'Masquer les valeurs',
    delete: 'Supprimer',
    deleteConfirm: name => `Supprimer le secret ${name} et toutes ses versions ?`,
    rename: 'Renommer',
    renamePrompt: 'Nouveau nom',
    versions: 'Versions',
    restore: 'Restaurer',
    current: 'actuelle',
    inject: 'Injecter dans mes serveurs et noyaux',
    injectHelp:
      'Ses clés deviennent des variables d’environnement de vos nouveaux noyaux et de votre prochain serveur : les vôtres seulement, chaque membre du projet choisit pour lui-même. Les noms qui changent le fonctionnement des programmes (proxys, chemins, index de paquets, certificats) ne sont jamais injectés.',
    injected: 'injecté',
    code: 'Copier en code',
    codeTitle: name => `Utiliser ${name} dans du code`,
    back: 'Retour',
    failed: message => `Échec : ${message}`
  },
  services: {
    loading: 'Chargement…',
    refresh: 'Actualiser',
    mine: 'Mes services',
    mineEmpty: 'Vous n’avez encore aucun service : lancez-en un ci-dessous.',
    project: 'Services des projets',
    projectEmpty: 'Personne n’a encore partagé de service avec vos projets.',
    launchTitle: 'Lancer un service',
    catalogEmpty: 'Aucun service ne peut être lancé ici.',
    unavailable: 'Indisponible',
    back: 'Retour',
    instanceName: 'Nom (facultatif)',
    instanceNameHelp: 'Lettres, chiffres et tirets, par exemple ma-base ; laissé vide, un nom est choisi pour vous.',
    launch: 'Lancer',
    launching: 'Lancement…',
    launched: name => `${name} lancé.`,
    status: { starting: 'démarrage', ready: 'prêt', failed: 'en échec', stopped: 'arrêté' },
    startingFor: seconds => `Démarrage… ${seconds} s`,
    sharedWith: project => `partagé avec ${project}`,
    ownedBy: owner => `par ${owner}`,
    open: 'Ouvrir',
    logs: 'Journaux',
    hideLogs: 'Masquer les journaux',
    noLogs: 'Aucune ligne de journal pour l’instant.',
    events: 'Événements',
    connection: 'Connexion',
    hideConnection: 'Masquer la connexion',
    noConnection: 'Ce service ne publie aucune variable de connexion.',
    connectionHelp: example =>
      `Les nouveaux noyaux reçoivent ces variables avec le suffixe de ce service (${example}), et sans suffixe quand aucun autre service ne les fournit.`,
    reveal: 'Afficher les mots de passe',
    hide: 'Masquer les mots de passe',
    copy: 'Copier',
    copied: 'Copié',
    snippets: 'Code',
    share: 'Partager',
    shareWith: 'Partager avec le projet',
    noProjects: 'Vous n’êtes membre d’aucun projet.',
    unshare: 'Ne plus partager',
    stop: 'Arrêter',
    start: 'Démarrer',
    delete: 'Supprimer',
    deleteConfirm: name => `Supprimer le service ${name} et ses données ? C’est définitif.`,
    cancel: 'Annuler',
    units: { cores: 'cœurs', GiB: 'Gio', MiB: 'Mio', TiB: 'Tio', GB: 'Go', MB: 'Mo' },
    failed: message => `Échec : ${message}`
  },
  welcome: {
    open: 'Accueil Datalab',
    tabTitle: 'Accueil',
    heading: 'Bienvenue sur le datalab',
    intro:
      'Ce JupyterLab tourne sur le datalab : vos fichiers y sont conservés d’une session à l’autre, et votre stockage, vos secrets et vos services sont à portée de clic dans la barre Datalab, à gauche.',
    offersTitle: 'Ce que propose le datalab',
    storageText:
      'Votre espace S3 et les espaces partagés de vos projets : parcourir, téléverser, partager un lien de téléchargement. Dans les notebooks, pandas, s3fs et DuckDB lisent les chemins s3:// sans configuration.',
    secretsText:
      'Gardez mots de passe et jetons dans Vault plutôt que dans les notebooks. Les secrets cochés arrivent dans les nouveaux noyaux en variables d’environnement.',
    servicesText:
      'Lancez une base PostgreSQL, MLflow ou une application pour vous ou votre projet ; les nouveaux noyaux reçoivent leurs variables de connexion.',
    openPanel: panel => `Ouvrir ${panel}`,
    trainingsTitle: 'Formations',
    trainingsIntro:
      'Apprenez le datalab sur le datalab : chaque formation démarre son propre serveur, avec le support dans votre espace et son premier notebook ouvert.',
    trainingsLoading: 'Chargement des formations…',
    trainingsEmpty: 'Aucune formation n’est proposée sur ce datalab pour l’instant.',
    trainingsFailed: message => `Les formations n’ont pas pu être listées : ${message}`,
    start: 'Démarrer',
    startTitle: name =>
      `Ouvrir la page de démarrage de « ${name} » dans un nouvel onglet : vérifiez les options puis cliquez sur Start`,
    docsTitle: 'Documentation',
    docsText: 'Des guides pour les utilisateurs (stockage, secrets, services, partage avec un projet), les administrateurs et les contributeurs du catalogue.',
    docsLink: 'Lire la documentation',
    docsMissing:
      'L’adresse de la documentation de ce datalab n’est pas configurée ; demandez-la à votre administrateur.',
    reopen:
      'Rouvrez cette page depuis le Lanceur (Accueil Datalab) ou la palette de commandes.'
  }
};

/** French for any `fr*` language code (`fr`, `fr_FR`, `fr-CA`), else English. */
export function pickLanguage(languageCode?: string | null): Language {
  return (languageCode ?? '').toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

/** The dictionary matching JupyterLab's current language. */
export function messagesFor(translator?: ITranslator | null): IMessages {
  return pickLanguage(translator?.languageCode) === 'fr' ? fr : en;
}
