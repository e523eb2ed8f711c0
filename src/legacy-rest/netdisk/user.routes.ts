import { Router, type Request } from 'express';
import { ErrorCode } from '../../schema/error-code';
import type { Executor } from '../execute';
import { failure, send, success, type NetdiskAnswer } from './envelope';
import { netdiskParameters, parameter } from './parameters';

const LOGIN = /* GraphQL */ `
  mutation NetdiskLogin($input: LoginInput!) {
    login(input: $input) {
      token
      viewer {
        nickName
      }
      userErrors {
        code
        message
      }
    }
  }
`;

const REGISTER = /* GraphQL */ `
  mutation NetdiskRegister($input: RegisterInput!) {
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

const REQUEST_PASSWORD_RESET = /* GraphQL */ `
  mutation NetdiskFind($email: String!) {
    requestPasswordReset(input: { email: $email }) {
      userErrors {
        code
        message
      }
    }
  }
`;

const LOGOUT = /* GraphQL */ `
  mutation NetdiskLogout {
    logout {
      deletedIds
      userErrors {
        code
        message
      }
    }
  }
`;

/** Spec 003's answer to a request without one of its parameters, trailing space included. */
const missing = (name: string): NetdiskAnswer => ({
  code: 300,
  state: 'exception',
  msg: `缺少参数:${name} `,
  data: null,
});

/** The first of `names` the request does not carry, or null when it carries them all. */
function firstMissing(request: Request, names: string[]): string | null {
  return names.find((name) => !parameter(request, name)) ?? null;
}

/** Spec 003 `/user/*`: login (a JWT), register, password recovery by e-mail, logout. */
export function userRoutes(executor: Executor): Router {
  const router = Router();

  router.post('/login', ...netdiskParameters, async (request, response) => {
    const absent = firstMissing(request, ['username', 'password']);
    if (absent) return send(response, missing(absent));
    const result = await executor.mutate<{ token: string; viewer: { nickName: string } }>(request, {
      query: LOGIN,
      variables: {
        input: {
          userName: parameter(request, 'username'),
          password: parameter(request, 'password'),
          // `freeLog`: stay signed in for 30 days rather than one.
          remember: parameter(request, 'freeLog') === 'true',
          tokenKind: 'JWT',
        },
      },
    });
    if (result.ok)
      return send(
        response,
        success('登录成功', { name: result.data.viewer.nickName, token: result.data.token }),
      );
    // Spec 003 answers a wrong name or password with state "success".
    if (result.code === ErrorCode.UNAUTHENTICATED) {
      return send(response, { code: 300, state: 'success', msg: '账号或密码错误', data: null });
    }
    send(response, failure(result, { [ErrorCode.RATE_LIMITED]: '登录尝试过于频繁，请稍后再试' }));
  });

  router.post('/register', ...netdiskParameters, async (request, response) => {
    const absent = firstMissing(request, ['username', 'password', 'name', 'address']);
    if (absent) return send(response, missing(absent));
    const result = await executor.mutate(request, {
      query: REGISTER,
      variables: {
        input: {
          userName: parameter(request, 'username'),
          password: parameter(request, 'password'),
          nickName: parameter(request, 'name'),
          email: parameter(request, 'address'),
        },
      },
    });
    send(response, result.ok ? success('注册成功') : failure(result));
  });

  router.get('/find', async (request, response) => {
    const result = await executor.mutate(request, {
      query: REQUEST_PASSWORD_RESET,
      variables: { email: parameter(request, 'addr') ?? '' },
    });
    if (result.ok) return send(response, success('获取成功'));
    // Spec 003 answers a malformed address with state "success".
    if (result.code === ErrorCode.BAD_USER_INPUT) {
      return send(response, { code: 300, state: 'success', msg: '邮箱地址错误', data: null });
    }
    send(response, failure(result));
  });

  // The spec lists logout without a method: clients send either.
  router.all('/logout', async (request, response) => {
    const result = await executor.mutate(request, { query: LOGOUT });
    send(response, result.ok ? success('登出成功') : failure(result));
  });

  return router;
}
