import { Router } from 'express';
import type { Executor } from '../execute';
import { imageHostCode, OK } from './codes';
import { legacyJsonBody } from './json';

const REGISTER = /* GraphQL */ `
  mutation LegacyRegister($input: RegisterInput!) {
    register(input: $input) {
      user {
        id
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const LOGIN = /* GraphQL */ `
  mutation LegacyLogin($input: LoginInput!) {
    login(input: $input) {
      token
      userErrors {
        code
        message
      }
    }
  }
`;

/** Spec 001 §1 `/api/reg` and §2 `/api/login`. */
export function accountRoutes(executor: Executor): Router {
  const router = Router();

  router.post('/reg', ...legacyJsonBody, async (request, response) => {
    const { userName, nickName, firstPwd, email, phone } = request.body as Record<string, unknown>;
    const result = await executor.mutate(request, {
      query: REGISTER,
      variables: {
        input: {
          userName,
          nickName,
          passwordMd5: firstPwd,
          email: email || undefined,
          phone: phone || undefined,
        },
      },
    });
    response.json({ code: result.ok ? OK : imageHostCode(result.code) });
  });

  router.post('/login', ...legacyJsonBody, async (request, response) => {
    const { user, pwd } = request.body as Record<string, unknown>;
    const result = await executor.mutate<{ token: string }>(request, {
      query: LOGIN,
      variables: { input: { userName: user, passwordMd5: pwd } },
    });
    response.json(
      result.ok ? { code: OK, token: result.data.token } : { code: imageHostCode(result.code, 'login') },
    );
  });

  return router;
}
