/** A client error with the single error shape of the API: `{error, field?}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function badRequest(field: string, problem: string): HttpError {
  return new HttpError(400, `${field} ${problem}`, field);
}
