// Paths of the console (/admin/...) in the browser's history: links navigate without a reload,
// and every screen has a path a reload or a pasted link opens.

const listeners = new Set();

export function currentPath() {
  return location.pathname;
}

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  // Screens are chosen by the path alone: a query (`?token=…`, `?next=…`) is the screen's to read.
  for (const listener of listeners) listener(currentPath());
}

export function onNavigate(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

addEventListener("popstate", () => {
  for (const listener of listeners) listener(currentPath());
});

// Same-origin links into the console stay in the page.
addEventListener("click", (event) => {
  const link = event.target.closest?.("a[href]");
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith("/admin")) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
