import { ProxierError, type ErrorContext } from '../../errors.ts';

/** No usable API server configuration: no kubeconfig/master given and not running in a pod, or a bad kubeconfig. */
export class ApiConfigError extends ProxierError {
  constructor(message: string, context: ErrorContext) {
    super('ERR_API_CONFIG', message, context);
  }
}

/** A list request did not answer in time (the server accepted it and stalled). */
export class ApiTimeoutError extends ProxierError {
  constructor(context: ErrorContext, ms: number) {
    super('ETIMEDOUT', `${context.operation} timed out after ${ms} ms`, context);
  }
}
