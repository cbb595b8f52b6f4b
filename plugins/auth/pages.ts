/**
 * The auth plugin's HTML: sign-in, sign-up and reset forms, and the signed-in page. Hono's
 * `html` escapes every interpolated value; each form carries the host's CSRF token.
 *
 * @module
 */

import { html } from "hono/html";

type Html = ReturnType<typeof html>;

function page(title: string, body: Html): Html {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;
}

const problem = (error: string | undefined) => error === undefined ? "" : html`<p class="error" role="alert">${error}</p>`;

export function loginPage(csrf: string, next: string, error?: string, name = ""): Html {
  return page("Sign in", html`${problem(error)}
<form method="post" action="login">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="next" value="${next}">
  <label>Name <input name="name" value="${name}" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <button type="submit">Sign in</button>
</form>
<p><a href="signup">Create an account</a></p>`);
}

export function signupPage(csrf: string, error?: string, name = ""): Html {
  return page("Create an account", html`${problem(error)}
<form method="post" action="signup">
  <input type="hidden" name="_csrf" value="${csrf}">
  <label>Name <input name="name" value="${name}" autocomplete="username" required></label>
  <label>Password <input name="password" type="password" autocomplete="new-password" minlength="8" required></label>
  <button type="submit">Sign up</button>
</form>`);
}

export function resetPage(csrf: string, token: string, error?: string): Html {
  return page("Choose a new password", html`${problem(error)}
<form method="post" action="reset">
  <input type="hidden" name="_csrf" value="${csrf}"><input type="hidden" name="token" value="${token}">
  <label>New password <input name="password" type="password" autocomplete="new-password" minlength="8" required></label>
  <button type="submit">Set password</button>
</form>`);
}

export function homePage(csrf: string, name: string, roles: readonly string[]): Html {
  return page("Signed in", html`<p>Signed in as <strong class="user">${name}</strong> (roles: <span class="roles">${roles.join(", ")}</span>).</p>
<form method="post" action="logout"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Sign out</button></form>`);
}
