/** Small DOM helpers shared by the sidebar's panels. */

/** A new element with an optional class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** The sentence of an error, for the panel's status line. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
