// The Alipay OpenAPI protocol layer. Imports nothing of Temporal.
export * from './money';
export * from './errors';
export * from './keys';
export * from './sign';
export * from './certs';
export * from './request';
export * from './response';
export * from './gateway';
export * from './methods';
export * from './notify';
export { alipayTimestamp } from './timestamp';
