import type { ServerResponse } from 'node:http';
import { qualifiedName, type ResourceType } from './resources.js';
import type { Json, JsonObject } from './types.js';

/** A `Status` object exactly as the API server sends it. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: JsonObject,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }

  toStatus(): JsonObject {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const detailsOf = (type: ResourceType, name: string): JsonObject => ({ name, ...(type.group ? { group: type.group } : {}), kind: type.resource });

export const notFound = (type: ResourceType, name: string): StatusError =>
  new StatusError(404, 'NotFound', `${qualifiedName(type)} "${name}" not found`, detailsOf(type, name));

export const alreadyExists = (type: ResourceType, name: string): StatusError =>
  new StatusError(409, 'AlreadyExists', `${qualifiedName(type)} "${name}" already exists`, detailsOf(type, name));

export const conflict = (type: ResourceType, name: string): StatusError =>
  new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    detailsOf(type, name),
  );

export const badRequest = (message: string): StatusError => new StatusError(400, 'BadRequest', message);

export const invalid = (type: ResourceType, name: string, field: string, message: string): StatusError =>
  new StatusError(422, 'Invalid', `${type.kind} "${name}" is invalid: ${field}: ${message}`, {
    ...detailsOf(type, name),
    causes: [{ reason: 'FieldValueInvalid', message, field }],
  });

export function sendJson(res: ServerResponse, code: number, body: Json | object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendStatus(res: ServerResponse, error: StatusError): void {
  sendJson(res, error.code, error.toStatus(), error.headers);
}
