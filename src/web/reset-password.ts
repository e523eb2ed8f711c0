import express, { Router, type Response } from 'express';
import type { Executor } from '../legacy-rest/execute';
import { ErrorCode } from '../schema/error-code';
import { RESET_PAGE } from '../services/password-reset.service';
import { escapeHtml } from './escape-html';
import { messageSheet, pageHeaders, pageLayout } from './page-layout';

const TITLE = '重置密码';

const RESET_PASSWORD = /* GraphQL */ `
  mutation ResetPasswordPage($input: ResetPasswordInput!) {
    resetPassword(input: $input) {
      userName
      userErrors {
        code
        message
      }
    }
  }
`;

function form(token: string, problem?: string): string {
  return `<main class="sheet">
<header class="sheet__head"><h1 class="sheet__title">${TITLE}</h1></header>
${problem ? `<p class="message" id="message">${escapeHtml(problem)}</p>\n` : ''}<form class="link" method="post" action="${RESET_PAGE}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label class="link__label" for="password">新密码 / new password</label>
<div class="link__row"><input class="link__field" id="password" name="password" type="password" autocomplete="new-password" minlength="1" maxlength="1024" required></div>
<label class="link__label" for="repeated">再输入一次 / once more</label>
<div class="link__row"><input class="link__field" id="repeated" name="repeated" type="password" autocomplete="new-password" minlength="1" maxlength="1024" required></div>
<div class="link__row"><button class="link__copy" id="submit" type="submit">设置新密码 / set it</button></div>
</form>
</main>`;
}

function send(response: Response, status: number, main: string): void {
  response.status(status).set(pageHeaders('self')).type('html').send(pageLayout(TITLE, main));
}

/** What the page says when a reset failed, by the code it failed with. */
function failure(code: ErrorCode): [status: number, heading: string, detail: string] {
  switch (code) {
    case ErrorCode.LINK_EXPIRED:
      return [410, '链接已经过期', 'This link has expired: ask for a new one.'];
    case ErrorCode.GONE:
      return [410, '链接已经用过了', 'This link has been used already: ask for a new one.'];
    case ErrorCode.NOT_FOUND:
      return [404, '链接无效', 'This link is not one we sent.'];
    default:
      return [500, '暂时无法重置密码', 'Please try again later.'];
  }
}

/**
 * The page a password-reset mail links to: `GET /reset-password?token=` shows a form for the new
 * password; posting it sets the password through GraphQL `resetPassword`. The token in the form is
 * what proves the right to do so, so another site's form cannot use it.
 */
export function resetPasswordRouter(executor: Executor): Router {
  const router = Router();

  router.get(RESET_PAGE, (request, response) => {
    const token = typeof request.query.token === 'string' ? request.query.token : '';
    send(response, 200, form(token));
  });

  router.post(
    RESET_PAGE,
    express.urlencoded({ extended: false, limit: '8kb' }),
    async (request, response) => {
      const { token, password, repeated } = request.body as Record<string, unknown>;
      if (typeof token !== 'string' || typeof password !== 'string' || !password || password !== repeated) {
        send(
          response,
          400,
          form(typeof token === 'string' ? token : '', '两次输入的密码不一样 / the two passwords differ'),
        );
        return;
      }
      const result = await executor.mutate<{ userName: string }>(request, {
        query: RESET_PASSWORD,
        variables: { input: { token, password } },
      });
      if (result.ok) {
        send(
          response,
          200,
          messageSheet(
            TITLE,
            '密码已经重置',
            `Your password is changed: sign in as ${result.data.userName}.`,
          ),
        );
        return;
      }
      if (result.code === ErrorCode.BAD_USER_INPUT) {
        send(response, 400, form(token, result.message));
        return;
      }
      const [status, heading, detail] = failure(result.code);
      send(response, status, messageSheet(TITLE, heading, detail));
    },
  );

  return router;
}
