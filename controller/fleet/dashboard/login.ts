/**
 * The login form a browser gets instead of the dashboard when a token is required and the request
 * carries none (with status 401). Posting the token sets the session cookie (auth.ts). Plain
 * HTML, no script: it works before anything else is allowed.
 */
import type { IncomingMessage } from 'node:http';

const page = (error: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>imagectl fleet dashboard: sign in</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
</head>
<body class="login">
<main>
<h1>imagectl fleet dashboard</h1>
<form method="post" action="/login">
<label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
${error ? `<p role="alert" class="error">${error}</p>` : ''}
</form>
<p>The token is the content of the file given to <code>--token-file</code>.</p>
</main>
</body>
</html>
`;

export function loginPage(failed: boolean): string {
  return page(failed ? 'That is not the dashboard\'s token.' : '');
}

/** The `token` field of a posted form (application/x-www-form-urlencoded), at most 4 kB read. */
export async function readLoginForm(req: IncomingMessage): Promise<string | null> {
  let body = '';
  for await (const chunk of req) {
    body += String(chunk);
    if (body.length > 4096) return null;
  }
  return new URLSearchParams(body).get('token');
}
