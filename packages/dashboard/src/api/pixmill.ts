// The routes of the public API the dashboard calls, typed. One function per route, named for what it does, so swapping
// in the generated SDK touches only this file.
import { del, get, post, request, type Query } from './client';
import type {
  ApiKey,
  BatchDetail,
  BatchPage,
  DeadLetter,
  DeliveryPage,
  Health,
  ImagePage,
  QueueStatus,
  Session,
  SystemStats,
  Throughput,
  User,
} from './types';

const id = encodeURIComponent;

export const pixmill = {
  signIn: (username: string, password: string) => post<Session>('/api/v1/auth/session', { username, password }),
  session: () => get<Session>('/api/v1/auth/session'),
  signOut: () => del<void>('/api/v1/auth/session'),

  createUrlBatch: (body: Record<string, unknown>) => post<{ batch_id: string }>('/api/v1/batches', body),
  batches: (q: Query) => get<BatchPage>('/api/v1/batches', q),
  batch: (batchId: string) => get<BatchDetail>(`/api/v1/batches/${id(batchId)}`),
  images: (batchId: string, q: Query) => get<ImagePage>(`/api/v1/batches/${id(batchId)}/images`, q),
  control: (batchId: string, action: string, body: Record<string, unknown> = {}) =>
    post<Record<string, unknown>>(`/api/v1/batches/${id(batchId)}/${action}`, body),
  deleteBatch: (batchId: string) => del<void>(`/api/v1/batches/${id(batchId)}`),
  health: (batchId: string) =>
    get<{
      health_score: number;
      health_status: string;
      components: { success_rate: { value: number | null } };
      issues: string[];
      recommendations: string[];
    }>(`/api/v1/batches/${id(batchId)}/health`),
  analyze: (batchId: string) =>
    get<{
      failed_images: number;
      failure_rate: number;
      categories: { category: string; count: number; percentage: number }[];
      top_errors: { code: string | null; message: string | null; count: number; percentage: number }[];
      recommendations: string[];
    }>(`/api/v1/batches/${id(batchId)}/analyze`),
  deliveries: (batchId: string) => get<DeliveryPage>(`/api/v1/batches/${id(batchId)}/webhook-deliveries`),
  redeliver: (batchId: string, deliveryId: string) =>
    post<unknown>(`/api/v1/batches/${id(batchId)}/webhook-deliveries/${id(deliveryId)}/redeliver`),

  resizePreview: (form: FormData) =>
    request<{ status: string; download_url?: string; width?: number; height?: number; bytes?: number }>(
      'POST',
      '/api/v1/resize',
      form,
    ),

  systemHealth: () => get<Health>('/api/v1/health'),
  systemStats: () => get<SystemStats>('/api/v1/system/stats'),
  throughput: (minutes = 60) => get<Throughput>('/api/v1/system/throughput', { minutes }),

  queueStatus: () => get<QueueStatus>('/api/v1/admin/queue/status'),
  queueCleanup: (body: Record<string, unknown>) => post<Record<string, unknown>>('/api/v1/admin/queue/cleanup', body),
  resetBatch: (batchId: string) =>
    post<Record<string, unknown>>(`/api/v1/admin/batch/${id(batchId)}/reset`, { stuck_minutes: 0 }),
  deadLetters: (queue: string) =>
    get<{ queue: string; total: number; items: DeadLetter[] }>('/api/v1/admin/dead-letters', { queue }),
  requeueDeadLetters: (queue: string) => post<{ requeued: number }>('/api/v1/admin/dead-letters/requeue', { queue }),
  purgeDeadLetters: (queue: string) => post<{ purged: number }>('/api/v1/admin/dead-letters/purge', { queue }),

  users: () => get<{ items: User[] }>('/api/v1/users'),
  createUser: (username: string, password: string, role: string) =>
    post<User>('/api/v1/users', { username, password, role }),
  setUserDisabled: (userId: string, disabled: boolean) =>
    post<User>(`/api/v1/users/${id(userId)}/${disabled ? 'disable' : 'enable'}`),
  resetPassword: (userId: string, password: string) => post<User>(`/api/v1/users/${id(userId)}/password`, { password }),

  apiKeys: () => get<{ items: ApiKey[] }>('/api/v1/api-keys'),
  createApiKey: (name: string) => post<ApiKey & { key: string }>('/api/v1/api-keys', { name }),
  revokeApiKey: (keyId: string) => del<void>(`/api/v1/api-keys/${id(keyId)}`),
};
