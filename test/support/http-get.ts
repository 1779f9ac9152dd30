/**
 * A GET with the headers given, `Host` included (fetch() always sends the address it connects to): tests
 * sending traffic to several processes or ports under one site name, as a load balancer in front would.
 */
import http from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function httpGet(
  baseUrl: string,
  path: string,
  headers: Record<string, string> = {},
  timeoutMs = 15_000,
): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      new URL(path, baseUrl),
      { headers, signal: AbortSignal.timeout(timeoutMs) },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
          }),
        );
      },
    );
    req.on('error', reject);
  });
}
