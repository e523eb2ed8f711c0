import { assertUnreachable, ErrorCode } from '../../schema/error-code';

export type NetdiskState = 'success' | 'exception' | 'error';

/** A Netdisk answer's `code` and `state` (spec 003, "返回值（code）简介"). */
export interface NetdiskStatus {
  code: number;
  state: NetdiskState;
  /** What `msg` says unless the route says something of its own. */
  message: string;
}

export const OK_CODE = 200;

/** Spec 003's `code`, `state` and a message for each ErrorCode (ARCHITECTURE.md, "Errors"). */
export function netdiskStatus(code: ErrorCode): NetdiskStatus {
  const exception = (netdiskCode: number, message: string): NetdiskStatus => ({
    code: netdiskCode,
    state: 'exception',
    message,
  });
  switch (code) {
    case ErrorCode.UNAUTHENTICATED:
      return exception(1000, '权限校验失败，请重新登录');
    case ErrorCode.NOT_FOUND:
      return exception(404, '文件不存在');
    case ErrorCode.GONE:
      return exception(404, '文件已经被删除');
    case ErrorCode.LINK_EXPIRED:
      return exception(600, '链接已过期');
    case ErrorCode.LINK_KEY_INVALID:
      return exception(300, '密钥错误');
    case ErrorCode.USER_EXISTS:
      return exception(300, '用户名已经存在');
    case ErrorCode.EMAIL_TAKEN:
      return exception(300, '邮箱地址已经被注册');
    case ErrorCode.NAME_TAKEN:
    case ErrorCode.ALREADY_OWNED:
      return exception(300, '同名文件或文件夹已经存在');
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return exception(300, '文件太大');
    case ErrorCode.QUOTA_EXCEEDED:
      return exception(300, '存储空间不足');
    case ErrorCode.UNSUPPORTED_TYPE:
      return exception(300, '不支持的文件类型');
    case ErrorCode.RATE_LIMITED:
      return exception(300, '请求过于频繁，请稍后再试');
    case ErrorCode.QUERY_TOO_COMPLEX:
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.FORBIDDEN:
    case ErrorCode.ALREADY_SHARED:
    case ErrorCode.CONTENT_UNKNOWN:
    case ErrorCode.CONTENT_MISMATCH:
      return exception(300, '参数错误');
    case ErrorCode.STORAGE_FULL:
      return { code: 500, state: 'error', message: '服务器存储空间已满' };
    case ErrorCode.UNAVAILABLE:
      return { code: 500, state: 'error', message: '服务暂时不可用，请稍后再试' };
    case ErrorCode.INTERNAL:
      return { code: 500, state: 'error', message: '服务器错误' };
    default:
      return assertUnreachable(code);
  }
}
