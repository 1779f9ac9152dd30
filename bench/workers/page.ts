/** The page the HTTP benchmarks serve at `/page/:id`: about 8 KB of HTML naming its id (http-hot-path, http-cpu). */

export const PAGE_BYTES = 8192;
const filler = '<p>lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod</p>\n';

export function renderPage(id: string): string {
  const head = `<!doctype html><html><head><title>page ${id}</title></head><body><h1>page ${id}</h1>\n`;
  const tail = '</body></html>\n';
  const body = filler.repeat(Math.ceil((PAGE_BYTES - head.length - tail.length) / filler.length));
  return (head + body).slice(0, PAGE_BYTES - tail.length) + tail;
}
