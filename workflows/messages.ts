// Message definitions, search attribute keys and the task queue of RedPacketLifecycle.
// Clients, the worker and the HTTP server import this module; it pulls in no workflow code.
import { defineSearchAttributeKey } from '@temporalio/common';

export const DEFAULT_TASK_QUEUE = 'red-packets';

export const AUTH_NO = defineSearchAttributeKey('AuthNo', 'KEYWORD');
export const RED_PACKET_STATUS = defineSearchAttributeKey('RedPacketStatus', 'KEYWORD');
export const SEARCH_ATTRIBUTES = [AUTH_NO, RED_PACKET_STATUS] as const;

export function workflowIdFor(authNo: string): string {
  return `red-packet-${authNo}`;
}
