/**
 * Keys and paths inside a space (pure: unit-tested in __tests__/paths.test.ts).
 * A folder prefix is '' (the root) or ends with '/'.
 */

/** `prefix` + `name`, with no doubled, leading or trailing slash in between. */
export function joinKey(prefix: string, name: string): string {
  const head = prefix.replace(/^\/+/, '');
  const tail = name.replace(/^\/+/, '');
  if (!head) {
    return tail;
  }
  return head.endsWith('/') ? head + tail : `${head}/${tail}`;
}

/** The last part of a key (`a/b/c.csv` -> `c.csv`; a folder keeps no slash). */
export function baseName(key: string): string {
  const parts = key.split('/').filter(Boolean);
  return parts[parts.length - 1] ?? '';
}

/** The breadcrumbs of a folder prefix: each part with the prefix that opens it. */
export function crumbs(prefix: string): { name: string; prefix: string }[] {
  const out: { name: string; prefix: string }[] = [];
  let path = '';
  for (const name of prefix.split('/').filter(Boolean)) {
    path += `${name}/`;
    out.push({ name, prefix: path });
  }
  return out;
}

/** The `s3://` address of a key in a space (its bucket and the space's own prefix). */
export function s3Url(bucket: string, spacePrefix: string, key: string): string {
  return `s3://${bucket}/${joinKey(spacePrefix, key)}`;
}

